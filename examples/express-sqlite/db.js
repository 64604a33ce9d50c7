"use strict";

// This example is CommonJS on purpose, because the agent loads with --require into CommonJS apps.
/* eslint-disable @typescript-eslint/no-require-imports */

const Database = require("better-sqlite3");

// Plain-text passwords and guessable tokens keep the demo readable. Never store secrets like this.
const users = [
  { name: "admin", email: "admin@example.test", password: "s3cret-admin", role: "admin" },
  { name: "alice", email: "alice@example.test", password: "wonderland", role: "user" },
  { name: "bob", email: "bob@example.test", password: "builder", role: "user" },
  { name: "Mary-Jane", email: "mj@example.test", password: "spider", role: "user" },
  { name: "O'Brien", email: "obrien@example.test", password: "ministry", role: "user" },
];

const products = [
  { name: "Claw hammer", category: "tools", price: 19.9 },
  { name: "Cordless drill", category: "tools", price: 89 },
  { name: "Chef's knife", category: "kitchen", price: 45.5 },
  { name: "Cast-iron pan", category: "kitchen", price: 39 },
  { name: "USB-C cable", category: "electronics", price: 9.99 },
  { name: "100% cotton apron", category: "kitchen", price: 15 },
  { name: "SQL for beginners", category: "books", price: 29 },
];

const sessions = [{ token: "alice-session-token", userId: 2 }];
const apiKeys = [{ key: "bob-api-key", userId: 3 }];

/** Creates an in-memory SQLite database with the demo schema and seed rows. */
function openDatabase() {
  const db = new Database(":memory:");

  db.exec(`
    CREATE TABLE users (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      email TEXT NOT NULL,
      password TEXT NOT NULL,
      role TEXT NOT NULL
    );
    CREATE TABLE products (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      category TEXT NOT NULL,
      price REAL NOT NULL
    );
    CREATE TABLE sessions (token TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id));
    CREATE TABLE api_keys (key TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id));
  `);

  const insertUser = db.prepare(
    "INSERT INTO users (name, email, password, role) VALUES (@name, @email, @password, @role)",
  );
  const insertProduct = db.prepare(
    "INSERT INTO products (name, category, price) VALUES (@name, @category, @price)",
  );
  const insertSession = db.prepare(
    "INSERT INTO sessions (token, user_id) VALUES (@token, @userId)",
  );
  const insertApiKey = db.prepare("INSERT INTO api_keys (key, user_id) VALUES (@key, @userId)");

  db.transaction(() => {
    users.forEach((user) => insertUser.run(user));
    products.forEach((product) => insertProduct.run(product));
    sessions.forEach((session) => insertSession.run(session));
    apiKeys.forEach((apiKey) => insertApiKey.run(apiKey));
  })();

  return db;
}

module.exports = { openDatabase };
