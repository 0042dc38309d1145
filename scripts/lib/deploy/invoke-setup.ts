/**
 * `npm run setup`: the environment's setup function invoked by hand, synchronously, inside the VPC, the
 * same code path as a deploy. The payload is the stack's own `setup_input` output — exactly what Terraform
 * sends, without Terraform's `tf` key, which the function reads as "apply". It is checked here first, so a
 * bad input costs no call. The function's error message names the step that failed, which picks the exit
 * code. (New passwords go through Secrets Manager's rotation protocol instead: `npm run rotate`,
 * scripts/lib/deploy/rotate-secrets.ts.)
 */
import { parseArgs } from "node:util";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { EXIT, ScriptError, type ExitCode } from "../cli.ts";
import { failedStep, type SetupStep, type SetupSummary } from "../setup/run-setup.ts";
import { parseSetupEvent, SetupEventError, type SetupInput } from "../setup/event.ts";
import { readOutputs, requireString, type Outputs } from "./stack-outputs.ts";

export const HELP = `usage: npm run setup -- <env> [options]

Runs the environment's setup function by hand and waits for it, as a deploy does: it creates or completes
the database, its users and their secrets over the writer endpoint, then checks SELECT 1 through the proxy.
What already matches is left alone, so it is safe to repeat. Use it after a deploy whose setup failed on an
update: the AWS provider keeps the new input in the state anyway (terraform-plugin-sdk#476), so the next
deploy sees no change and does not run the function again.

  <env>                   environment name, e.g. staging
  --outputs <file>        outputs file(s) of \`npm run output -- <env>\` (default: <env>-outputs.json; repeat for several)
  --region <region>       the function's region (default: the region of the environment's master secret)
  --dry-run               print the function and the payload it would be sent; call nothing
  --output <format>       text (default) or json
  -h, --help

Exit codes:
  0  done
  1  unexpected error (also: the function timed out or crashed before reporting)
  2  usage: bad flags, unreadable outputs, a setup input the function would refuse (nothing was called)
  3  the function could not reach the database, or SELECT 1 through the proxy failed, before its wait ran out
  4  the database refused the master user
  5  an AWS call failed: the invocation itself (no such function, access denied, throttled) or the function's
     Secrets Manager calls
  6  a SQL statement failed in the function`;

export interface InvocationOptions {
  readonly environment: string;
  readonly outputs: readonly string[];
  readonly region?: string;
  readonly dryRun: boolean;
  readonly output: "text" | "json";
}

const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{1,30}$/;

// parseFlags (cli.ts) takes no positional argument; the environment comes first here, as in `npm run deploy -- <env>`.
const parseInvocationFlags = (argv: readonly string[]) => parseArgs({
  args: [...argv], strict: true, allowPositionals: true,
  options: {
    outputs: { type: "string", multiple: true, default: [] }, region: { type: "string" },
    "dry-run": { type: "boolean", default: false }, output: { type: "string", default: "text" }, help: { type: "boolean", short: "h", default: false },
  },
});

