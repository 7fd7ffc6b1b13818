export function greet(name) {
  return `hello from a module, ${name}`;
}
