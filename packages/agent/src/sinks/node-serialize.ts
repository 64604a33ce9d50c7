import { detectSerializedFunction } from "../detectors/deserialization";
import { inspect } from "../guard/guard";
import type { ModuleInstrumentation } from "../instrument/module-hooks";
import { wrapMethod } from "../instrument/wrap";

type Unserialize = (this: unknown, data: unknown, origin?: unknown) => unknown;

/** True while `unserialize` runs: it calls itself through `exports.unserialize` for nested objects. */
let unserializing = false;

function wrapUnserialize(original: Unserialize): Unserialize {
  return function unserialize(this: unknown, data: unknown, origin?: unknown) {
    if (unserializing) return original.call(this, data, origin);

    const blocked = inspect({
      attackType: "unsafe_deserialization",
      sink: "node-serialize.unserialize",
      operation: typeof data === "string" ? data : "(object)",
      detect: (inputs) => detectSerializedFunction(data, inputs),
      cleanKey: typeof data === "string" ? data : undefined,
    });
    if (blocked !== undefined) throw blocked;

    unserializing = true;
    try {
      return original.call(this, data, origin);
    } finally {
      unserializing = false;
    }
  };
}

/**
 * node-serialize 0.0.4 `unserialize` evaluates every string value that starts with
 * `_$$ND_FUNC$$_`. The call is judged once, before the top-level object is walked.
 */
export const nodeSerialize: ModuleInstrumentation = {
  name: "node-serialize",
  majorVersions: [0],
  patch(moduleExports) {
    wrapMethod(moduleExports as Record<string, unknown>, "unserialize", wrapUnserialize);
    return undefined;
  },
};
