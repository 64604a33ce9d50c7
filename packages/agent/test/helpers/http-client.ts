import http from "node:http";

/** A response read in full. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface HttpRequest {
  /** Path and query string, such as `/users?name=x`. */
  readonly path: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** Default number of requests in flight for `sendAll`: enough to overlap app and database work on 2 cores. */
export const defaultConcurrency = 8;

/**
 * Sends requests to one app over keep-alive connections, so a corpus of thousands of requests does not
 * open thousands of sockets. Call `close()` when done, or the agent's idle sockets keep the test alive.
 */
export class HttpClient {
  private readonly agent: http.Agent;
  private readonly base: URL;

  constructor(baseUrl: string, maxSockets = defaultConcurrency) {
    this.base = new URL(baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  /** Sends one GET request. */
  get(path: string, headers: Record<string, string> = {}): Promise<HttpResponse> {
    return this.send({ path, headers });
  }

  /** Sends one request and reads the whole body as UTF-8. */
  send(request: HttpRequest): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const outgoing = http.request(
        {
          agent: this.agent,
          host: this.base.hostname,
          port: this.base.port,
          method: request.method ?? "GET",
          path: request.path,
          headers: request.headers,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("error", reject);
          response.on("end", () => {
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: Buffer.concat(chunks).toString("utf8"),
            });
          });
        },
      );
      outgoing.on("error", reject);
      outgoing.end(request.body);
    });
  }

  /** Sends every request with at most `concurrency` in flight; results keep the order of `requests`. */
  sendAll(
    requests: readonly HttpRequest[],
    concurrency = defaultConcurrency,
  ): Promise<HttpResponse[]> {
    return mapConcurrently(requests, concurrency, (request) => this.send(request));
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs `task` on every item with at most `concurrency` tasks pending; results keep the items' order. */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;

  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T, index);
    }
  };

  const workers = Array.from({ length: Math.min(concurrency, items.length) }, worker);
  await Promise.all(workers);
  return results;
}

/** Builds `path?name=value&…` from pairs; a repeated name gives repeated keys (`?id=a&id=b`). */
export function withQuery(path: string, pairs: ReadonlyArray<readonly [string, string]>): string {
  const query = pairs
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .join("&");
  return query === "" ? path : `${path}?${query}`;
}
