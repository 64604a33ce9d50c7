import "./request-gate";

export { gatePolicySchema } from "./schema";
export type * from "./settings";
export { applyGatePolicy } from "./gate-state";
export { gateRequest } from "./request-gate";
export { setUser, userOfRequest, type User } from "./set-user";
export { scannerUserAgents } from "./scanner-agents";
export { sensitivePaths } from "./sensitive-paths";
