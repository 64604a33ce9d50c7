export { detectSqlInjection } from "./detect";
export { type SqlDialect, sqlDialects } from "./dialect";
export type { SqlFindingReason } from "./judge";
export { tokenizeSql } from "./lexer";
export type { SqlToken, SqlTokenKind } from "./tokens";
