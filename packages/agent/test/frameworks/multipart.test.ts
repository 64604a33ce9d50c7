import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { startApp, type RunningApp } from "../helpers/app-process";

const sqlAttack = "lamp' OR '1'='1";
const traversal = "../../etc/passwd";

function upload(url: string, owner: string, filename: string): Promise<Response> {
  const form = new FormData();
  form.append("owner", owner);
  form.append("document", new Blob(["file contents"]), filename);
  return fetch(`${url}/upload`, { method: "POST", body: form });
}

/**
 * Multipart uploads to a test app that puts the field `owner` into SQL and saves the file under
 * its client-side name: SQL through the field and path traversal through the file name are
 * blocked, and a benign upload is saved.
 */
function multipartSuite(name: string, script: string, filePath: string): void {
  describe(`${name}: multipart fields and file names`, () => {
    // The upload folder is nested so that `../../etc/passwd` still lands inside the temporary
    // folder should the agent fail to block it.
    const root = mkdtempSync(path.join(tmpdir(), "rampart-upload-"));
    const uploadDir = path.join(root, "a", "b", "uploads");
    let app: RunningApp;
    before(async () => {
      mkdirSync(uploadDir, { recursive: true });
      app = await startApp({
        script,
        loader: "require",
        mode: "block",
        env: { UPLOAD_DIR: uploadDir },
      });
    });
    after(async () => {
      await app?.stop();
      rmSync(root, { recursive: true, force: true });
    });

    test("SQL injection in a field answered 403", async () => {
      const response = await upload(app.url, sqlAttack, "notes.txt");
      const text = await response.text();
      assert.equal(response.status, 403, `body: ${text}\nstderr:\n${app.stderr()}`);

      const event = await app.waitForEvent((JSON.parse(text) as { event_id: string }).event_id);
      assert.equal(event?.attack_type, "sql_injection");
      assert.equal(event?.input.path, "body.owner");
    });

    test("path traversal in a file name answered 403", async () => {
      const response = await upload(app.url, "lamp", traversal);
      const text = await response.text();
      assert.equal(response.status, 403, `body: ${text}\nstderr:\n${app.stderr()}`);

      const event = await app.waitForEvent((JSON.parse(text) as { event_id: string }).event_id);
      assert.equal(event?.attack_type, "path_traversal");
      assert.equal(event?.input.path, filePath);
      assert.equal(event?.input.value, traversal);
      assert.equal(existsSync(path.join(uploadDir, traversal)), false, "nothing was written");
    });

    test("benign upload saved and answered 200", async () => {
      const response = await upload(app.url, "lamp", "notes.txt");
      const text = await response.text();
      assert.equal(response.status, 200, `body: ${text}`);
      assert.equal((JSON.parse(text) as unknown[]).length, 1);
      assert.ok(existsSync(path.join(uploadDir, "notes.txt")));
    });

    test("one event per attack", () => {
      assert.equal(app.events().length, 2);
    });
  });
}

multipartSuite(
  "multer on Express",
  "frameworks/multipart-express.cjs",
  "files.document.originalname",
);
multipartSuite("busboy on node:http", "frameworks/multipart-busboy.cjs", "files.document.filename");
