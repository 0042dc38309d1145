/**
 * `npm run rotate -- <env> [--user U]...`: a rotation now, through the same protocol the schedule runs —
 * Secrets Manager's RotateSecret (rotate immediately) on each chosen user's secret, which invokes the
 * rotation function (scripts/lambda/db-rotate.ts) for createSecret, setSecret, testSecret and
 * finishSecret — then waits for each new version to become AWSCURRENT, printing what it sees. Secrets
 * Manager reports no failure on the secret itself: a version still AWSPENDING when the wait ends, or one
 * that lost AWSPENDING without becoming AWSCURRENT, is a failed rotation, and the function's log says why.
 */
import { parseArgs } from "node:util";
import { DescribeSecretCommand, RotateSecretCommand, SecretsManagerClient, type DescribeSecretCommandOutput } from "@aws-sdk/client-secrets-manager";
import { EXIT, ScriptError } from "../cli.ts";
import { readOutputs, requireString, type Outputs } from "./stack-outputs.ts";

export const ROTATE_HELP = `usage: npm run rotate -- <env> [--user <name>]... [options]

New passwords now for the environment's application users, by Secrets Manager's rotation protocol (the
same one its schedule runs): RotateSecret starts the rotation function, which stores a new password as
AWSPENDING, sets it in the database (MySQL 8.0.14+ and MariaDB keep the old one until the end), logs in
with it on the writer, makes it AWSCURRENT, checks SELECT 1 through the proxy and drops the old password.
This command waits until each new version is AWSCURRENT. IAM-only users (direct-iam) have no password.

  <env>                   environment name, e.g. staging
  --user <name>           rotate this user (repeat for more; default: every rotated user)
  --outputs <file>        outputs file(s) of \`npm run output -- <env>\` (default: <env>-outputs.json)
  --region <region>       the secrets' region (default: the region in their ARNs)
  --wait-seconds <n>      how long to wait for each rotation, 10..3600 (default 600)
  --dry-run               print the secrets it would rotate; call nothing
  --output <format>       text (default) or json
  -h, --help

Exit codes:
  0  every rotation finished (the new version is AWSCURRENT)
  1  unexpected error
  2  usage: bad flags, unreadable outputs, an unknown user (nothing was called)
  5  an AWS call failed (RotateSecret refused: e.g. a rotation is still in progress), or a rotation did not
     finish: read the rotation function's log`;

export interface RotateOptions {
  readonly environment: string;
  readonly users: readonly string[];
  readonly outputs: readonly string[];
  readonly region?: string;
  readonly waitSeconds: number;
  readonly dryRun: boolean;
  readonly output: "text" | "json";
}

const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{1,30}$/;

