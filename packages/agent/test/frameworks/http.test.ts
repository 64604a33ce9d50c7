import { frameworkSuite } from "./suite";

frameworkSuite("node:http", {
  script: "frameworks/node-http.cjs",
  loader: "require",
  env: { PROTOCOL: "http" },
  skip: {
    "route param":
      "node:http has no route params; the value arrives as a path segment (path segment case)",
  },
});
