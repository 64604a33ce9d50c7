"use strict";

// Times `collection.find(filter)` inside an HTTP request, the way an app calls it, without a
// MongoDB server: creating a cursor sends nothing until it is read, so the figure is the cost of
// the call itself, with or without the agent's hook. Prints one JSON line and exits.

const http = require("node:http");

const { MongoClient } = require("mongodb");

const calls = Number(process.env.CALLS ?? 20_000);
const client = new MongoClient("mongodb://127.0.0.1:9/bench", { serverSelectionTimeoutMS: 1 });
const products = client.db().collection("products");

function timeCalls(name) {
  const started = performance.now();
  for (let index = 0; index < calls; index++) {
    const cursor = products.find({ name, category: "tools" }).limit(1);
    // Closing an unread cursor sends nothing either.
    void cursor.close();
  }
  return ((performance.now() - started) * 1000) / calls;
}

const server = http.createServer((req, res) => {
  const name = new URL(req.url, "http://localhost").searchParams.get("name") ?? "";
  timeCalls(name); // warm-up
  const microseconds = timeCalls(name);
  res.end(JSON.stringify({ microsecondsPerCall: microseconds }));
});

server.listen(0, "127.0.0.1", async () => {
  const { port } = server.address();
  const response = await fetch(`http://127.0.0.1:${port}/products?name=cable`);
  console.log(await response.text());
  server.close();
  await client.close();
});
