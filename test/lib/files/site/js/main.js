// An ES module that imports another one and changes the page: proves both were served as JavaScript.
import { greet } from './greet.js';

const p = document.getElementById('greeting');
p.textContent = greet('uvhttp');
document.body.dataset.module = 'ran';
