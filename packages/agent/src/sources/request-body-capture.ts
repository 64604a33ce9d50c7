import { CapturedBody } from "../context/request-body";
import { contextOfRequest } from "../context/request-context";
import { failOpen } from "../failsafe";

/**
 * Keeps a copy of the reference to each body chunk that the server pushes into a request stream
 * (`this`: an IncomingMessage or an HTTP/2 stream), so that the agent sees the body of apps that
 * read it themselves with `req.on("data")`, `for await` or `pipe`. Capturing at `push` sees every
 * chunk once, whether the app reads in flowing or paused mode, late, or never.
 */
export function captureBodyChunk(stream: object, chunk: unknown): void {
  if (chunk === null || chunk === undefined) return;

  const context = contextOfRequest(stream);
  if (context === undefined) return;

  failOpen("source.request_body", undefined, () => {
    context.capturedBody ??= new CapturedBody(contentTypeOf(context.req.headers["content-type"]));
    context.capturedBody.append(chunk);
  });
}

function contentTypeOf(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
