/**
 * Runs an environment's setup function by hand, as a deploy does (e.g. after a failed update, which the
 * next deploy does not retry: terraform-plugin-sdk#476):
 *
 *   npm run output -- <env>
 *   npm run setup -- <env> [--dry-run] [--output json]
 *
 * The work is in scripts/lib/deploy/invoke-setup.ts (what to send, how a failure maps to an exit code, what to
 * print) and in the function (scripts/lambda/db-setup.ts).
 */
import { runScript } from "./lib/cli.ts";
import { runInvocationCommand } from "./lib/deploy/invoke-setup.ts";

process.exitCode = await runScript(() => runInvocationCommand(process.argv.slice(2)));
