/**
 * The setup function's core: one invocation event — Terraform's create/update/delete of the
 * `aws_lambda_invocation`, an apply from `npm run setup` or a rotation from `npm run rotate` — becomes
 * one bootstrap run against the WRITER endpoint with the RDS-managed master secret, then a check of the
 * path a client takes: SELECT 1 through the proxy. The first setup never depends on the proxy, whose
 * user secrets are still empty then. Clients are passed in, so the Lambda shell and the tests share this;
 * errors come out as SetupError, whose message is safe to print (Terraform shows it in the failed apply)
 * and names the step that failed.
 */
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import mysql from "mysql2/promise";
import pg from "pg";
import { runBootstrap, type BootstrapRequest, type BootstrapResult } from "../database/bootstrap.ts";
import type { Dialect } from "../database/bootstrap-plan.ts";
import { EXIT, ScriptError } from "../cli.ts";
import { iamAuthToken } from "../connection/iam-token.ts";
import { cleartextPasswordPlugin } from "../connection/mysql-cleartext.ts";
import { readMasterSecret } from "../database/secret-versions.ts";
import { parseSetupEvent, SetupEventError, type SetupAction, type SetupInput } from "./event.ts";
import { tlsSettings, type CaSet, type NodeTlsSettings } from "../connection/tls.ts";
import { waitFor, WaitTimeout } from "../connection/wait.ts";

/** The part of the Lambda context this reads. */
export interface LambdaContext {
  readonly functionName: string;
  readonly awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

/** Where a run can fail, in order; the first words of every SetupError message after "setup failed at". */
export const SETUP_STEPS = ["event", "secrets", "wait", "login", "sql", "proxy check"] as const;
export type SetupStep = (typeof SETUP_STEPS)[number];

export class SetupError extends Error {
  constructor(readonly step: SetupStep, detail: string) {
    super(`setup failed at ${step}: ${detail}`);
    this.name = "SetupError";
  }
}

/** The step a SetupError message names, or undefined for any other message (a timeout, a crash). */
export function failedStep(message: string): SetupStep | undefined {
  return SETUP_STEPS.find((step) => message.startsWith(`setup failed at ${step}: `));
}

/** One attempt of the proxy check; `password` is the master's password or a fresh IAM token. */
export interface ProxyCheckTarget {
  readonly dialect: Dialect;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** The password is an IAM token: MySQL must send it with the cleartext plugin (over TLS). */
  readonly iam: boolean;
  readonly tls: NodeTlsSettings;
  readonly connectTimeoutMs: number;
}

export type ProxyCheck = (target: ProxyCheckTarget) => Promise<void>;

export interface SetupDeps {
  readonly secrets: SecretsManagerClient;
  /** One line per step; never a password or a token. */
  readonly log: (line: string) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /**
   * Region the proxy check's IAM token is signed for (the shell passes AWS_REGION).
   * @default the master secret's region
   */
  readonly region?: string;
  /** @default an RDS IAM token signed with the function's role (scripts/lib/connection/iam-token.ts) */
  readonly token?: (host: string, port: number, user: string, region: string) => Promise<string>;
  /**
   * TLS settings for a host and the CA set that must verify it ("rds" for the writer, "proxy" for the
   * proxy). Tests pass the same settings with their own CA file; verification is never turned off.
   * @default verify-full (chain and host name, on both engines) against the bundled AWS CAs
   */
  readonly tls?: (host: string, caSet: CaSet) => NodeTlsSettings;
  /** @default SELECT 1 with pg or mysql2 (`selectOneThrough`) */
  readonly proxyCheck?: ProxyCheck;
}

export interface AppliedSummary {
  readonly action: "apply" | "rotate";
  readonly changes: number;
  /** Display forms of the statements applied, stored passwords redacted. */
  readonly statements: readonly string[];
  readonly secretsWritten: readonly string[];
  readonly warnings: readonly string[];
  /** Users Terraform's previous input had and this one does not, that the database still has: disabled and kept. */
  readonly removedUsers?: readonly string[];
  /** "ok", or "skipped: <why>". */
  readonly proxyCheck: string;
}

export interface DeletedSummary {
  readonly action: "delete";
  readonly changes: 0;
  readonly note: string;
}

export type SetupSummary = AppliedSummary | DeletedSummary;

export const DELETE_SUMMARY: DeletedSummary = { action: "delete", changes: 0, note: "the database and its users go with the environment; nothing to undo" };

/** Kept back from the invocation's remaining time: one last connection attempt (10 s) and the report. */
export const TIME_MARGIN_MS = 20_000;
const MAX_CONNECT_TIMEOUT_MS = 10_000;

/**
 * When waiting must stop: `waitSeconds` after the start, and never later than the invocation's end minus
 * the margin, so the function reports its own error instead of being cut off by the Lambda timeout.
 */
export function setupDeadline(startedAt: number, waitSeconds: number, remainingMs: number): number {
  return Math.max(startedAt, Math.min(startedAt + waitSeconds * 1000, startedAt + remainingMs - TIME_MARGIN_MS));
}

const PROXY_RETRYABLE_CODES = new Set([
  "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND", "EAI_AGAIN", "EPIPE", "57P03", "08001", "08006", "PROTOCOL_CONNECTION_LOST",
  // Through a proxy that was just created or changed, a refusal can be transient: IAM policies and the
  // proxy's copy of the secret take a while to arrive. The writer already accepted the master.
  "28P01", "28000", "ER_ACCESS_DENIED_ERROR",
]);

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" ? code : undefined;
}

