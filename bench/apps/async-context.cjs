// Preloaded with `--require` by `run.mjs --async-context`: runs each request of node:http and
// node:https servers inside an AsyncLocalStorage, as the agent does, and does nothing else. The
// app under this preload measures what the async context alone costs. On Node.js 20 that is a
// hook call for every promise and callback the request creates.
"use strict";

const { AsyncLocalStorage } = require("node:async_hooks");
const http = require("node:http");
const https = require("node:https");

const storage = new AsyncLocalStorage();

for (const Server of [http.Server, https.Server]) {
  const emit = Server.prototype.emit;
  Server.prototype.emit = function emitInContext(event, ...args) {
    if (event !== "request") return emit.call(this, event, ...args);
    return storage.run({ request: args[0] }, () => emit.call(this, event, ...args));
  };
}
