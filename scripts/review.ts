/**
 * npm run review: one page for a pull request — what each environment's synth holds, policy findings,
 * the connection budget, a diagram of the data path, and (with --base) what changed, stateful
 * replacements first. Reads cdktf.out; needs no AWS credentials.
 *
 * Exit codes: 0 written; 2 usage or unreadable synth; 7 --fail-on-replace and a stateful resource would
 * be replaced or destroyed.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EXIT, ScriptError, parseFlags, runScript } from "./lib/cli.ts";
import { buildReview, renderMarkdown, type SynthesizedEnvironment } from "./lib/review/review.ts";
import { parseStackName } from "./lib/names/stack-names.ts";
import { readSynthesizedStacks } from "./lib/terraform/terraform-runner.ts";

export const REPLACEMENT_EXIT_CODE = 7;

const HELP = `usage: npm run review -- [--outdir cdktf.out] [--base <dir>] [--fail-on-replace] [--output markdown|json]

Writes <outdir>/review.md (or prints JSON with --output json). With --base, compares with the synth in
<dir> (e.g. the target branch's cdktf.out) and lists added, removed and changed resources.

Exit codes: 0 written, 2 usage or unreadable synth, 7 a stateful resource would be replaced (--fail-on-replace).`;

/** The synthesized stacks grouped back into environments ("<env>-<layer>"), with each environment's reports. */
async function readSynth(outdir: string): Promise<SynthesizedEnvironment[]> {
  const stacks = await readSynthesizedStacks(outdir).catch(() => {
    throw new ScriptError(EXIT.usage, `cannot read ${join(outdir, "stacks")}: run npm run synth first`);
  });
  const report = (name: string, file: string) => {
    const path = join(outdir, "dbstack", name, file);
    return existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : undefined;
  };
  const byEnvironment = new Map<string, Record<string, Record<string, unknown>>>();
  for (const [name, stack] of stacks) {
    const environment = parseStackName(name)?.environment ?? name;
    byEnvironment.set(environment, { ...byEnvironment.get(environment), [name]: stack });
  }
  return [...byEnvironment].map(([name, envStacks]) => ({ name, stacks: envStacks, policy: report(name, "policy.json"), budget: report(name, "budget.json") }));
}

async function main(): Promise<number> {
  const values = parseFlags({
    outdir: { type: "string", default: "cdktf.out" }, base: { type: "string" }, "fail-on-replace": { type: "boolean", default: false },
    output: { type: "string", default: "markdown" },
  }, HELP);
  if (!values) return EXIT.ok;
  if (!["markdown", "json"].includes(values.output)) throw new ScriptError(EXIT.usage, `--output must be markdown or json, not ${values.output}`);
  const review = buildReview(await readSynth(values.outdir), values.base ? await readSynth(values.base) : undefined);
  if (values.output === "json") console.log(JSON.stringify(review, null, 2));
  else {
    const file = join(values.outdir, "review.md");
    writeFileSync(file, renderMarkdown(review));
    console.log(`wrote ${file}: ${review.environments.length} environment(s), ${review.replacements.length} stateful replacement(s)`);
  }
  if (values["fail-on-replace"] && review.replacements.length > 0) {
    for (const r of review.replacements) console.error(`replacement: ${r.environment} ${r.stack} ${r.address}: ${r.reason}`);
    return REPLACEMENT_EXIT_CODE;
  }
  return EXIT.ok;
}

process.exitCode = await runScript(main);