/** A proxy whose target is still registering refuses or drops connections, or times out acquiring one. */
export function proxyRetryable(error: Error): boolean {
  const code = errorCode(error);
  if (code && PROXY_RETRYABLE_CODES.has(code)) return true;
  return /timed? ?out|timeout|Connection terminated|server closed the connection|not (?:yet )?available|unavailable|starting up|try again/i.test(error.message);
}

/** Replaces every known secret, and anything shaped like a signed IAM token, in a message. */
export function redact(message: string, secrets: readonly string[]): string {
  const known = secrets.filter((s) => s.length > 0).reduce((text, secret) => text.split(secret).join("********"), message);
  return known.replace(/(X-Amz-(?:Credential|Signature|Security-Token)=)[^&\s"']+/g, "$1********");
}

/**
 * SELECT 1 as the target user, over the target's TLS settings; one attempt. The query has the connect
 * timeout too: a proxy still waiting for its target holds a query up to its borrow timeout (120 s by
 * default), longer than the invocation may have left.
 */
export const selectOneThrough: ProxyCheck = async (t) => {
  if (t.dialect === "postgresql") {
    const client = new pg.Client({
      host: t.host, port: t.port, user: t.user, password: t.password, database: t.database, ssl: t.tls,
      connectionTimeoutMillis: t.connectTimeoutMs, query_timeout: t.connectTimeoutMs, application_name: "dbstack-setup-check",
    });
    client.on("error", () => undefined);
    await client.connect();
    try {
      const ok = (await client.query<{ ok: number }>("SELECT 1 AS ok")).rows[0]?.ok;
      if (Number(ok) !== 1) throw new Error(`SELECT 1 returned ${String(ok)}`);
    } finally {
      await client.end();
    }
    return;
  }
  const connection = await mysql.createConnection({
    host: t.host, port: t.port, user: t.user, password: t.password, database: t.database,
    ssl: t.tls as mysql.SslOptions, connectTimeout: t.connectTimeoutMs,
    ...(t.iam ? { authPlugins: cleartextPasswordPlugin(t.password) } : {}),
  });
  connection.on("error", () => undefined);
  try {
    const [rows] = await connection.query({ sql: "SELECT 1 AS ok", timeout: t.connectTimeoutMs });
    const ok = (rows as { ok: number }[])[0]?.ok;
    if (Number(ok) !== 1) throw new Error(`SELECT 1 returned ${String(ok)}`);
  } finally {
    // After a query timeout mysql2 has closed the connection already; the timeout is the error to report.
    await connection.end().catch(() => undefined);
  }
};

const defaultTls = (host: string, caSet: CaSet): NodeTlsSettings => tlsSettings(host, { mode: "verify-full", caSet });
const defaultToken = (host: string, port: number, user: string, region: string) => iamAuthToken({ host, port, user, region });

/** The core's exit codes name the step that failed; anything else it throws comes from reading the catalog. */
const STEP_OF_EXIT: Readonly<Record<number, SetupStep>> = {
  [EXIT.usage]: "event", [EXIT.aws]: "secrets", [EXIT.databaseUnreachable]: "wait", [EXIT.databaseAuthentication]: "login", [EXIT.sqlFailed]: "sql",
};

function asSetupError(error: unknown, fallback: SetupStep, secrets: readonly string[]): SetupError {
  if (error instanceof SetupError) return error;
  const err = error instanceof Error ? error : new Error(String(error));
  if (err instanceof ScriptError) return new SetupError(STEP_OF_EXIT[err.exitCode] ?? fallback, redact(err.message, secrets));
  const code = errorCode(err);
  return new SetupError(fallback, `${err.name}${code ? ` (${code})` : ""}: ${redact(err.message, secrets)}`);
}

/**
 * Runs one invocation: parses the event, applies (or rotates) against the writer, checks the proxy path,
 * and returns what changed. `delete` connects nowhere.
 */
export async function runSetup(event: unknown, context: LambdaContext, deps: SetupDeps): Promise<SetupSummary> {
  const now = deps.now ?? Date.now;
  const startedAt = now();
  let action: SetupAction;
  try {
    action = parseSetupEvent(event);
  } catch (error) {
    // The parser never echoes a value that could be a secret; anything else it throws is a bug, named only.
    throw new SetupError("event", error instanceof SetupEventError ? error.message : `the event could not be read (${(error as Error)?.name})`);
  }
  const tfAction = (event as { tf?: { action?: string } }).tf?.action;
  if (action.kind === "delete") {
    deps.log("event: delete; nothing to undo, connecting nowhere");
    return DELETE_SUMMARY;
  }
  const { input, rotateUsers, removedUsers } = action;
  const deadline = setupDeadline(startedAt, input.waitSeconds, context.getRemainingTimeInMillis());
  deps.log(`event: ${tfAction ?? "invoke"}${rotateUsers ? `, rotate ${rotateUsers.join(", ") || "nobody"}` : ""}: ${input.dialect} database ${input.database}, ${input.users.length} user(s), writer ${input.host}:${input.port}, proxy ${input.proxyHost}`);
  deps.log(`time budget: ${Math.round((deadline - startedAt) / 1000)} s (waitSeconds ${input.waitSeconds}; the invocation has ${Math.round(context.getRemainingTimeInMillis() / 1000)} s left, ${TIME_MARGIN_MS / 1000} s kept back)`);

  const tls = deps.tls ?? defaultTls;
  const request: BootstrapRequest = {
    dialect: input.dialect,
    host: input.host,
    port: input.port,
    database: input.database,
    engine: input.engine,
    // What clients connect to; the function's own path (the writer) never reaches a secret.
    secretHost: input.proxyHost,
    secretPort: input.port,
    users: input.users,
    master: { secretArn: input.masterSecretArn },
    tls: tls(input.host, "rds"),
    ...(rotateUsers ? { rotateUsers } : {}),
    ...(removedUsers ? { removedUsers } : {}),
    dryRun: false,
    waitTimeoutMs: Math.max(0, deadline - now()),
  };
  let result: BootstrapResult;
  try {
    // The whole apply, not only the wait, stops before the invocation's end: the margin is for the report.
    const hardDeadline = startedAt + context.getRemainingTimeInMillis() - TIME_MARGIN_MS;
    result = await runBootstrap(request, { secrets: deps.secrets, log: deps.log, ...(deps.sleep ? { sleep: deps.sleep } : {}), now, deadline: hardDeadline });
  } catch (error) {
    throw asSetupError(error, "sql", []);
  }
  deps.log(result.changes === 0 ? "apply: nothing to do, the database and secrets already match" : `apply: ${result.statements.length} statement(s), ${result.secretsWritten.length} secret(s) written`);

  const proxyCheck = await checkProxy(input, context, deps, deadline);
  return {
    action: rotateUsers ? "rotate" : "apply",
    changes: result.changes,
    statements: result.statements,
    secretsWritten: result.secretsWritten,
    warnings: result.warnings,
    ...(result.removedUsers ? { removedUsers: result.removedUsers } : {}),
    proxyCheck,
  };
}

/** SELECT 1 through the proxy as the master, as a client would reach the database, until the deadline. */
async function checkProxy(input: SetupInput, context: LambdaContext, deps: SetupDeps, deadline: number): Promise<string> {
  if (input.proxyHost === input.host) {
    deps.log("proxy check: skipped, the proxy endpoint is the writer's");
    return "skipped: proxyHost is the writer endpoint, which the apply already used";
  }
  const now = deps.now ?? Date.now;
  const known: string[] = [];
  let master: { username: string; password: string };
  try {
    master = await readMasterSecret(deps.secrets, input.masterSecretArn);
  } catch (error) {
    throw asSetupError(error, "secrets", known);
  }
  known.push(master.password);
  const iam = input.proxyMasterAuth === "iam";
  const region = deps.region || input.masterSecretArn.split(":")[3]!;
  const token = deps.token ?? defaultToken;
  const check = deps.proxyCheck ?? selectOneThrough;
  const tls = (deps.tls ?? defaultTls)(input.proxyHost, "proxy");
  const where = `${input.proxyHost}:${input.port}`;
  const budgetMs = Math.max(0, deadline - now());
  deps.log(`proxy check: SELECT 1 through ${where} as ${master.username} (${iam ? "IAM token" : "password"}), up to ${Math.round(budgetMs / 1000)} s`);
  let attempts = 0;
  try {
    await waitFor(async () => {
      attempts++;
      let password = master.password;
      if (iam) {
        try {
          password = await token(input.proxyHost, input.port, master.username, region);
        } catch (error) {
          throw new SetupError("proxy check", `cannot sign an IAM token for ${master.username} at ${where} in ${region}: ${(error as Error).name}`);
        }
        known.push(password);
      }
      // Never past the invocation's end: the last attempt gets what is left of it.
      const connectTimeoutMs = Math.min(MAX_CONNECT_TIMEOUT_MS, Math.max(1_000, context.getRemainingTimeInMillis() - 5_000));
      await check({ dialect: input.dialect, host: input.proxyHost, port: input.port, user: master.username, password, database: input.database, iam, tls, connectTimeoutMs });
    }, (error) => !(error instanceof SetupError) && proxyRetryable(error), {
      timeoutMs: budgetMs,
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
      now,
      onRetry: (attempt, delay, error) => deps.log(`  proxy check attempt ${attempt}: ${describe(error, known)}; retrying in ${(delay / 1000).toFixed(1)} s`),
    });
  } catch (error) {
    if (error instanceof SetupError) throw error;
    const settled = "the database and the users' secrets are set up; fix the path and run npm run setup -- <env> to check again";
    if (error instanceof WaitTimeout) {
      throw new SetupError("proxy check", `SELECT 1 through the proxy ${where} as ${master.username} did not succeed within ${Math.round(budgetMs / 1000)} s (${error.attempts} attempt(s); last: ${describe(error.lastError, known)}); ${settled}`);
    }
    throw new SetupError("proxy check", `SELECT 1 through the proxy ${where} as ${master.username} failed: ${describe(error as Error, known)}; ${settled}`);
  }
  deps.log(`proxy check: ok after ${attempts} attempt(s)`);
  return "ok";
}

function describe(error: Error, known: readonly string[]): string {
  const code = errorCode(error);
  const message = redact(error.message ?? "", known);
  return code && !message.includes(code) ? `${code}: ${message}` : message || error.name;
}
