import { after } from "node:test";

import { http2Fetch } from "./http2-fetch";
import { frameworkSuite } from "./suite";
import { createTlsCertificate } from "./tls-certificate";

const certificate = createTlsCertificate();
after(() => certificate.remove());

const skip = {
  "route param":
    "node:http2 has no route params; the value arrives as a path segment (path segment case)",
};

for (const api of ["compat", "stream"]) {
  frameworkSuite(`node:http2 ${api} API over TLS`, {
    script: "frameworks/node-http2.cjs",
    loader: "require",
    env: { API: api, TLS: "on", TLS_KEY: certificate.keyFile, TLS_CERT: certificate.certFile },
    fetch: http2Fetch(certificate.cert),
    skip,
  });

  frameworkSuite(`node:http2 ${api} API in cleartext`, {
    script: "frameworks/node-http2.cjs",
    loader: "require",
    env: { API: api, TLS: "off" },
    fetch: http2Fetch(),
    skip,
  });
}
