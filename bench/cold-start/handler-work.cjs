// The work of the benchmark handler: one better-sqlite3 query on an in-memory table.
"use strict";

const Database = require("better-sqlite3");

const db = new Database(":memory:");
db.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)");
db.exec("INSERT INTO items (name) VALUES ('apple'), ('pear')");

exports.handle = async (event) => {
  const name = event.queryStringParameters?.name ?? "";
  const rows = db.prepare("SELECT id, name FROM items WHERE name = ?").all(name);
  return { statusCode: 200, body: JSON.stringify(rows) };
};
