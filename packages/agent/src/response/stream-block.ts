import type { ServerHttp2Stream } from "node:http2";

import type { RequestContext } from "../context/request-context";
import { failOpen } from "../failsafe";
import { blockResponseOf } from "./block-response";

type StreamMethod = (this: ServerHttp2Stream, ...args: unknown[]) => unknown;

/** The stream methods through which an app starts or writes a response. */
const responseMethods = ["respond", "respondWithFD", "respondWithFile", "write", "end"] as const;

function callbackOf(args: readonly unknown[]): (() => void) | undefined {
  return args.find((arg) => typeof arg === "function") as (() => void) | undefined;
}

/**
 * Makes the next response on a raw HTTP/2 stream the block response: the first time the app
 * responds or writes, the stream sends the block status and page instead, and the app's
 * later writes are dropped (their callbacks still run). Instance properties shadow the stream's
 * methods for this stream only.
 */
export function armStreamBlock(context: RequestContext, stream: ServerHttp2Stream): void {
  const respond = stream.respond as StreamMethod;
  const end = stream.end as StreamMethod;
  let sent = false;

  const sendOnce = () => {
    if (sent) return;
    sent = true;
    failOpen("response.block_stream", undefined, () => {
      if (stream.destroyed || stream.headersSent) return;
      const { status, page } = blockResponseOf(context);
      respond.call(stream, {
        ":status": status,
        "content-type": page.contentType,
        "content-length": Buffer.byteLength(page.body),
        "cache-control": "no-store",
      });
      end.call(stream, page.body);
    });
  };

  for (const name of responseMethods) {
    Object.defineProperty(stream, name, {
      configurable: true,
      writable: true,
      value: function blockedResponseMethod(...args: unknown[]) {
        sendOnce();
        const callback = callbackOf(args);
        if (callback !== undefined) process.nextTick(callback);
        if (name === "write") return true;
        if (name === "end") return stream;
        return undefined;
      },
    });
  }
}
