// Shell injection tricks against a route that runs `echo <value>` through a shell.
import { describe } from "node:test";

import { casesForValues, runCases, useEvasionApp } from "./evasion-app";

// prettier-ignore
const attacks = [
  ";id",
  "; id",
  "a;id",
  "a|id",
  "a||id",
  "a&&id",
  "a&id",
  "a\nid",
  "$(id)",
  "`id`",
  "a$(id)b",
  "${IFS}id",
  "a;i''d",
  'a;i""d',
  "a;\\i\\d",
  "a;/usr/bin/i?",
  "a>/tmp/rampart-evasion-out",
  "a<(id)",
  "a;$'\\x69d'",
  "a;{id,}",
];

describe("shell injection evasion", () => {
  const current = useEvasionApp();

  runCases(
    current,
    "echo argument",
    "shell_injection",
    casesForValues("shell", {
      attacks,
      benign: ["hello", "hello-world", "file.txt", "a_b.c", "42"],
    }),
  );
});