/** The command line of `npm run setup` as options, or "help"; a usage error (exit 2) otherwise. */
export function parseInvocationArgs(argv: readonly string[]): InvocationOptions | "help" {
  let parsed: ReturnType<typeof parseInvocationFlags>;
  try {
    parsed = parseInvocationFlags(argv);
  } catch (error) {
    throw new ScriptError(EXIT.usage, `${(error as Error).message}\n\n${HELP}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  if (positionals.length !== 1 || !ENVIRONMENT_NAME.test(positionals[0]!)) {
    const got = positionals.length === 0 ? "none" : positionals.map((p) => JSON.stringify(p)).join(" ");
    throw new ScriptError(EXIT.usage, `name one environment, e.g. npm run setup -- staging (got ${got})\n\n${HELP}`);
  }
  if (values.output !== "text" && values.output !== "json") throw new ScriptError(EXIT.usage, `--output must be text or json, not ${values.output}`);
  const environment = positionals[0]!;
  return {
    environment,
    outputs: values.outputs.length > 0 ? values.outputs : [`${environment}-outputs.json`],
    ...(values.region ? { region: values.region } : {}),
    dryRun: values["dry-run"],
    output: values.output,
  };
}

export interface SetupInvocation {
  readonly functionName: string;
  readonly region: string;
  /** The stack's `setup_input`. */
  readonly payload: Readonly<Record<string, unknown>>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** The invocation, checked against the stack's setup input before anything is called. */
export function setupInvocation(outputs: Outputs, region?: string): SetupInvocation {
  const functionName = requireString(outputs, "setup_function_name");
  let setupInput = outputs.setup_input;
  // Terraform may hand the input over as the JSON text it sends.
  if (typeof setupInput === "string") {
    try {
      setupInput = JSON.parse(setupInput);
    } catch {
      throw new ScriptError(EXIT.usage, 'stack output "setup_input" is not JSON');
    }
  }
  if (!isObject(setupInput)) throw new ScriptError(EXIT.usage, 'stack output "setup_input" is missing');
  // Without `tf` the function applies; a stray `rotate` would turn an apply into a rotation.
  const { tf: _lifecycle, rotate: _rotate, ...payload } = setupInput;
  try {
    parseSetupEvent(payload);
  } catch (error) {
    if (error instanceof SetupEventError) throw new ScriptError(EXIT.usage, `stack output "setup_input" is not what the setup function accepts: ${error.message}`);
    throw error;
  }
  const secretRegion = String((payload as Partial<SetupInput>).masterSecretArn ?? "").split(":")[3];
  const resolved = region ?? secretRegion;
  if (!resolved) throw new ScriptError(EXIT.usage, "cannot tell the function's region: pass --region");
  return { functionName, region: resolved, payload };
}

/** Exit code for the step a function error names (see SetupError). */
export const EXIT_OF_STEP: Readonly<Record<SetupStep, ExitCode>> = {
  event: EXIT.usage, secrets: EXIT.aws, wait: EXIT.databaseUnreachable, login: EXIT.databaseAuthentication, sql: EXIT.sqlFailed, "proxy check": EXIT.databaseUnreachable,
};

/** Invokes the function synchronously and returns its summary; a failure becomes a ScriptError with its exit code. */
export async function invokeSetup(lambda: LambdaClient, invocation: SetupInvocation): Promise<SetupSummary> {
  let response;
  try {
    response = await lambda.send(new InvokeCommand({
      FunctionName: invocation.functionName, InvocationType: "RequestResponse", Payload: new TextEncoder().encode(JSON.stringify(invocation.payload)),
    }));
  } catch (error) {
    throw new ScriptError(EXIT.aws, `cannot invoke ${invocation.functionName} in ${invocation.region}: ${(error as Error).name}: ${(error as Error).message}`);
  }
  const text = response.Payload ? new TextDecoder().decode(response.Payload) : "";
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (response.FunctionError) {
    const message = isObject(body) && typeof body.errorMessage === "string" ? body.errorMessage : `${response.FunctionError} error without a message`;
    const step = failedStep(message);
    throw new ScriptError(step ? EXIT_OF_STEP[step] : EXIT.unexpected, `${invocation.functionName}: ${message}`);
  }
  if (!isObject(body) || typeof body.action !== "string") {
    throw new ScriptError(EXIT.unexpected, `${invocation.functionName} returned no summary (status ${response.StatusCode ?? "unknown"})`);
  }
  return body as unknown as SetupSummary;
}

/** What a person reads after the function reports. */
export function formatSummary(functionName: string, summary: SetupSummary): string[] {
  if (summary.action === "delete") return [`${functionName}: ${summary.note}`];
  const written = summary.secretsWritten;
  const counts = `${summary.statements.length} statement(s), ${written.length} secret(s) written`;
  const lines = summary.changes === 0
      ? [`${functionName}: nothing to do, the database and secrets already match`]
      : [`applied ${counts}${written.length > 0 ? ` (${written.join(", ")})` : ""}`, ...summary.statements.map((statement) => `  ${statement}`)];
  for (const warning of summary.warnings) lines.push(`  warning: ${warning}`);
  lines.push(`proxy check: ${summary.proxyCheck}`);
  return lines;
}

export interface InvocationCommandDeps {
  /** @default a LambdaClient for the region that makes one attempt */
  readonly lambda?: (region: string) => LambdaClient;
  /** @default console.log */
  readonly print?: (text: string) => void;
}

// One attempt: the call waits for the whole run, and a retry would run the function a second time.
const oneAttemptLambda = (region: string) => new LambdaClient({ region, maxAttempts: 1 });

/**
 * The whole command behind scripts/setup.ts: reads the outputs, builds the client, invokes, prints;
 * returns the exit code or throws a ScriptError (runScript prints it).
 */
export async function runInvocationCommand(argv: readonly string[], deps: InvocationCommandDeps = {}): Promise<number> {
  const print = deps.print ?? ((text: string) => console.log(text));
  const options = parseInvocationArgs(argv);
  if (options === "help") {
    print(HELP);
    return EXIT.ok;
  }
  // Everything before the invocation is local: a usage error exits 2 having called nothing.
  const invocation = setupInvocation(readOutputs(options.outputs, options.environment), options.region);
  const json = options.output === "json";
  if (options.dryRun) {
    print(json ? JSON.stringify(invocation, null, 2) : `dry run: would invoke ${invocation.functionName} in ${invocation.region} with\n${JSON.stringify(invocation.payload, null, 2)}`);
    return EXIT.ok;
  }
  if (!json) print(`invoking ${invocation.functionName} in ${invocation.region} (waits for the function to finish)`);
  const lambda = (deps.lambda ?? oneAttemptLambda)(invocation.region);
  try {
    const summary = await invokeSetup(lambda, invocation);
    print(json ? JSON.stringify(summary, null, 2) : formatSummary(invocation.functionName, summary).join("\n"));
  } finally {
    lambda.destroy();
  }
  return EXIT.ok;
}
