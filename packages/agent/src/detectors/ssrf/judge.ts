import type { Finding, UserInput } from "../types";
import type { AllowList } from "./allow-list";
import { findHostChooser } from "./host-choice";
import { classifyHostName } from "./host-names";
import { categoryOfLiteral, isInternalCategory, type AddressCategory } from "./ranges";
import type { RequestTarget } from "./target";

/** One connection of an outgoing request: the host it goes to and the addresses it reaches. */
export interface Connection {
  /** URL that the app requested first; redirects keep it, so the chain's origin stays known. */
  readonly origin: RequestTarget;
  /** Host of this connection, equal to the origin's host unless a redirect moved the request. */
  readonly hostname: string;
  readonly redirected: boolean;
  /** Addresses the host resolved to, or the literal itself; empty when not known yet. */
  readonly addresses: readonly string[];
  /** True when the connection goes to the address and port that received the incoming request. */
  readonly toSelf?: boolean;
  /** True when a cloud SDK requested its metadata host itself (credential lookups). */
  readonly fromCloudSdk?: boolean;
}

/**
 * Returns the most sensitive category among the host name and its addresses: `cloud-metadata`
 * first, then any internal category, else `public`. Costs one IP parse per address.
 */
export function connectionCategory(
  hostname: string,
  addresses: readonly string[],
): AddressCategory {
  let worst: AddressCategory =
    classifyHostName(hostname) ?? categoryOfLiteral(hostname) ?? "public";

  for (const address of addresses) {
    if (worst === "cloud-metadata") break;

    const category = categoryOfLiteral(address) ?? "public";
    if (
      category === "cloud-metadata" ||
      (isInternalCategory(category) && !isInternalCategory(worst))
    ) {
      worst = category;
    }
  }
  return worst;
}

/**
 * Judges one connection against the request's inputs:
 * - a cloud-metadata address is refused whatever chose it (finding without input), except for a
 *   cloud SDK's own credential lookup that no input chose;
 * - another internal address is an attack when an input chose the origin's host, unless the
 *   allow-list contains the connection's host or all its addresses;
 * - a public address is never a finding;
 * - a header (Host, Origin, Referer) that names the app itself does not make a call back to the
 *   app an attack, because browsers send those headers with the app's own address.
 */
export function judgeConnection(
  connection: Connection,
  inputs: readonly UserInput[],
  allowList: AllowList,
): Finding | undefined {
  const category = connectionCategory(connection.hostname, connection.addresses);
  const offset = connection.origin.hostStart;
  if (category === "cloud-metadata") {
    const input = findHostChooser(connection.origin, inputs);
    if (input !== undefined) return { input, offset, reason: "cloud-metadata" };
    if (connection.fromCloudSdk === true) return undefined;
    return { offset, reason: "cloud-metadata" };
  }
  if (!isInternalCategory(category)) return undefined;

  if (allowList.allows(connection.hostname, connection.addresses)) return undefined;

  const input = findHostChooser(connection.origin, inputs);
  if (input === undefined) return undefined;
  if (connection.toSelf === true && input.source === "headers") return undefined;

  const reason = connection.redirected ? "redirect-to-internal" : `internal-address-${category}`;
  return { input, offset, reason };
}
