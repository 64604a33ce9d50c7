// Preloaded by run-package-tests.mjs into the test runner and into each test file's process.
//
// Node's test runner reads a test file's results from that file's stdout, a pipe. With
// --test-force-exit the file's process calls process.exit() as soon as its tests finish. On Linux,
// a write to a pipe whose buffer is full is queued, and process.exit() drops the queue. The runner
// then never receives the file's last results: they are missing from the report and the counts,
// and a failing test among them is reported only as "test failed" for the whole file. This is
// https://github.com/nodejs/node/issues/64833, reproduced here on Node.js 20.20, 22.23 and 24.22.
// A blocking pipe makes each write return only once the bytes are in the pipe, so nothing is left
// to drop.
//
// `_handle.setBlocking` is libuv's uv_stream_set_blocking, which Node.js itself uses for stdout on
// Windows. A stdout redirected to a file has no handle and is written synchronously already.
const handle = process.stdout._handle;
if (typeof handle?.setBlocking === "function") handle.setBlocking(true);
