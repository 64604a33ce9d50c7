/** SQL dialect of a query. `mysql` also covers MariaDB. */
export type SqlDialect = "postgresql" | "mysql" | "sqlite";

/** Every supported dialect, in a fixed order, for loops in callers and tests. */
export const sqlDialects: readonly SqlDialect[] = ["postgresql", "mysql", "sqlite"];