/** The command line as options, or "help"; a usage error (exit 2) otherwise. */
export function parseRotateArgs(argv: readonly string[]): RotateOptions | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv], strict: true, allowPositionals: true,
      options: {
        user: { type: "string", multiple: true, default: [] }, outputs: { type: "string", multiple: true, default: [] }, region: { type: "string" },
        "wait-seconds": { type: "string", default: "600" }, "dry-run": { type: "boolean", default: false }, output: { type: "string", default: "text" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    throw new ScriptError(EXIT.usage, `${(error as Error).message}\n\n${ROTATE_HELP}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  if (positionals.length !== 1 || !ENVIRONMENT_NAME.test(positionals[0]!)) {
    throw new ScriptError(EXIT.usage, `name one environment, e.g. npm run rotate -- staging (got ${positionals.map((p) => JSON.stringify(p)).join(" ") || "none"})\n\n${ROTATE_HELP}`);
  }
  if (values.output !== "text" && values.output !== "json") throw new ScriptError(EXIT.usage, `--output must be text or json, not ${values.output}`);
  const waitSeconds = Number(values["wait-seconds"]);
  if (!(Number.isInteger(waitSeconds) && waitSeconds >= 10 && waitSeconds <= 3600)) throw new ScriptError(EXIT.usage, `--wait-seconds must be a whole number from 10 to 3600, not ${values["wait-seconds"]}`);
  const environment = positionals[0]!;
  return {
    environment, users: [...new Set(values.user)], outputs: values.outputs.length > 0 ? values.outputs : [`${environment}-outputs.json`],
    ...(values.region ? { region: values.region } : {}), waitSeconds, dryRun: values["dry-run"], output: values.output,
  };
}

export interface RotationRequest {
  readonly functionArn: string;
  /** User name -> secret ARN, in the order they rotate. */
  readonly secrets: readonly { readonly user: string; readonly secretArn: string }[];
  readonly region: string;
}

/** Which secrets to rotate, from the proxy stack's outputs; every --user checked before any call. */
export function rotationRequest(outputs: Outputs, users: readonly string[], region?: string): RotationRequest {
  const functionArn = requireString(outputs, "rotation_function_arn");
  const rotated = outputs.rotated_secrets;
  if (typeof rotated !== "object" || rotated === null || Array.isArray(rotated) || !Object.values(rotated).every((v) => typeof v === "string")) {
    throw new ScriptError(EXIT.usage, 'stack output "rotated_secrets" is missing or not a map of user to secret ARN');
  }
  const all = rotated as Record<string, string>;
  if (Object.keys(all).length === 0) throw new ScriptError(EXIT.usage, "the environment has no users with a password: nothing to rotate");
  for (const user of users) {
    if (!(user in all)) throw new ScriptError(EXIT.usage, `--user ${user}: not a user whose password rotates (the environment has: ${Object.keys(all).join(", ")}; direct-iam users have no password)`);
  }
  const chosen = users.length > 0 ? users : Object.keys(all);
  const resolved = region ?? functionArn.split(":")[3];
  if (!resolved) throw new ScriptError(EXIT.usage, "cannot tell the region: pass --region");
  return { functionArn, secrets: chosen.map((user) => ({ user, secretArn: all[user]! })), region: resolved };
}

export interface RotateDeps {
  readonly secrets: SecretsManagerClient;
  readonly print: (line: string) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** @default 3 s */
  readonly pollMs?: number;
}

export interface RotationResult {
  readonly user: string;
  readonly versionId: string;
  readonly seconds: number;
}

/**
 * Starts one rotation and waits for its version to become AWSCURRENT. A secret whose schedule is off gets
 * the function named in the request (RotateSecret with RotationLambdaARN), which Secrets Manager needs to
 * know what to invoke; one with a schedule keeps its own.
 */
export async function rotateOne(target: { user: string; secretArn: string }, functionArn: string, waitSeconds: number, deps: RotateDeps): Promise<RotationResult> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const { user, secretArn } = target;
  const before = await describe(deps.secrets, secretArn);
  let versionId: string;
  try {
    const started = await deps.secrets.send(new RotateSecretCommand({
      SecretId: secretArn, RotateImmediately: true,
      ...(before.RotationEnabled ? {} : { RotationLambdaARN: functionArn }),
    }));
    versionId = started.VersionId!;
  } catch (error) {
    const err = error as Error;
    throw new ScriptError(EXIT.aws, `${user}: RotateSecret refused (${err.name}: ${err.message}); nothing was changed by this command`);
  }
  const start = now();
  deps.print(`${user}: rotation started, new version ${versionId} (createSecret, setSecret, testSecret, finishSecret run in ${functionName(functionArn)})`);
  let seen = "";
  for (;;) {
    const stages = (await describe(deps.secrets, secretArn)).VersionIdsToStages?.[versionId] ?? [];
    const label = stages.includes("AWSCURRENT") ? "AWSCURRENT" : stages.includes("AWSPENDING") ? "AWSPENDING" : "none";
    const seconds = Math.round((now() - start) / 1000);
    if (label !== seen) {
      deps.print(`${user}: version ${versionId} is ${label === "none" ? "no longer staged" : label} after ${seconds} s`);
      seen = label;
    }
    if (label === "AWSCURRENT") return { user, versionId, seconds };
    if (label === "none") throw new ScriptError(EXIT.aws, `${user}: version ${versionId} lost AWSPENDING without becoming AWSCURRENT (another rotation replaced it?); read ${logGroupOf(functionArn)}`);
    if (now() - start >= waitSeconds * 1000) {
      throw new ScriptError(EXIT.aws, `${user}: version ${versionId} is still AWSPENDING after ${waitSeconds} s: the rotation failed or is still being retried by Secrets Manager; read ${logGroupOf(functionArn)} ("rotation failed at <step>: …")`);
    }
    await sleep(deps.pollMs ?? 3_000);
  }
}

async function describe(secrets: SecretsManagerClient, secretArn: string): Promise<DescribeSecretCommandOutput> {
  try {
    return await secrets.send(new DescribeSecretCommand({ SecretId: secretArn }));
  } catch (error) {
    throw new ScriptError(EXIT.aws, `cannot describe ${secretArn}: ${(error as Error).name}`);
  }
}

const functionName = (arn: string) => arn.split(":")[6] ?? arn;
const logGroupOf = (arn: string) => `the log group /aws/lambda/${functionName(arn)}`;

export interface RotateCommandDeps {
  /** @default a Secrets Manager client for the region */
  readonly secrets?: (region: string) => SecretsManagerClient;
  readonly print?: (text: string) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  readonly pollMs?: number;
}

/** The whole command behind scripts/rotate.ts: one rotation after the other (they share the database lock anyway). */
export async function runRotateCommand(argv: readonly string[], deps: RotateCommandDeps = {}): Promise<number> {
  const print = deps.print ?? ((text: string) => console.log(text));
  const options = parseRotateArgs(argv);
  if (options === "help") {
    print(ROTATE_HELP);
    return EXIT.ok;
  }
  const request = rotationRequest(readOutputs(options.outputs, options.environment), options.users, options.region);
  const json = options.output === "json";
  if (options.dryRun) {
    print(json ? JSON.stringify(request, null, 2) : [`dry run: would call RotateSecret in ${request.region} for`, ...request.secrets.map((s) => `  ${s.user}  ${s.secretArn}`)].join("\n"));
    return EXIT.ok;
  }
  const secrets = (deps.secrets ?? ((region: string) => new SecretsManagerClient({ region })))(request.region);
  const results: RotationResult[] = [];
  try {
    for (const target of request.secrets) {
      results.push(await rotateOne(target, request.functionArn, options.waitSeconds, {
        secrets, print: json ? () => undefined : print, ...(deps.sleep ? { sleep: deps.sleep } : {}), ...(deps.now ? { now: deps.now } : {}), ...(deps.pollMs !== undefined ? { pollMs: deps.pollMs } : {}),
      }));
    }
  } finally {
    secrets.destroy();
  }
  print(json ? JSON.stringify(results, null, 2) : `rotated ${results.map((r) => r.user).join(", ")}`);
  return EXIT.ok;
}
