import fs from "node:fs";

import {
  builtinRequired,
  deferredBuiltins,
  type RuntimeInstrumentation,
} from "../instrument/runtime-hooks";

/**
 * Installs the node:fs/promises patch when the app first reads `fs.promises`, a getter that loads
 * the promise API without a `require` the agent's hook could see. Until then nothing of
 * node:fs/promises loads.
 */
export const fsPromisesAccess: RuntimeInstrumentation = {
  name: "fs.promises",
  install() {
    if (!deferredBuiltins().includes("fs/promises")) return;

    const descriptor = Object.getOwnPropertyDescriptor(fs, "promises");
    const get = descriptor?.get;
    if (descriptor === undefined || get === undefined || descriptor.configurable !== true) {
      // Not a getter this agent can replace: the patch goes in now.
      builtinRequired("fs/promises");
      return;
    }

    Object.defineProperty(fs, "promises", {
      ...descriptor,
      get() {
        // Needed once: the patch is in place from then on, so Node's own getter goes back.
        Object.defineProperty(fs, "promises", descriptor);
        builtinRequired("fs/promises");
        return get.call(this);
      },
    });
  },
};
