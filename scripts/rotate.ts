/**
 * New passwords now, through Secrets Manager's rotation protocol — the same one the schedule runs:
 *
 *   npm run output -- <env>
 *   npm run rotate -- <env> [--user <name>]... [--wait-seconds N] [--dry-run] [--output json]
 *
 * RotateSecret on each chosen user's secret starts the rotation function (scripts/lambda/db-rotate.ts);
 * the command waits until each new version is AWSCURRENT. The work is in scripts/lib/deploy/rotate-secrets.ts.
 */
import { runScript } from "./lib/cli.ts";
import { runRotateCommand } from "./lib/deploy/rotate-secrets.ts";

process.exitCode = await runScript(() => runRotateCommand(process.argv.slice(2)));
