"use strict";

// Connections of the seven SQL drivers that the agent hooks, each with a table of the same rows and
// a function that runs the same parameterized query. The server drivers use the loopback servers
// of the test machine: PostgreSQL as user postgres (database postgres), MariaDB as root without a
// password (database rampart_bench, created here).

const tableName = "rampart_bench_products";
const categories = ["tools", "kitchen", "electronics", "books", "garden"];
// 10 connections per driver, as many as the load generator keeps open.
const poolSize = 10;

const rows = Array.from({ length: 50 }, (_, index) => ({
  id: index + 1,
  name: `Product ${index + 1}`,
  category: categories[index % categories.length],
  price: Math.round((5 + index * 3.7) * 100) / 100,
}));

const selectColumns = `SELECT id, name, category, price FROM ${tableName}`;
const orderAndLimit = "ORDER BY id LIMIT 10";

function insertValues(placeholder) {
  const tuples = rows.map((_, index) =>
    [0, 1, 2, 3].map((column) => placeholder(index * 4 + column + 1)).join(", "),
  );
  return {
    text: `INSERT INTO ${tableName} (id, name, category, price) VALUES (${tuples.join("), (")})`,
    values: rows.flatMap((row) => [row.id, row.name, row.category, row.price]),
  };
}

const createTable = (priceType) =>
  `CREATE TABLE ${tableName} (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL, ` +
  `category VARCHAR(40) NOT NULL, price ${priceType} NOT NULL)`;

async function openPostgresDrivers() {
  const pg = require("pg");
  const postgres = require("postgres");
  const connection = { host: "127.0.0.1", port: 5432, user: "postgres", database: "postgres" };

  const pool = new pg.Pool({ ...connection, max: poolSize });
  // Recreated on each start, so the rows are the same on both sides of a comparison.
  await pool.query(`DROP TABLE IF EXISTS ${tableName}`);
  await pool.query(createTable("NUMERIC(10, 2)"));
  const insert = insertValues((index) => `$${index}`);
  await pool.query(insert.text, insert.values);

  // Idle connections close after 10 s, as pg.Pool's do by default, so that the benchmark does not
  // keep PostgreSQL connection slots that other clients of the server need.
  const sql = postgres({
    ...connection,
    username: connection.user,
    max: poolSize,
    idle_timeout: 10,
  });
  return {
    pg: {
      productsInCategory: async (category) =>
        (await pool.query(`${selectColumns} WHERE category = $1 ${orderAndLimit}`, [category]))
          .rows,
      close: () => pool.end(),
    },
    postgres: {
      productsInCategory: (category) =>
        sql`SELECT id, name, category, price FROM rampart_bench_products WHERE category = ${category} ORDER BY id LIMIT 10`,
      close: () => sql.end({ timeout: 1 }),
    },
  };
}

async function openMariadbDrivers() {
  const mysql = require("mysql");
  const mysql2 = require("mysql2/promise");
  const mariadb = require("mariadb");
  const server = { host: "127.0.0.1", port: 3306, user: "root" };
  const connection = { ...server, database: "rampart_bench" };

  const setup = await mysql2.createConnection(server);
  await setup.query("CREATE DATABASE IF NOT EXISTS rampart_bench");
  await setup.query("USE rampart_bench");
  await setup.query(`DROP TABLE IF EXISTS ${tableName}`);
  await setup.query(createTable("DECIMAL(10, 2)"));
  const insert = insertValues(() => "?");
  await setup.query(insert.text, insert.values);
  await setup.end();

  const select = `${selectColumns} WHERE category = ? ${orderAndLimit}`;
  const mysqlPool = mysql.createPool({ ...connection, connectionLimit: poolSize });
  const mysql2Pool = mysql2.createPool({ ...connection, connectionLimit: poolSize });
  const mariadbPool = mariadb.createPool({ ...connection, connectionLimit: poolSize });

  return {
    mysql: {
      productsInCategory: (category) =>
        new Promise((resolve, reject) =>
          mysqlPool.query(select, [category], (error, result) =>
            error ? reject(error) : resolve(result),
          ),
        ),
      close: () => new Promise((resolve) => mysqlPool.end(() => resolve())),
    },
    mysql2: {
      productsInCategory: async (category) => (await mysql2Pool.execute(select, [category]))[0],
      close: () => mysql2Pool.end(),
    },
    mariadb: {
      productsInCategory: (category) => mariadbPool.query(select, [category]),
      close: () => mariadbPool.end(),
    },
  };
}

async function openSqliteDrivers() {
  const Database = require("better-sqlite3");
  const sqlite3 = require("sqlite3");
  const select = `${selectColumns} WHERE category = ? ${orderAndLimit}`;
  const insert = insertValues(() => "?");

  const betterDb = new Database(":memory:");
  betterDb.exec(createTable("REAL"));
  betterDb.prepare(insert.text).run(...insert.values);

  const sqliteDb = new sqlite3.Database(":memory:");
  const run = (text, values = []) =>
    new Promise((resolve, reject) =>
      sqliteDb.run(text, values, (error) => (error ? reject(error) : resolve())),
    );
  await run(createTable("REAL"));
  await run(insert.text, insert.values);
  // The probe route queries a table named products.
  betterDb.exec("CREATE TABLE products (name TEXT NOT NULL)");

  return {
    betterDb,
    drivers: {
      // Prepared on each request, as apps that build statements per call do: prepare() is where
      // the agent inspects the SQL.
      "better-sqlite3": {
        productsInCategory: async (category) => betterDb.prepare(select).all(category),
        close: async () => betterDb.close(),
      },
      sqlite3: {
        productsInCategory: (category) =>
          new Promise((resolve, reject) =>
            sqliteDb.all(select, [category], (error, result) =>
              error ? reject(error) : resolve(result),
            ),
          ),
        close: () => new Promise((resolve) => sqliteDb.close(() => resolve())),
      },
    },
  };
}

/**
 * Opens every driver and fills its table. Returns the drivers by package name, the
 * better-sqlite3 database (for the probe route) and a function that closes them all.
 */
async function openDrivers() {
  const postgresDrivers = await openPostgresDrivers();
  const mariadbDrivers = await openMariadbDrivers();
  const sqlite = await openSqliteDrivers();
  const byName = { ...postgresDrivers, ...mariadbDrivers, ...sqlite.drivers };

  return {
    byName,
    sqlite: sqlite.betterDb,
    close: () => Promise.allSettled(Object.values(byName).map((driver) => driver.close())),
  };
}

module.exports = { openDrivers };
