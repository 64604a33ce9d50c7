import assert from "node:assert/strict";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, test } from "node:test";

import { detectPathTraversal, pathText } from "../../../src/detectors/path";
import type { UserInput } from "../../../src/detectors/types";

const base = "/srv/app/public";

function inputs(...values: string[]): UserInput[] {
  return values.map((value, index) => ({ source: "query", path: `query.f${index}`, value }));
}

/** Returns the finding's reason, or undefined when the path is not flagged. */
function reasonFor(filePath: string, ...values: string[]): string | undefined {
  return detectPathTraversal(filePath, inputs(...values))?.reason;
}

describe("path traversal flagged", () => {
  const cases: Array<[string, string, string, string]> = [
    ["join climbs out", path.join(base, "../../etc/passwd"), "../../etc/passwd", "climbs-out"],
    ["concatenation climbs out", `${base}/../../etc/passwd`, "../../etc/passwd", "climbs-out"],
    ["resolve climbs out", path.resolve(base, "../secret.txt"), "../secret.txt", "climbs-out"],
    [
      "deep climb clamps at root",
      path.join(base, "../".repeat(20) + "etc/passwd"),
      "../".repeat(20) + "etc/passwd",
      "climbs-out",
    ],
    [
      "climb after a folder",
      path.join(base, "img/../../../etc/passwd"),
      "img/../../../etc/passwd",
      "climbs-out",
    ],
    [
      "climb with extension added",
      `${base}/../../etc/passwd.json`,
      "../../etc/passwd",
      "climbs-out",
    ],
    [
      "join of climb with extension",
      path.join(base, "../../etc/passwd") + ".json",
      "../../etc/passwd",
      "climbs-out",
    ],
    [
      "leading slash then climb",
      path.join(base, "/../../etc/passwd"),
      "/../../etc/passwd",
      "climbs-out",
    ],
    [
      "file prefix then climb",
      `${base}/img_/../../../etc/passwd`,
      "/../../../etc/passwd",
      "climbs-out",
    ],
    ["whole path relative climb", "../../etc/passwd", "../../etc/passwd", "climbs-out"],
    ["absolute whole path", "/etc/passwd", "/etc/passwd", "absolute-path"],
    [
      "resolve of absolute input",
      path.resolve(base, "/etc/passwd"),
      "/etc/passwd",
      "absolute-path",
    ],
    [
      "resolve normalizes absolute",
      path.resolve(base, "/etc//./passwd/"),
      "/etc//./passwd/",
      "absolute-path",
    ],
    ["absolute input plus extension", "/etc/passwd.txt", "/etc/passwd", "absolute-path"],
    ["drive letter backslash", "C:\\Windows\\win.ini", "C:\\Windows\\win.ini", "absolute-path"],
    ["drive letter slash", "c:/windows/win.ini", "c:/windows/win.ini", "absolute-path"],
    ["UNC share", "\\\\server\\share\\file.txt", "\\\\server\\share\\file.txt", "absolute-path"],
    ["backslash climb", `${base}/..\\..\\etc\\passwd`, "..\\..\\etc\\passwd", "climbs-out"],
    ["mixed separators", `${base}/..\\../etc/passwd`, "..\\../etc/passwd", "climbs-out"],
    ["NUL byte", `${base}/report.pdf\0.png`, "report.pdf\0", "null-byte"],
    [
      "NUL byte with climb",
      path.join(base, "../../etc/passwd\0"),
      "../../etc/passwd\0",
      "climbs-out",
    ],
  ];

  for (const [name, filePath, value, reason] of cases) {
    test(name, () => {
      assert.equal(reasonFor(filePath, value), reason);
    });
  }
});

describe("path traversal after app transforms", () => {
  test("decoded again by the app", () => {
    // The collector contains `%2e%2e%2f…` (one decode); the app decodes a second time.
    const received = "%2e%2e%2f%2e%2e%2fetc%2fpasswd";
    assert.equal(reasonFor(path.join(base, decodeURIComponent(received)), received), "climbs-out");
  });

  test("decoded three times", () => {
    const received = "%252e%252e%252fsecret";
    const decoded = decodeURIComponent(decodeURIComponent(received));
    assert.equal(reasonFor(`${base}/${decoded}`, received), "climbs-out");
  });

  test("overlong UTF-8 decoded leniently", () => {
    assert.equal(
      reasonFor(`${base}/../../etc/passwd`, "%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd"),
      "climbs-out",
    );
  });

  test("encoded backslash decoded", () => {
    assert.equal(reasonFor(`${base}/..\\..\\secret`, "..%5c..%5csecret"), "climbs-out");
  });

  test("../ stripped once", () => {
    const received = "....//....//etc/passwd";
    assert.equal(reasonFor(`${base}/${received.replaceAll("../", "")}`, received), "climbs-out");
  });

  test("..\\ stripped once", () => {
    const received = "....\\\\....\\\\secret";
    assert.equal(reasonFor(`${base}/${received.replaceAll("..\\", "")}`, received), "climbs-out");
  });

  test("file URL input opened as URL", () => {
    assert.equal(reasonFor("/etc/passwd", "file:///etc/passwd"), "absolute-path");
  });

  test("relative URL resolved against a file URL base", () => {
    const url = new URL("../../etc/passwd", pathToFileURL(`${base}/`));
    assert.equal(reasonFor(pathText(url) as string, "../../etc/passwd"), "climbs-out");
  });
});

