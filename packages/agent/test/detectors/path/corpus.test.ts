// Runs the path corpus through the ways apps build paths (oracle.ts beside this file) and compares
// the detector with an oracle that decides, with node:path alone, whether the built path leaves
// the base directory.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { InputCollector } from "../../../src/context/input-collector";
import { detectPathTraversal } from "../../../src/detectors/path";
import type { UserInput } from "../../../src/detectors/types";
import { corpusSkipReason, loadCorpus, type CorpusEntry } from "../../helpers/corpus";
import { escapesBase, isAncestorOfBase, pathAppForms, type PathAppForm } from "./oracle";

const skipReason = corpusSkipReason();

/** Inputs as the agent collects them for `?file=<payload>`, beside headers every request carries. */
function requestInputs(payload: string): readonly UserInput[] {
  const collector = new InputCollector();
  collector.addString("headers", "headers.host", "127.0.0.1:3000");
  collector.addString(
    "headers",
    "headers.user-agent",
    "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
  );
  collector.addString("headers", "headers.accept", "text/html,application/xhtml+xml,*/*;q=0.8");
  collector.addString("query", "query.file", payload);
  return collector.inputs;
}

interface Outcome {
  readonly id: string;
  readonly form: string;
  readonly payload: string;
  readonly built: string;
}

interface Tally {
  escaping: number;
  flaggedEscaping: number;
  /** Escaping builds that name an ancestor of the base, which the detector cannot see. */
  ancestors: number;
  inside: number;
  flaggedInside: number;
  /** Inside builds flagged where the app removed the climb itself. */
  neutralizedFlagged: number;
  missed: Outcome[];
  falsePositives: Outcome[];
}

function judgeCorpus(entries: readonly CorpusEntry[], forms: readonly PathAppForm[]): Tally {
  const tally: Tally = {
    escaping: 0,
    flaggedEscaping: 0,
    ancestors: 0,
    inside: 0,
    flaggedInside: 0,
    neutralizedFlagged: 0,
    missed: [],
    falsePositives: [],
  };

  for (const entry of entries) {
    const payload = entry.payload;
    if (payload === undefined) continue;
    const inputs = requestInputs(payload);

    for (const form of forms) {
      const built = form.build(payload);
      if (built === undefined) continue;

      const flagged = detectPathTraversal(built, inputs) !== undefined;
      const outcome = { id: entry.id, form: form.name, payload, built };
      const escapes = escapesBase(built, form.wholePath === true);

      if (escapes) {
        tally.escaping++;
        if (flagged) tally.flaggedEscaping++;
        else if (form.wholePath !== true && isAncestorOfBase(built)) tally.ancestors++;
        else tally.missed.push(outcome);
        continue;
      }

      // Node rejects every path with a NUL byte, so reporting one that stays inside breaks no call.
      if (built.includes("\0")) continue;

      tally.inside++;
      if (!flagged) continue;
      tally.flaggedInside++;
      if (form.neutralizesClimbs === true) tally.neutralizedFlagged++;
      else tally.falsePositives.push(outcome);
    }
  }
  return tally;
}

function summary(outcomes: readonly Outcome[], count = 15): string {
  return outcomes
    .slice(0, count)
    .map(
      (outcome) =>
        `${outcome.id} [${outcome.form}] ${JSON.stringify(outcome.payload)} -> ${JSON.stringify(outcome.built)}`,
    )
    .join("\n");
}

describe("path corpus", { skip: skipReason }, () => {
  test("escaping payloads flagged, others not", () => {
    const tally = judgeCorpus(loadCorpus("path"), pathAppForms);
    console.log(
      `# path corpus: ${tally.flaggedEscaping}/${tally.escaping} escaping builds flagged ` +
        `(${tally.ancestors} name an ancestor of the base and are not seen), ` +
        `${tally.flaggedInside}/${tally.inside} inside builds flagged ` +
        `(${tally.neutralizedFlagged} where the app removed ../ itself)`,
    );

    assert.ok(
      tally.escaping > 1000,
      `only ${tally.escaping} escaping builds; is the corpus complete?`,
    );
    assert.equal(tally.missed.length, 0, `missed:\n${summary(tally.missed)}`);
    assert.equal(
      tally.falsePositives.length,
      0,
      `flagged inside:\n${summary(tally.falsePositives)}`,
    );
  });

  test("benign file names never flagged", () => {
    const fileNameForms = pathAppForms.filter(
      (form) => form.name === "path.join" || form.name === "concatenation",
    );
    const benign = loadCorpus("benign");
    let builds = 0;
    const flagged: Outcome[] = [];

    for (const entry of benign) {
      if (entry.payload === undefined) continue;
      const inputs = requestInputs(entry.payload);
      for (const form of fileNameForms) {
        const built = form.build(entry.payload) as string;
        builds++;
        if (detectPathTraversal(built, inputs) !== undefined) {
          flagged.push({ id: entry.id, form: form.name, payload: entry.payload, built });
        }
      }
    }
    console.log(`# benign corpus: ${flagged.length}/${builds} file-name builds flagged`);

    assert.ok(builds > 2000);
    assert.equal(flagged.length, 0, `flagged:\n${summary(flagged)}`);
  });
});
