import { after } from "node:test";

import { Agent, fetch as undiciFetch } from "undici";

import { frameworkSuite } from "./suite";
import { createTlsCertificate } from "./tls-certificate";

const certificate = createTlsCertificate();
after(() => certificate.remove());

// The global fetch cannot be given a CA; undici's own fetch takes a dispatcher that trusts only
// the test certificate.
const dispatcher = new Agent({ connect: { ca: certificate.cert } });
const httpsFetch = (url: string, init?: RequestInit) =>
  undiciFetch(url, { ...(init as object), dispatcher }) as unknown as Promise<Response>;

frameworkSuite("node:https", {
  script: "frameworks/node-http.cjs",
  loader: "require",
  env: { PROTOCOL: "https", TLS_KEY: certificate.keyFile, TLS_CERT: certificate.certFile },
  fetch: httpsFetch,
  skip: {
    "route param":
      "node:https has no route params; the value arrives as a path segment (path segment case)",
  },
});
