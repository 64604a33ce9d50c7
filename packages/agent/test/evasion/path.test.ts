// Path traversal tricks against a route that reads path.join(PUBLIC_DIR, value).
import { describe } from "node:test";

import { casesForValues, runCases, useEvasionApp } from "./evasion-app";

// prettier-ignore
const attacks = [
  "../secret.txt",
  "./../secret.txt",
  "..//secret.txt",
  ".././secret.txt",
  "docs/../../secret.txt",
  "docs/./../../secret.txt",
  "..///..//..//../etc/hostname",
  "../../../../../../../../etc/hostname",
];

describe("path traversal evasion", () => {
  const current = useEvasionApp();

  runCases(
    current,
    "file under the public folder",
    "path_traversal",
    casesForValues("path", {
      attacks,
      benign: ["readme.txt", "docs/guide.txt", "./readme.txt", "docs/../readme.txt"],
    }),
  );
});
