"use strict";

// Routes with the other classic injection points: a shell command, a file path, an outgoing
// request, code, a MongoDB filter, a deserializer, HTML, a redirect and a merged settings object.
// Like the SQL routes in app.js they trust their input on purpose. Every attack that demo.mjs
// sends here is harmless even if it ran: it reads files, prints text or talks to 127.0.0.1.
/* eslint-disable @typescript-eslint/no-require-imports */

const { exec, execFile } = require("node:child_process");
const { readFile } = require("node:fs/promises");
const path = require("node:path");

const yaml = require("js-yaml");
const { MongoClient } = require("mongodb");
const serialize = require("node-serialize");

const filesDir = path.join(__dirname, "files");

// No MongoDB server runs next to the demo: the client fails fast, and a benign query returns 503
// after the driver tried. The agent judges the filter before the driver sends anything.
const mongo = new MongoClient("mongodb://127.0.0.1:27017/shop", {
  serverSelectionTimeoutMS: 300,
  connectTimeoutMS: 300,
});

/** Adds the routes to an Express app. `selfUrl()` returns the app's own base URL once listening. */
function addMoreRoutes(app, selfUrl) {
  // Path traversal: the name is joined to the files directory.
  app.get("/files", async (req, res, next) => {
    try {
      const text = await readFile(path.join(filesDir, String(req.query.name ?? "")), "utf8");
      res.type("text/plain").send(text);
    } catch (error) {
      next(error);
    }
  });

  // Command injection: the name is pasted into a shell command.
  app.get("/files/lines", (req, res, next) => {
    exec(`wc -l ${filesDir}/${req.query.name ?? ""}`, (error, stdout) => {
      if (error) return next(error);
      res.type("text/plain").send(stdout);
    });
  });

  // Command injection inside quotes: safe for words and sentences, not for a closing quote.
  app.get("/files/grep", (req, res) => {
    exec(`grep -c "${req.query.word ?? ""}" ${filesDir}/readme.txt`, (error, stdout) => {
      // grep exits 1 when nothing matches, which is a result, not a failure.
      res.type("text/plain").send(error && error.code !== 1 ? "error\n" : stdout);
    });
  });

  // Option injection: no shell, but a pattern that starts with `-` is read by grep as an option
  // (`--file=/etc/passwd` makes it read its patterns from that file).
  app.get("/files/count", (req, res) => {
    const pattern = String(req.query.pattern ?? "");
    execFile("grep", ["-c", pattern, path.join(filesDir, "readme.txt")], (error, stdout) => {
      res.type("text/plain").send(error && error.code !== 1 ? "error\n" : stdout);
    });
  });

  // SSRF: the app fetches whatever URL the client names.
  app.get("/preview", async (req, res, next) => {
    try {
      const response = await fetch(String(req.query.url ?? ""), {
        signal: AbortSignal.timeout(2000),
      });
      res.type("text/plain").send((await response.text()).slice(0, 200));
    } catch (error) {
      next(error);
    }
  });

  // Not SSRF: the host is the app's own, only the path comes from the client.
  app.get("/products/preview", async (req, res, next) => {
    try {
      const response = await fetch(new URL(String(req.query.path ?? "/"), selfUrl()));
      res.type("application/json").send(await response.text());
    } catch (error) {
      next(error);
    }
  });

  // Code injection: a calculator that compiles the expression.
  app.get("/calc", (req, res, next) => {
    try {
      const result = new Function(`return (${req.query.expr ?? "0"});`)();
      res.json({ result });
    } catch (error) {
      next(error);
    }
  });

  // Unsafe deserialization: node-serialize runs functions marked in its format.
  app.post("/preferences/import", (req, res, next) => {
    try {
      res.json({ preferences: serialize.unserialize(String(req.body?.data ?? "{}")) });
    } catch (error) {
      next(error);
    }
  });

  // YAML import with the default schema, which js-yaml keeps free of executable types.
  app.post("/preferences/import-yaml", (req, res, next) => {
    try {
      res.json({ preferences: yaml.load(String(req.body?.data ?? "")) });
    } catch (error) {
      next(error);
    }
  });

  // NoSQL injection: a JSON body can carry {"$ne": ""} where the app expects a string.
  app.post("/mongo/login", async (req, res, next) => {
    try {
      const user = await mongo
        .db()
        .collection("users")
        .findOne({ name: req.body?.name, password: req.body?.password });
      res.json({ user });
    } catch (error) {
      if (error?.name === "MongoServerSelectionError") {
        res.status(503).json({ error: "MongoDB is not reachable" });
        return;
      }
      next(error);
    }
  });

  // Reflected XSS: the query is written into HTML without escaping.
  app.get("/search/page", (req, res) => {
    res.type("html").send(`<!doctype html><h1>Results for ${req.query.q ?? ""}</h1>`);
  });

  // Open redirect: any target the client names.
  app.get("/go", (req, res) => {
    res.redirect(String(req.query.next ?? "/"));
  });

  // Header injection: early hints carry a header built from the query. Node refuses CR and LF in
  // every other header API, but not in this one.
  app.get("/catalog", (req, res) => {
    const variant = String(req.query.variant ?? "default");
    res.writeEarlyHints({ link: "</styles.css>; rel=preload; as=style", "x-variant": variant });
    res.json({ variant });
  });

  // Prototype pollution shape: settings merged from a JSON body.
  app.post("/settings", (req, res) => {
    res.json({ settings: Object.assign({ theme: "light" }, req.body) });
  });
}

function closeMoreRoutes() {
  return mongo.close();
}

module.exports = { addMoreRoutes, closeMoreRoutes };
