// Reflected XSS and open redirect tricks, with both types set to block.
import { describe } from "node:test";

import { casesForValues, runCases, useEvasionApp } from "./evasion-app";

// prettier-ignore
const markup = [
  "<script>alert(1)</script>",
  "<ScRiPt>alert(1)</sCrIpT>",
  "<img src=x onerror=alert(1)>",
  "<IMG SRC=x OnErRoR=alert(1)>",
  "<svg/onload=alert(1)>",
  "<img\tsrc=x\nonerror=alert(1)>",
  '<iframe src="javascript:alert(1)">',
  '<a href="jav&#x09;ascript:alert(1)">x</a>',
  '<a href=" JaVaScRiPt:alert(1)">x</a>',
  "<!--><script>alert(1)</script>",
  "</p><script>alert(1)</script>",
  "<scr<script>ipt>alert(1)</script>",
  "<details open ontoggle=alert(1)>",
  "<math><mtext><img src=x onerror=alert(1)>",
  "<script\n>alert(1)</script\n>",
  "<svg><script>alert&#40;1&#41;</script>",
];

// prettier-ignore
const redirects = [
  "//evil.example/",
  "///evil.example/",
  "https://evil.example/",
  "HTTPS://EVIL.EXAMPLE/",
  "https:evil.example",
  "/\\evil.example/",
  "\\\\evil.example/",
  "https://evil.example\\@app.example/",
];

describe("XSS and open redirect evasion", () => {
  const current = useEvasionApp({
    RAMPART_DETECTOR_MODES: "xss=block,open_redirect=block",
  });

  runCases(
    current,
    "reflected in a page",
    "xss",
    casesForValues("xss", {
      attacks: markup,
      benign: ["hello", "a < b", "1 > 0", "x = 1", "Tom & Jerry", "javascript is fun"],
    }),
  );

  runCases(
    current,
    "redirect target",
    "open_redirect",
    casesForValues(
      "redirect",
      { attacks: redirects, benign: ["/home", "/search?q=//evil.example", "home", "./x//y"] },
      302,
    ),
  );
});
