/**
 * The job matrices of .github/workflows/plan.yml from a synth: plan waves by dependency and the apply
 * order of environments. The work is in scripts/lib/terraform/ci-matrix.ts.
 *
 *   npm run synth
 *   npm run ci-matrix -- --apply-order dev,staging,prod --waves 8 [--github-output "$GITHUB_OUTPUT"] [--outdir cdktf.out]
 */
import { appendFileSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { EXIT, EXIT_CODE_HELP, ScriptError, parseFlags, runScript } from "./lib/cli.ts";
import { ciMatrices, githubOutputs, type CiManifest } from "./lib/terraform/ci-matrix.ts";

const HELP = `usage: npm run ci-matrix -- --apply-order <env,env,...> --waves <n> [--github-output <file>] [--outdir <dir>]

Prints (or appends to the GitHub Actions output file) one plan matrix per dependency wave of the
synthesized stacks, wave-1 … wave-<n> (empty past the last wave), and the apply matrix of environments.

  --apply-order   every synthesized environment once, first applied first
  --waves         how many plan-wave jobs the workflow has; more waves in the synth is an error
  --github-output append wave-<i>=… and apply=… lines to this file instead of printing JSON
  --outdir        the synth output (default cdktf.out, or $CDKTF_OUTDIR)

${EXIT_CODE_HELP}`;

async function main(): Promise<number> {
  const flags = parseFlags({ "apply-order": { type: "string" }, waves: { type: "string" }, "github-output": { type: "string" }, outdir: { type: "string" } }, HELP);
  if (!flags) return EXIT.ok;
  const waves = Number(flags.waves);
  if (!Number.isInteger(waves) || waves < 1) throw new ScriptError(EXIT.usage, `--waves must be a whole number of at least 1, not ${flags.waves ?? "(none)"}\n\n${HELP}`);
  if (!flags["apply-order"]) throw new ScriptError(EXIT.usage, `--apply-order is required, e.g. --apply-order dev,staging,prod\n\n${HELP}`);
  const outdir = flags.outdir ?? process.env.CDKTF_OUTDIR ?? "cdktf.out";
  const read = (path: string) => {
    try {
      return JSON.parse(readFileSync(path, "utf8")) as unknown;
    } catch {
      throw new ScriptError(EXIT.usage, `cannot read ${path}: run npm run synth first`);
    }
  };
  const manifest = read(join(outdir, "manifest.json")) as CiManifest;
  let names: string[];
  try {
    names = readdirSync(join(outdir, "dbstack"), { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch {
    throw new ScriptError(EXIT.usage, `cannot read ${join(outdir, "dbstack")}: run npm run synth first`);
  }
  const environments = Object.fromEntries(names.map((name) => [name, read(join(outdir, "dbstack", name, "stacks.json")) as string[]]));
  let matrices;
  try {
    matrices = ciMatrices(manifest, environments, flags["apply-order"].split(",").map((name) => name.trim()).filter(Boolean), waves);
  } catch (error) {
    throw new ScriptError(EXIT.usage, (error as Error).message);
  }
  if (flags["github-output"]) {
    appendFileSync(flags["github-output"], githubOutputs(matrices, waves));
    for (const [i, wave] of matrices.waves.entries()) console.log(`wave ${i + 1}: ${wave.include.map((job) => job.stack).join(", ")}`);
    console.log(`apply: ${matrices.apply.include.map((job) => job.environment).join(" -> ")}`);
  } else {
    console.log(JSON.stringify(matrices, null, 2));
  }
  return EXIT.ok;
}

process.exitCode = await runScript(main);
