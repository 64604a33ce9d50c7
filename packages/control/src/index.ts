export { main, defaultDatabase, defaultPort } from "./cli";
export { startServer, type ControlPlane } from "./server";
export { openDatabase } from "./store/open";
export type { Database } from "./store/database";
export { ensureFirstAdmin } from "./auth/sessions";
