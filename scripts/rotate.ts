/**
 * New passwords for an environment's password users, made by its setup function inside the VPC:
 *
 *   npm run output -- <env>
 *   npm run rotate -- <env> [--user <name>]... [--dry-run] [--output json]
 *
 * The same command as `npm run setup` (scripts/setup.ts) with `rotate` added to the payload; the work is in
 * scripts/lib/deploy/invoke-setup.ts and in the function (scripts/lambda/db-setup.ts).
 */
import { runScript } from "./lib/cli.ts";
import { runInvocationCommand } from "./lib/deploy/invoke-setup.ts";

process.exitCode = await runScript(() => runInvocationCommand("rotate", process.argv.slice(2)));
