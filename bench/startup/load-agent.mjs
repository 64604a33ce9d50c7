// Prints, as JSON, how long `import("rampart/register")` takes in a fresh process, in
// milliseconds. The agent starts (reads its configuration, installs its hooks) during that import.

const started = performance.now();
await import("rampart/register");
const loadMs = performance.now() - started;

console.log(JSON.stringify({ loadMs }));
