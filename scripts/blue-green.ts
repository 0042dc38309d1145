/**
 * Upgrades an environment's database (an Aurora cluster, or an RDS for PostgreSQL/MySQL instance) through an
 * RDS blue/green deployment, and prints the config change that makes the next plan adopt the result:
 *
 *   npm run output -- <env>
 *   npm run blue-green -- <env> --to <version> --release-managed-master-password [--dry-run] [--output json]
 *
 * The work is in scripts/lib/deploy/blue-green.ts (an instance's checks and old-blue retirement in
 * blue-green-instance.ts).
 */
import { runScript } from "./lib/cli.ts";
import { runBlueGreenCommand } from "./lib/deploy/blue-green.ts";

process.exitCode = await runScript(() => runBlueGreenCommand(process.argv.slice(2)));
