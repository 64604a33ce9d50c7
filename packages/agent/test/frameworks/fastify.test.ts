import { frameworkSuite } from "./suite";

for (const framework of ["fastify4", "fastify5"]) {
  frameworkSuite(framework, {
    script: "frameworks/fastify.cjs",
    loader: "require",
    env: { FRAMEWORK: framework },
  });
}
