export { detectPathTraversal, type PathFindingReason } from "./detect";
export { pathText } from "./path-text";
