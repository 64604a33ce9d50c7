import { frameworkSuite } from "./suite";

for (const framework of ["express4", "express5"]) {
  frameworkSuite(framework, {
    script: "frameworks/express.cjs",
    loader: "require",
    env: { FRAMEWORK: framework },
  });
}
