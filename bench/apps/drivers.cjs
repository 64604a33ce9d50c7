"use strict";

// Express app for the benchmarks: an empty route, and one route per SQL driver that the agent
// hooks, each running the same parameterized query. PostgreSQL and MariaDB must accept
// connections on 127.0.0.1 (user postgres, and root without a password). The SQLite drivers use
// in-memory databases. Prints "listening on <url>" once every driver is ready. CommonJS, because
// the agent loads with --require.

const express = require("express");

const { openDrivers } = require("./sql-drivers.cjs");

async function main() {
  const drivers = await openDrivers();
  const app = express();

  // No work at all, so the figure is the cost of the framework and of the agent's request hooks.
  app.get("/empty", (_req, res) => {
    res.json({ ok: true });
  });

  for (const [name, driver] of Object.entries(drivers.byName)) {
    app.get(`/drivers/${name}/products`, async (req, res, next) => {
      try {
        const rows = await driver.productsInCategory(String(req.query.category ?? ""));
        res.json(rows);
      } catch (error) {
        next(error);
      }
    });
  }

  // Concatenates input into SQL, so the benchmark can check that the agent blocks on this app.
  app.get("/probe", (req, res) => {
    const name = String(req.query.name ?? "");
    res.json(drivers.sqlite.prepare(`SELECT name FROM products WHERE name = '${name}'`).all());
  });

  app.use((error, _req, res, _next) => {
    if (error.code !== "RAMPART_ERR_BLOCKED") console.error(error);
    if (!res.headersSent) res.status(500).json({ error: error.message });
  });

  const server = app.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
    console.log(`listening on http://127.0.0.1:${server.address().port}`);
  });

  const stop = () => {
    server.close();
    drivers.close().finally(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((error) => {
  console.error(`The drivers app failed to start: ${error.stack ?? error}`);
  process.exit(1);
});
