/**
 * Parses a Cookie header into name and raw value pairs. Values stay percent-encoded: the input
 * collector adds the decoded form beside the raw one, since apps read cookies either way.
 */
export function parseCookies(header: string): Array<[string, string]> {
  const cookies: Array<[string, string]> = [];
  for (const part of header.split(";")) {
    const equals = part.indexOf("=");
    if (equals === -1) continue;

    const name = part.slice(0, equals).trim();
    let value = part.slice(equals + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2)
      value = value.slice(1, -1);
    if (name === "") continue;

    cookies.push([name, value]);
  }
  return cookies;
}
