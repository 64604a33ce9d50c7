import { frameworkSuite } from "./suite";
import { routeTemplateTest } from "./route-template";

for (const adapter of ["express", "fastify"]) {
  const options = { script: `frameworks/nestjs-${adapter}.cjs`, loader: "require" } as const;
  frameworkSuite(`nestjs on ${adapter}`, options);
  routeTemplateTest(`nestjs on ${adapter}`, options);
}
