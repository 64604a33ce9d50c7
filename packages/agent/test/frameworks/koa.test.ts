import { frameworkSuite } from "./suite";
import { routeTemplateTest } from "./route-template";

const setups = [
  { framework: "koa2", bodyParser: "koa-bodyparser" },
  { framework: "koa2", bodyParser: "@koa/bodyparser" },
  { framework: "koa3", bodyParser: "@koa/bodyparser" },
  { framework: "koa3", bodyParser: "koa-bodyparser" },
];

for (const { framework, bodyParser } of setups) {
  const options = {
    script: "frameworks/koa.cjs",
    loader: "require",
    env: { FRAMEWORK: framework, BODY_PARSER: bodyParser },
  } as const;
  frameworkSuite(`${framework} with ${bodyParser}`, options);
  routeTemplateTest(`${framework} with ${bodyParser}`, options);
}

// Koa 3 and @koa/router load as ES modules here. The package installed as `koa` is Koa 3.
const imported = { script: "frameworks/koa.mjs", loader: "import" } as const;
frameworkSuite("koa3 imported as ES modules", imported);
routeTemplateTest("koa3 imported as ES modules", imported);