describe("path traversal not flagged", () => {
  const cases: Array<[string, string, string]> = [
    ["dots inside a name", path.join(base, "report..final.pdf"), "report..final.pdf"],
    ["dot file", path.join(base, ".env.example"), ".env.example"],
    ["version folder", path.join(base, "v1.2.3/readme.txt"), "v1.2.3/readme.txt"],
    ["trailing double dot in name", path.join(base, "notes..txt"), "notes..txt"],
    ["ellipsis name", path.join(base, "...and then.txt"), "...and then.txt"],
    ["climb that stays inside, joined", path.join(base, "a/../b"), "a/../b"],
    ["climb that stays inside, concatenated", `${base}/a/../b`, "a/../b"],
    ["climb back to the base", `${base}/a/..`, "a/.."],
    ["system directory name inside app", "/srv/app/etc/config.json", "etc"],
    ["system path joined inside", path.join(base, "/etc/passwd"), "/etc/passwd"],
    ["absolute input used as a folder", "/srv/app/views/index.ejs", "/srv"],
    ["root input", "/srv/app/views/index.ejs", "/"],
    ["double dot name after prefix", `${base}/img_../x`, "../x"],
    ["backslash name inside", path.join(base, "a\\b.txt"), "a\\b.txt"],
    ["drive letter inside a joined path", path.join(base, "C:\\x"), "C:\\x"],
    ["file URL string as a relative path", "file:///etc/passwd", "file:///etc/passwd"],
    [
      "encoded climb used as received",
      path.join(base, "..%2f..%2fetc%2fpasswd"),
      "..%2f..%2fetc%2fpasswd",
    ],
    ["input not in the path", "/srv/app/views/index.ejs", "../../etc/passwd"],
    ["empty path", "", "../x"],
  ];

  for (const [name, filePath, value] of cases) {
    test(name, () => {
      assert.equal(reasonFor(filePath, value), undefined);
    });
  }

  test("relative app path with inside climb", () => {
    assert.equal(reasonFor("uploads/a/../b.txt", "a/../b.txt"), undefined);
    assert.equal(reasonFor("uploads/../../b.txt", "../../b.txt"), "climbs-out");
  });

  test("headers without path syntax ignored", () => {
    const headers = inputs(
      "Mozilla/5.0 (X11; Linux x86_64)",
      "127.0.0.1:3000",
      "*/*",
      "gzip, deflate",
    );
    assert.equal(detectPathTraversal("/srv/app/public/index.html", headers), undefined);
  });
});

describe("path traversal finding details", () => {
  test("offset and input of a verbatim climb", () => {
    const filePath = `${base}/../secret`;
    const finding = detectPathTraversal(filePath, inputs("hello", "../secret"));
    assert.equal(finding?.offset, base.length + 1);
    assert.equal(finding?.input?.path, "query.f1");
  });

  test("offset of a normalized climb", () => {
    const filePath = path.join(base, "../../etc/passwd");
    const finding = detectPathTraversal(filePath, inputs("../../etc/passwd"));
    assert.equal(filePath.slice(finding?.offset), "/etc/passwd");
  });

  test("basename-sanitized climb still reported", () => {
    // Without the base directory, this path cannot be distinguished from path.join leaving it.
    const filePath = path.join(base, path.basename("../secret.txt"));
    assert.equal(reasonFor(filePath, "../secret.txt"), "climbs-out");
  });

  test("decoded spelling ignored when value used as received", () => {
    // The app used `..%c0%af` literally, so the tail `/etc/passwd` in the path is no climb.
    const received = "..%c0%af..%c0%af/etc/passwd";
    assert.equal(reasonFor(path.join(base, received), received), undefined);
  });
});

describe("pathText", () => {
  test("string kept", () => {
    assert.equal(pathText("/a/b"), "/a/b");
  });

  test("Buffer read as UTF-8", () => {
    assert.equal(pathText(Buffer.from("/srv/é/../x")), "/srv/é/../x");
  });

  test("Uint8Array view read as UTF-8", () => {
    const bytes = Buffer.from("xx/a/b");
    assert.equal(pathText(new Uint8Array(bytes.buffer, bytes.byteOffset + 2, 4)), "/a/b");
  });

  test("file URL becomes its path", () => {
    assert.equal(pathText(new URL("file:///srv/a%20b/c.txt")), "/srv/a b/c.txt");
  });

  test("file URL with encoded slash keeps decoded path", () => {
    assert.equal(pathText(new URL("file:///srv/..%2F..%2Fetc")), "/srv/../../etc");
  });

  test("descriptors and other URLs skipped", () => {
    assert.equal(pathText(3), undefined);
    assert.equal(pathText(new URL("http://127.0.0.1/x")), undefined);
    assert.equal(pathText({ path: "/x" }), undefined);
  });
});

test("a query key inside a file name is no evidence that the app used the value as received", () => {
  const value = "../../../../../../etc/hostname";
  const inputs = [
    { source: "query", path: "query.name", value },
    { source: "query", path: "query.name", value: "name" },
  ] as const;
  const finding = detectPathTraversal("/etc/hostname", inputs);
  assert.equal(finding?.reason, "climbs-out");
  assert.equal(finding?.input?.value, value);
});
