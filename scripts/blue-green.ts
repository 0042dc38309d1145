/**
 * Upgrades an environment's Aurora cluster through an RDS blue/green deployment, which Terraform cannot do
 * for clusters, and prints the config change that makes the next plan adopt the result:
 *
 *   npm run output -- <env>
 *   npm run blue-green -- <env> --to <version> [--dry-run] [--output json]
 *
 * The work is in scripts/lib/deploy/blue-green.ts.
 */
import { runScript } from "./lib/cli.ts";
import { runBlueGreenCommand } from "./lib/deploy/blue-green.ts";

process.exitCode = await runScript(() => runBlueGreenCommand(process.argv.slice(2)));
