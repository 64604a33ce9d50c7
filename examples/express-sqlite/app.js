"use strict";

// A deliberately vulnerable shop API. Most routes build SQL from request input by string
// concatenation, the way injectable code is written in the wild, so that Rampart has something
// to stop. Only GET /products/by-category uses a bound parameter, and that is how all of them
// should be written. The app is CommonJS on purpose, because the agent loads with --require.
/* eslint-disable @typescript-eslint/no-require-imports */

const express = require("express");

const { openDatabase } = require("./db");
const { addMoreRoutes, closeMoreRoutes } = require("./more-routes");

const db = openDatabase();
const app = express();

app.use(express.json());
app.use(express.urlencoded({ extended: false }));

app.get("/", (_req, res) => {
  res.json({
    routes: [
      "GET /users?name=alice",
      "GET /users/2",
      "GET /products?sort=price&order=desc",
      "GET /products/search?q=cable",
      "GET /products/by-category?category=tools",
      "POST /login {name, password}",
      "GET /me (cookie: session=...)",
      "GET /api/account (header: X-Api-Key)",
      "GET /files?name=readme.txt",
      "GET /files/lines?name=readme.txt",
      "GET /files/grep?word=shop",
      "GET /files/count?pattern=Shop",
      "GET /preview?url=...",
      "GET /products/preview?path=/products",
      "GET /calc?expr=2*(3%2B4)",
      "POST /preferences/import {data}",
      "POST /preferences/import-yaml {data}",
      "POST /mongo/login {name, password}",
      "GET /search/page?q=cable",
      "GET /go?next=/products",
      "GET /catalog?variant=summer-2026",
      "POST /settings {theme}",
    ],
  });
});

// Injectable: a string literal.
app.get("/users", (req, res) => {
  if (req.query.name === undefined) {
    res.status(400).json({ error: "Missing query parameter: name" });
    return;
  }
  const rows = db
    .prepare(`SELECT id, name, email FROM users WHERE name = '${req.query.name}'`)
    .all();
  res.json(rows);
});

// Injectable: a number, with no quotes around it in the SQL.
app.get("/users/:id", (req, res) => {
  const user = db.prepare("SELECT id, name, email FROM users WHERE id = " + req.params.id).get();
  if (user === undefined) {
    res.status(404).json({ error: "User not found" });
    return;
  }
  res.json(user);
});

// Injectable: identifiers and keywords, which bound parameters cannot carry.
app.get("/products", (req, res) => {
  const sort = req.query.sort ?? "id";
  const order = req.query.order ?? "asc";
  const rows = db
    .prepare(`SELECT id, name, category, price FROM products ORDER BY ${sort} ${order}`)
    .all();
  res.json(rows);
});

// Injectable: a LIKE pattern.
app.get("/products/search", (req, res) => {
  const q = req.query.q ?? "";
  const rows = db
    .prepare(`SELECT id, name, category, price FROM products WHERE name LIKE '%${q}%'`)
    .all();
  res.json(rows);
});

// Safe: the input is a bound parameter, so it can never change the statement.
app.get("/products/by-category", (req, res) => {
  const rows = db
    .prepare("SELECT id, name, category, price FROM products WHERE category = ?")
    .all(String(req.query.category ?? ""));
  res.json(rows);
});

// Injectable: two string literals from a JSON or form body.
app.post("/login", (req, res) => {
  const { name, password } = req.body ?? {};
  const user = db
    .prepare(`SELECT id, name, role FROM users WHERE name = '${name}' AND password = '${password}'`)
    .get();
  if (user === undefined) {
    res.status(401).json({ error: "Invalid name or password" });
    return;
  }
  res.json({ user });
});

// Injectable: a cookie.
app.get("/me", (req, res) => {
  const token = readCookie(req.get("cookie"), "session");
  const user = db
    .prepare(
      "SELECT users.id, users.name, users.role FROM sessions JOIN users ON users.id = sessions.user_id " +
        `WHERE sessions.token = '${token}'`,
    )
    .get();
  if (user === undefined) {
    res.status(401).json({ error: "Not signed in" });
    return;
  }
  res.json({ user });
});

// Injectable: a request header.
app.get("/api/account", (req, res) => {
  const key = req.get("x-api-key") ?? "";
  const user = db
    .prepare(
      "SELECT users.id, users.name, users.role FROM api_keys JOIN users ON users.id = api_keys.user_id " +
        `WHERE api_keys.key = '${key}'`,
    )
    .get();
  if (user === undefined) {
    res.status(401).json({ error: "Invalid API key" });
    return;
  }
  res.json({ user });
});

addMoreRoutes(app, () => `http://127.0.0.1:${server.address().port}`);

// Like many real apps, this leaks the database error message to the client. Attack tools use it
// to confirm an injection, which makes the unprotected run of sqlmap-check.sh a fair baseline.
app.use((err, req, res, _next) => {
  console.error(`${req.method} ${req.path} failed: ${err.name}: ${err.message}`);
  res.status(500).json({ error: "Internal Server Error", message: err.message });
});

/** Returns the percent-decoded value of one cookie, or "" when the header lacks it. */
function readCookie(header, name) {
  for (const part of (header ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeCookieValue(rest.join("="));
  }
  return "";
}

function decodeCookieValue(value) {
  try {
    return decodeURIComponent(value);
  } catch {
    // A malformed escape such as "%E0" stays as sent, as the `cookie` package does.
    return value;
  }
}

function readPort() {
  const raw = process.env.PORT ?? "3000";
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(
      `Invalid PORT "${raw}": expected an integer from 0 to 65535 (0 picks a free port).`,
    );
    process.exit(1);
  }
  return port;
}

const server = app.listen(readPort(), "127.0.0.1", () => {
  // Runners (demo.mjs, bench, sqlmap-check.sh) read the port from this exact line.
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});

server.on("error", (err) => {
  console.error(`Server error: ${err.message}. Set PORT to a free port, or to 0 to pick one.`);
  process.exit(1);
});

// Closing instead of calling process.exit() lets pending writes, such as Rampart's event log,
// finish before the process ends.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    server.close(() => {
      db.close();
      closeMoreRoutes().catch(() => {});
    });
    server.closeAllConnections();
  });
}
