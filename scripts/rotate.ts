/**
 * New passwords for an environment's password users, made by its setup function inside the VPC:
 *
 *   npm run output -- <env>
 *   npm run rotate -- <env> [--user <name>]... [--dry-run] [--output json]
 *
 * The work is in scripts/lib/rotate.ts (what to send, how a failure maps to an exit code) and in the
 * function (scripts/lambda/db-setup.ts); this shell reads the outputs, builds the client and prints.
 */
import { LambdaClient } from "@aws-sdk/client-lambda";
import { EXIT, runScript } from "./lib/cli.ts";
import { formatRotation, invokeRotation, parseRotateArgs, rotateInvocation, ROTATE_HELP } from "./lib/rotate.ts";
import { readOutputs } from "./lib/stack-outputs.ts";

async function main(): Promise<number> {
  const options = parseRotateArgs(process.argv.slice(2));
  if (options === "help") {
    console.log(ROTATE_HELP);
    return EXIT.ok;
  }
  // Everything before the invocation is local: a usage error exits 2 having called nothing.
  const invocation = rotateInvocation(readOutputs(options.outputs, options.environment), options.users, options.region);
  const json = options.output === "json";
  if (options.dryRun) {
    if (json) console.log(JSON.stringify(invocation, null, 2));
    else console.log(`dry run: would invoke ${invocation.functionName} in ${invocation.region} with\n${JSON.stringify(invocation.payload, null, 2)}`);
    return EXIT.ok;
  }
  if (!json) console.log(`invoking ${invocation.functionName} in ${invocation.region} (waits for the function to finish)`);
  // One attempt: a retried synchronous invocation would rotate a second time.
  const lambda = new LambdaClient({ region: invocation.region, maxAttempts: 1 });
  try {
    const summary = await invokeRotation(lambda, invocation);
    console.log(json ? JSON.stringify(summary, null, 2) : formatRotation(invocation.functionName, summary).join("\n"));
  } finally {
    lambda.destroy();
  }
  return EXIT.ok;
}

process.exitCode = await runScript(main);
