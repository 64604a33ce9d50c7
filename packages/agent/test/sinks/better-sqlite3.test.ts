import { describeSqlDriver } from "../helpers/sql-driver-suite";
import { createFixtureFile, sqliteCorpusRoutes, sqliteSafeRoutes } from "../helpers/sqlite-files";

// Every better-sqlite3 call is synchronous, so a blocked query throws inside the route.
describeSqlDriver({
  driver: "better-sqlite3",
  createFixture: () => createFixtureFile(),
  // Monitor-mode apps open the file read-only, so that no payload they run can change it.
  modeEnv: (mode) => ({ READ_ONLY: mode === "monitor" ? "1" : "0" }),
  app: "better-sqlite3-app.cjs",
  sink: "better-sqlite3.prepare",
  corpus: {
    vulnerable: sqliteCorpusRoutes,
    bound: sqliteSafeRoutes.slice(0, 1),
    safe: sqliteSafeRoutes,
  },
  callForms: [
    { path: "/string", sink: "better-sqlite3.prepare", via: "throw" },
    { path: "/form/get", sink: "better-sqlite3.prepare", via: "throw" },
    { path: "/form/iterate", sink: "better-sqlite3.prepare", via: "throw" },
    { path: "/form/transaction", sink: "better-sqlite3.prepare", via: "throw" },
    { path: "/form/exec", sink: "better-sqlite3.exec", via: "throw" },
    { path: "/form/timer", sink: "better-sqlite3.prepare", via: "throw" },
  ],
});
