import { createFixtureDatabase, mysqlCorpusRoutes, mysqlSafeRoutes } from "../helpers/mysql-server";
import { describeSqlDriver } from "../helpers/sql-driver-suite";

describeSqlDriver({
  driver: "mysql",
  createFixture: (purpose) => createFixtureDatabase(`mysql_${purpose}`),
  app: "mysql-app.cjs",
  sink: "mysql.query",
  corpus: {
    vulnerable: mysqlCorpusRoutes,
    // /param formats `?` on the client with mysql's escaping: bound values are never judged.
    bound: mysqlSafeRoutes.slice(0, 1),
    safe: mysqlSafeRoutes,
  },
  callForms: [
    { path: "/string", sink: "mysql.query", via: "callback" },
    { path: "/form/connection-callback", sink: "mysql.query", via: "callback" },
    { path: "/form/config-object", sink: "mysql.query", via: "callback" },
    { path: "/form/events", sink: "mysql.query", via: "error-event" },
    { path: "/form/stream", sink: "mysql.query", via: "error-event" },
    { path: "/form/promisified", sink: "mysql.query", via: "rejection" },
    { path: "/form/get-connection", sink: "mysql.query", via: "callback" },
    { path: "/form/cluster", sink: "mysql.query", via: "callback" },
    { path: "/form/nested", sink: "mysql.query", via: "callback" },
  ],
  pool: { hold: "/single/hold", queued: "/single/string" },
});
