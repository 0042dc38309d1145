/**
 * `npm run rotate`: new passwords by the setup function, inside the VPC, the same code path as a deploy.
 * The payload is the stack's own `setup_input` output (exactly what Terraform sends) plus `rotate`; it is
 * checked here first, so an unknown user costs no call. The function's error message names the step that
 * failed, which picks the exit code.
 */
import { parseArgs } from "node:util";
import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { EXIT, ScriptError, type ExitCode } from "./cli.ts";
import { failedStep, type SetupStep, type SetupSummary } from "./setup.ts";
import { parseSetupEvent, SetupEventError, type SetupInput } from "./setup-event.ts";
import { requireString, type Outputs } from "./stack-outputs.ts";

export const ROTATE_HELP = `usage: npm run rotate -- <env> [--user <name>]... [options]

New passwords for the environment's password users, made by its setup function inside the VPC: each new
password goes to the user's secret as AWSPENDING, is set in the database, then made AWSCURRENT (the old one
stays as AWSPREVIOUS and no longer logs in). Clients pick the new password up the next time they read the
secret; RDS Proxy reads it for new connections. IAM users have no password to rotate.

  <env>                   environment name, e.g. staging
  --user <name>           rotate this user (repeat for more; default: every password user)
  --outputs <file>        outputs file(s) of \`npm run output -- <env>\` (default: <env>-outputs.json; repeat for several)
  --region <region>       the function's region (default: the region of the environment's master secret)
  --dry-run               print the function and the payload it would be sent; call nothing
  --output <format>       text (default) or json
  -h, --help

Exit codes:
  0  done
  1  unexpected error (also: the function timed out or crashed before reporting)
  2  usage: bad flags, unreadable outputs, an unknown user or one without a password (nothing was called)
  3  the function could not reach the database, or SELECT 1 through the proxy failed, before its wait ran out
  4  the database refused the master user
  5  an AWS call failed: the invocation itself (no such function, access denied, throttled) or the function's
     Secrets Manager calls
  6  a SQL statement failed in the function`;

export interface RotateOptions {
  readonly environment: string;
  readonly users: readonly string[];
  readonly outputs: readonly string[];
  readonly region?: string;
  readonly dryRun: boolean;
  readonly output: "text" | "json";
}

const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{1,30}$/;

// parseFlags (cli.ts) takes no positional argument; the environment comes first here, as in `npm run deploy -- <env>`.
const parseRotateFlags = (argv: readonly string[]) => parseArgs({
  args: [...argv], strict: true, allowPositionals: true,
  options: {
    user: { type: "string", multiple: true, default: [] }, outputs: { type: "string", multiple: true, default: [] }, region: { type: "string" },
    "dry-run": { type: "boolean", default: false }, output: { type: "string", default: "text" }, help: { type: "boolean", short: "h", default: false },
  },
});

/** The command line as options, or "help"; a usage error (exit 2) otherwise. */
export function parseRotateArgs(argv: readonly string[]): RotateOptions | "help" {
  let parsed: ReturnType<typeof parseRotateFlags>;
  try {
    parsed = parseRotateFlags(argv);
  } catch (error) {
    throw new ScriptError(EXIT.usage, `${(error as Error).message}\n\n${ROTATE_HELP}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  if (positionals.length !== 1 || !ENVIRONMENT_NAME.test(positionals[0]!)) {
    throw new ScriptError(EXIT.usage, `name one environment, e.g. npm run rotate -- staging (got ${positionals.length === 0 ? "none" : positionals.map((p) => JSON.stringify(p)).join(" ")})\n\n${ROTATE_HELP}`);
  }
  if (values.output !== "text" && values.output !== "json") throw new ScriptError(EXIT.usage, `--output must be text or json, not ${values.output}`);
  const environment = positionals[0]!;
  return {
    environment,
    users: [...new Set(values.user)],
    outputs: values.outputs.length > 0 ? values.outputs : [`${environment}-outputs.json`],
    ...(values.region ? { region: values.region } : {}),
    dryRun: values["dry-run"],
    output: values.output,
  };
}

export interface RotateInvocation {
  readonly functionName: string;
  readonly region: string;
  /** `{ ...setup_input, rotate: { users } }`; `rotate: {}` rotates every password user. */
  readonly payload: Readonly<Record<string, unknown>>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** The invocation for these users, checked against the stack's setup input before anything is called. */
export function rotateInvocation(outputs: Outputs, users: readonly string[], region?: string): RotateInvocation {
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
  const { tf: _lifecycle, rotate: _rotate, ...input } = setupInput;
  const configured = Array.isArray(input.users) ? (input.users as unknown[]).filter(isObject) : [];
  const passwordUsers = configured.filter((u) => u.login === "password").map((u) => String(u.name));
  for (const name of users) {
    const user = configured.find((u) => u.name === name);
    if (!user) throw new ScriptError(EXIT.usage, `--user ${name}: no such user (the environment has: ${configured.map((u) => String(u.name)).join(", ") || "none"})`);
    if (user.login !== "password") throw new ScriptError(EXIT.usage, `--user ${name}: logs in with IAM and has no password to rotate (password users: ${passwordUsers.join(", ") || "none"})`);
  }
  if (users.length === 0 && passwordUsers.length === 0) throw new ScriptError(EXIT.usage, "the environment has no password users: nothing to rotate");
  const payload = { ...input, rotate: users.length > 0 ? { users: [...users] } : {} };
  try {
    parseSetupEvent(payload);
  } catch (error) {
    if (error instanceof SetupEventError) throw new ScriptError(EXIT.usage, `stack output "setup_input" is not what the setup function accepts: ${error.message}`);
    throw error;
  }
  const secretRegion = String((input as Partial<SetupInput>).masterSecretArn ?? "").split(":")[3];
  const resolved = region ?? secretRegion;
  if (!resolved) throw new ScriptError(EXIT.usage, "cannot tell the function's region: pass --region");
  return { functionName, region: resolved, payload };
}

/** Exit code for the step a function error names (see SetupError). */
export const EXIT_OF_STEP: Readonly<Record<SetupStep, ExitCode>> = {
  event: EXIT.usage, secrets: EXIT.aws, wait: EXIT.databaseUnreachable, login: EXIT.databaseAuthentication, sql: EXIT.sqlFailed, "proxy check": EXIT.databaseUnreachable,
};

/** Invokes the function synchronously and returns its summary; a failure becomes a ScriptError with its exit code. */
export async function invokeRotation(lambda: LambdaClient, invocation: RotateInvocation): Promise<SetupSummary> {
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

/** What a person reads after a rotation. */
export function formatRotation(functionName: string, summary: SetupSummary): string[] {
  if (summary.action === "delete") return [`${functionName}: ${summary.note}`];
  const lines = [
    summary.secretsWritten.length === 0
      ? `${functionName}: nothing rotated`
      : `rotated ${summary.secretsWritten.join(", ")}: ${summary.statements.length} statement(s), ${summary.secretsWritten.length} secret(s) written`,
  ];
  for (const warning of summary.warnings) lines.push(`  warning: ${warning}`);
  lines.push(`proxy check: ${summary.proxyCheck}`);
  return lines;
}
