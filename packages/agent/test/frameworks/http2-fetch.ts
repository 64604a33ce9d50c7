import http2 from "node:http2";

/**
 * A fetch over HTTP/2 with node:http2's client, for the shared suite: one session per call,
 * trusting only `ca` for TLS. Returns a standard Response built from the status, headers and body.
 */
export function http2Fetch(ca?: string): (url: string, init?: RequestInit) => Promise<Response> {
  return (url, init = {}) =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const session = http2.connect(target.origin, ca === undefined ? {} : { ca });
      session.on("error", reject);

      const headers: http2.OutgoingHttpHeaders = {
        ":method": init.method ?? "GET",
        ":path": target.pathname + target.search,
      };
      for (const [name, value] of new Headers(init.headers)) headers[name] = value;

      const stream = session.request(headers);
      const chunks: Buffer[] = [];
      let responseHeaders: http2.IncomingHttpHeaders = {};
      stream.on("response", (received) => (responseHeaders = received));
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", (error) => {
        session.close();
        reject(error);
      });
      stream.on("end", () => {
        session.close();
        const plain = new Headers();
        for (const [name, value] of Object.entries(responseHeaders)) {
          if (!name.startsWith(":") && typeof value === "string") plain.set(name, value);
        }
        resolve(
          new Response(Buffer.concat(chunks), {
            status: Number(responseHeaders[":status"]),
            headers: plain,
          }),
        );
      });
      stream.end(typeof init.body === "string" ? init.body : undefined);
    });
}
