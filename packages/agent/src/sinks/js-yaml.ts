import { detectJavascriptYamlTag, type YamlTag } from "../detectors/deserialization";
import type { RampartBlockedError } from "../errors";
import { inspect } from "../guard/guard";
import type { ModuleInstrumentation } from "../instrument/module-hooks";
import { wrapMethod } from "../instrument/wrap";

/** The parts of js-yaml 5's exports that the patch reads. */
interface JsYamlExports {
  parseEvents?: (source: string, options: object) => readonly YamlEvent[];
  CORE_SCHEMA?: YamlSchema;
}

interface YamlEvent {
  readonly tagStart?: number;
  readonly tagEnd?: number;
  readonly directives?: readonly { kind: string; handle: string; prefix: string }[];
}

interface YamlSchema {
  readonly tags?: readonly { tagName: string; matchByTagPrefix?: boolean }[];
}

type LoadFunction = (this: unknown, source: unknown, ...rest: unknown[]) => unknown;

/** Prefixes of the primary (`!`) and secondary (`!!`) tag handles when no `%TAG` directive redefines them. */
const defaultHandlePrefixes = new Map([
  ["!", "!"],
  ["!!", "tag:yaml.org,2002:"],
]);

/** True when the schema defines the tag, by exact name or by a prefix tag (`matchByTagPrefix`). */
function schemaConstructs(schema: YamlSchema | undefined, tagName: string): boolean {
  return (schema?.tags ?? []).some(
    (tag) =>
      tag.tagName === tagName || (tag.matchByTagPrefix === true && tagName.startsWith(tag.tagName)),
  );
}

function decodeSuffix(suffix: string): string {
  try {
    return decodeURIComponent(suffix);
  } catch {
    return suffix;
  }
}

/** Resolves a tag's text (`!!js/function`, `!<uri>`, `!e!name`) with the `%TAG` directives of its document. */
function resolveTag(text: string, handles: ReadonlyMap<string, string>): string | undefined {
  if (text.startsWith("!<") && text.endsWith(">")) return decodeSuffix(text.slice(2, -1));

  const secondBang = text.indexOf("!", 1);
  const handle = secondBang < 0 ? "!" : text.slice(0, secondBang + 1);
  const suffix = text.slice(handle.length);
  if (suffix === "") return undefined;

  const prefix = handles.get(handle) ?? defaultHandlePrefixes.get(handle);
  return prefix === undefined ? undefined : prefix + decodeSuffix(suffix);
}

/** Lists the tags of every node, resolved; returns none when the text does not parse, as `load` then throws. */
function readTags(moduleExports: JsYamlExports, source: string): YamlTag[] {
  let events: readonly YamlEvent[];
  try {
    events = moduleExports.parseEvents?.(source, {}) ?? [];
  } catch {
    return [];
  }

  const tags: YamlTag[] = [];
  let handles = new Map<string, string>();
  for (const event of events) {
    if (event.directives !== undefined) {
      handles = new Map(
        event.directives
          .filter((item) => item.kind === "tag")
          .map((item) => [item.handle, item.prefix]),
      );
    }
    const { tagStart = -1, tagEnd = -1 } = event;
    if (tagStart < 0 || tagEnd <= tagStart) continue;

    const name = resolveTag(source.slice(tagStart, tagEnd), handles);
    if (name !== undefined) tags.push({ name, start: tagStart, end: tagEnd });
  }
  return tags;
}

function schemaOption(options: unknown): YamlSchema | undefined {
  if (typeof options !== "object" || options === null) return undefined;
  return (options as { schema?: YamlSchema }).schema;
}

function inspectYaml(
  moduleExports: JsYamlExports,
  sink: string,
  source: unknown,
  options: unknown,
): RampartBlockedError | undefined {
  if (typeof source !== "string") return undefined;

  const schema = schemaOption(options) ?? moduleExports.CORE_SCHEMA;
  return inspect({
    attackType: "unsafe_deserialization",
    sink,
    operation: source,
    detect: (inputs) =>
      detectJavascriptYamlTag(
        source,
        inputs,
        () => readTags(moduleExports, source),
        (tagName) => schemaConstructs(schema, tagName),
      ),
  });
}

function wrapLoad(moduleExports: JsYamlExports) {
  return (original: LoadFunction): LoadFunction =>
    function load(this: unknown, source: unknown, ...rest: unknown[]) {
      const blocked = inspectYaml(moduleExports, "js-yaml.load", source, rest[0]);
      if (blocked !== undefined) throw blocked;
      return original.call(this, source, ...rest);
    };
}

/** `loadAll(source, iterator, options)` or `loadAll(source, options)`. */
function wrapLoadAll(moduleExports: JsYamlExports) {
  return (original: LoadFunction): LoadFunction =>
    function loadAll(this: unknown, source: unknown, ...rest: unknown[]) {
      const options = typeof rest[0] === "function" ? rest[1] : rest[0];
      const blocked = inspectYaml(moduleExports, "js-yaml.loadAll", source, options);
      if (blocked !== undefined) throw blocked;
      return original.call(this, source, ...rest);
    };
}

/**
 * js-yaml 5 constructs no JavaScript type by default (`!!js/function` is an unknown tag), but a
 * schema extended with such tags (`CORE_SCHEMA.withTags(...)`) compiles functions from the
 * document. `load` and `loadAll` are judged when a user input writes a tag in the
 * `tag:yaml.org,2002:js/` namespace that the schema in use defines.
 */
export const jsYaml: ModuleInstrumentation = {
  name: "js-yaml",
  majorVersions: [5],
  patch(moduleExports) {
    const target = moduleExports as Record<string, unknown> & JsYamlExports;
    const unpatched: JsYamlExports = {
      parseEvents: target.parseEvents,
      CORE_SCHEMA: target.CORE_SCHEMA,
    };
    wrapMethod(target, "load", wrapLoad(unpatched));
    wrapMethod(target, "loadAll", wrapLoadAll(unpatched));
    return undefined;
  },
};
