// The headers of an ordinary browser request to an app's API, shared by the load scenario that
// sends them and the input collection microbenchmark. A production request carries many more
// inputs than a load generator's bare request, and the agent's input collection grows with them.

const encodeJson = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** A JSON Web Token as an API client sends it: header and claims as base64url JSON, then a signature. */
const bearerToken = [
  encodeJson({ alg: "HS256", typ: "JWT" }),
  encodeJson({ sub: "user-1842", name: "Alice Example", iat: 1733400000 }),
  "c2lnbmF0dXJlLWJ5dGVzLW5vdC10ZXh0Pz8_",
].join(".");

/** The 13 headers of a Chromium request other than Host and Connection, with a bearer token and three cookies. */
export const browserHeaders = {
  "sec-ch-ua": '"Chromium";v="131", "Not_A Brand";v="24"',
  "sec-ch-ua-mobile": "?0",
  "sec-ch-ua-platform": '"Linux"',
  "user-agent":
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  accept: "application/json, text/plain, */*",
  "sec-fetch-site": "same-origin",
  "sec-fetch-mode": "cors",
  "sec-fetch-dest": "empty",
  referer: "https://shop.example.test/products/42",
  "accept-encoding": "gzip, deflate, br, zstd",
  "accept-language": "en-US,en;q=0.9",
  authorization: `Bearer ${bearerToken}`,
  cookie: "session=s%3Agjdgxtabcd.xyz; theme=dark; _ga=GA1.2.123456789.1733400000",
};
