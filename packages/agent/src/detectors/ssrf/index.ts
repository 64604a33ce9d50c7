export { AllowList, parseAllowEntry } from "./allow-list";
export { findHostChooser } from "./host-choice";
export { classifyHostName, normalizeHost } from "./host-names";
export { formatIPv4, parseIPv4 } from "./ipv4";
export { parseIPv6 } from "./ipv6";
export { connectionCategory, judgeConnection, type Connection } from "./judge";
export {
  classifyIPv4,
  classifyIPv6,
  categoryOfLiteral,
  classifyIpLiteral,
  isInternalCategory,
  type AddressCategory,
  type ClassifiedAddress,
} from "./ranges";
export { hostSpan, targetFromParts, targetFromUrl, type RequestTarget } from "./target";
