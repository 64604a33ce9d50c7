import type { InputCollector } from "../context/input-collector";
import { decodeComponent } from "../context/query-string";
import type { HttpEvent } from "./http-event";

/**
 * Collects the raw inputs of a Lambda HTTP event: path parameters (`path.id`), query pairs
 * (`query.name`), path segments (`path.0`), every value of every header (`headers.x-name`) and
 * cookies (`cookies.session`). Path parameters come before path segments, so when both carry the
 * same value the event names the parameter. The body is collected as a parsed part.
 */
export function collectEventInputs(request: HttpEvent, collector: InputCollector): void {
  for (const [name, value] of Object.entries(request.pathParameters)) {
    collector.addString("path", `path.${name}`, value);
  }

  for (const pair of request.query) {
    const path = `query.${pair.key.join(".")}`;
    collector.addString("query", path, pair.value);
    for (const key of pair.key) collector.addString("query", path, key);
  }

  const segments = request.path.split("/");
  for (let index = 1; index < segments.length; index++) {
    const segment = segments[index] as string;
    if (segment !== "") collector.addString("path", `path.${index - 1}`, decodeComponent(segment));
  }

  for (const [name, values] of request.headers) {
    if (name === "cookie") continue;
    for (const value of values) collector.addString("headers", `headers.${name}`, value);
  }

  for (const [name, value] of request.cookies) {
    collector.addString("cookies", `cookies.${name}`, value);
  }
}
