import type { PrototypeHardening } from "../config";
import { log } from "../log";

/**
 * Built-in prototypes that prototype hardening covers: those a pollution payload reaches through
 * `__proto__` or `constructor.prototype` of values that JSON and query parsers create (objects,
 * arrays, strings, numbers, booleans) and of functions. `Error.prototype` and
 * `Promise.prototype` are left alone because libraries subclass and extend them more than others.
 */
export const hardenedPrototypes: readonly (readonly [string, object])[] = [
  ["Object.prototype", Object.prototype],
  ["Function.prototype", Function.prototype],
  ["Array.prototype", Array.prototype],
  ["String.prototype", String.prototype],
  ["Number.prototype", Number.prototype],
  ["Boolean.prototype", Boolean.prototype],
  ["Symbol.prototype", Symbol.prototype],
  ["BigInt.prototype", BigInt.prototype],
  ["RegExp.prototype", RegExp.prototype],
  ["Date.prototype", Date.prototype],
];

/**
 * Hardens the built-in prototypes in `hardenedPrototypes`; this cannot be undone in the process.
 *
 * `seal` forbids adding or deleting properties, so `target.__proto__.isAdmin = true` adds nothing
 * (silently in sloppy code, with a TypeError in strict code), while existing methods stay writable
 * and subclasses can still shadow them. `freeze` also makes existing properties read-only, which
 * stops a payload from replacing `toString`, but rejects every assignment that shadows an inherited
 * method (`Foo.prototype.toString = ...`): Express 4 and 5, Fastify 5 and Mongoose 9 fail to load.
 */
export function hardenBuiltinPrototypes(hardening: Exclude<PrototypeHardening, "off">): void {
  for (const [, prototype] of hardenedPrototypes) {
    if (hardening === "freeze") Object.freeze(prototype);
    else Object.seal(prototype);
  }
  log.info(
    { hardening, prototypes: hardenedPrototypes.map(([name]) => name) },
    hardening === "freeze" ? "built-in prototypes frozen" : "built-in prototypes sealed",
  );
}
