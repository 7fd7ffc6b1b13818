// Runs in the browser: asks the dynamic route for a greeting.
const res = await fetch('/hello?name=browser');
document.getElementById('greeting').textContent = await res.text();
