import assert from "node:assert/strict";
import { after, before } from "node:test";

import { startApp, type RunningApp, type SecurityEvent } from "./app-process";
import { eventSchemaErrors } from "./event-schema";
import { HttpClient, type HttpResponse } from "./http-client";
import { MongoRecorder } from "./mongo-recorder";

/** Milliseconds to wait before concluding that a blocked call sent nothing. */
const quietPeriodMs = 300;

export function postJson(client: HttpClient, path: string, body: unknown): Promise<HttpResponse> {
  return client.send({
    path,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until the recorder contains `count` commands named `name`, for up to two seconds. */
export async function waitForCommands(
  recorder: MongoRecorder,
  name: string,
  count: number,
): Promise<number> {
  const deadline = Date.now() + 2_000;
  while (recorder.operations(name).length < count && Date.now() < deadline) await sleep(20);
  return recorder.operations(name).length;
}

export function lastEvent(events: SecurityEvent[]): SecurityEvent {
  const event = events.at(-1);
  assert.ok(event !== undefined, "expected an event");
  return event;
}

export interface MongoApp {
  app: RunningApp;
  client: HttpClient;
  recorder: MongoRecorder;
}

export function useMongoApp(
  script: string,
  loader: "require" | "import",
  mode: "block" | "monitor",
  env: Record<string, string> = {},
): MongoApp {
  const current = {} as MongoApp;
  before(async () => {
    current.recorder = new MongoRecorder();
    const url = await current.recorder.start();
    current.app = await startApp({ script, loader, mode, env: { ...env, MONGO_URL: url } });
    current.client = new HttpClient(current.app.url);
  });
  after(async () => {
    current.client.close();
    await current.app.stop();
    await current.recorder.stop();
  });
  return current;
}

/** Sends a blocked request and checks the 403, the event and that no command reached the recorder. */
export async function assertBlocked(
  current: MongoApp,
  send: () => Promise<HttpResponse>,
  expected: { sink: string; path: string; command: string; reason?: string },
): Promise<SecurityEvent> {
  const commandsBefore = current.recorder.operations(expected.command).length;
  const eventsBefore = current.app.events().length;

  const response = await send();
  assert.equal(response.status, 403, response.body);
  const event = lastEvent(await current.app.waitForEvents(eventsBefore + 1));
  assert.equal(event.attack_type, "nosql_injection");
  assert.equal(event.action, "blocked");
  assert.equal(event.sink, expected.sink);
  assert.equal(event.input.path, expected.path);
  if (expected.reason !== undefined) assert.equal(event.reason, expected.reason);
  assert.deepEqual(eventSchemaErrors(event), []);

  await sleep(quietPeriodMs);
  assert.equal(
    current.recorder.operations(expected.command).length,
    commandsBefore,
    "command was sent",
  );
  return event;
}

/** Sends a request that must pass and checks that its command reached the recorder without an event. */
export async function assertSent(
  current: MongoApp,
  send: () => Promise<HttpResponse>,
  command: string,
): Promise<void> {
  const commandsBefore = current.recorder.operations(command).length;
  const eventsBefore = current.app.events().length;

  const response = await send();
  assert.equal(response.status, 200, response.body);
  assert.equal(JSON.parse(response.body).status, "sent");
  assert.equal(
    await waitForCommands(current.recorder, command, commandsBefore + 1),
    commandsBefore + 1,
  );
  assert.equal(current.app.events().length, eventsBefore);
}
