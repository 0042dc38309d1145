/**
 * The IAM roles CI assumes for one environment, as JSON policy documents to create once per account:
 *
 *   npm run synth
 *   npm run ci-roles -- <env> --repository <owner>/<name> [--outdir cdktf.out]
 *
 * Prints { plan, apply, state?, variables }: each role's name, account, trust policy (GitHub's OIDC
 * provider, this repository's pull requests or its GitHub environment <env>) and permissions policy. The
 * work is in scripts/lib/terraform/ci-roles.ts.
 */
import { EXIT, EXIT_CODE_HELP, ScriptError, parseFlags, runScript } from "./lib/cli.ts";
import { stateBucketSettings } from "./lib/deploy/state-bucket.ts";
import { ciRoles, environmentFacts } from "./lib/terraform/ci-roles.ts";
import { readEnvironmentStacks } from "./lib/terraform/synth-output.ts";

const HELP = `usage: npm run ci-roles -- <env> --repository <owner>/<name> [--outdir <dir>]

Prints the trust and permissions policies of <env>'s CI roles (plan, apply, and with the central-bucket
layout the state role), made from the synth: the services its stacks use, its account, region, name
prefix and state keys. Needs no AWS access.

${EXIT_CODE_HELP}`;

async function main(): Promise<number> {
  const environment = process.argv[2] && !process.argv[2].startsWith("-") ? process.argv.splice(2, 1)[0] : undefined;
  const flags = parseFlags({ repository: { type: "string" }, outdir: { type: "string" } }, HELP);
  if (!flags) return EXIT.ok;
  if (!environment) throw new ScriptError(EXIT.usage, `name the environment, e.g. npm run ci-roles -- prod --repository acme/orders\n\n${HELP}`);
  if (!flags.repository) throw new ScriptError(EXIT.usage, `--repository <owner>/<name> is required: the roles trust that repository only\n\n${HELP}`);
  try {
    const stacks = readEnvironmentStacks(flags.outdir ?? process.env.CDKTF_OUTDIR ?? "cdktf.out", environment);
    const roles = ciRoles(environmentFacts(environment, stacks, stateBucketSettings(stacks, environment)), flags.repository);
    console.log(JSON.stringify(roles, null, 2));
  } catch (error) {
    throw new ScriptError(EXIT.usage, (error as Error).message);
  }
  return EXIT.ok;
}

process.exitCode = await runScript(main);
