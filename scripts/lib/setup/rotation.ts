/**
 * The rotation function's core: Secrets Manager's four-step protocol for one application user's secret
 * (`createSecret`, `setSecret`, `testSecret`, `finishSecret` for a `ClientRequestToken`), on the same
 * ground as the bootstrap: the RDS-managed master secret, the WRITER endpoint over verified TLS, the
 * per-database lock, verifiers and hashes computed on the client. Secrets Manager retries a failed step
 * and may call one twice, so each step first looks at what is already done and does only the rest.
 *
 * What a client sees: a new password is stored as AWSPENDING (createSecret), the database accepts it
 * (setSecret) — on MySQL 8.0.14+ next to the old one (RETAIN CURRENT PASSWORD), on MariaDB as a second
 * authentication method (IDENTIFIED VIA … OR …), on PostgreSQL instead of it — it is tried on the writer
 * (testSecret), then made AWSCURRENT, checked through the proxy as the user, and only then is the old
 * password dropped (finishSecret). A failing proxy check is an error (the function's Errors alarm).
 * No password is ever logged, put in an error message, or, where the engine allows it, in a statement.
 */
import {
  DescribeSecretCommand, GetSecretValueCommand, PutSecretValueCommand, ResourceNotFoundException, type DescribeSecretCommandOutput, type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import mysql from "mysql2/promise";
import pg from "pg";
import type { Dialect } from "../database/bootstrap-plan.ts";
import { lockName } from "../database/bootstrap.ts";
import { mysqlHashMatches, mysqlNativeHash, scramSha256Verifier, type MysqlPasswordPlugin } from "../database/password-hashes.ts";
import { promotePending, readMasterSecret } from "../database/secret-versions.ts";
import { generatePassword, parseUserSecret, passwordProblem, type UserSecret } from "../database/user-secret.ts";
import type { CaSet, NodeTlsSettings } from "../connection/tls.ts";
import { waitFor, WaitTimeout } from "../connection/wait.ts";
import { proxyRetryable, redact, selectOneThrough, type ProxyCheck } from "./run-setup.ts";

export const ROTATION_STEPS = ["createSecret", "setSecret", "testSecret", "finishSecret"] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** What Secrets Manager sends the function, once per step. */
export interface RotationEvent {
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  readonly Step: RotationStep;
}

/** Where the rotation happens, from the function's environment (scripts/lambda/db-rotate.ts); no secret. */
export interface RotationTarget {
  readonly dialect: Dialect;
  /** The writer endpoint: setSecret and testSecret never depend on the proxy. */
  readonly writerHost: string;
  readonly port: number;
  /** The application database, where testSecret logs in. */
  readonly database: string;
  readonly masterSecretArn: string;
  /** User secrets are named "<prefix>/<user>": the function rotates these and nothing else. */
  readonly userSecretPrefix: string;
  /** The proxy endpoint clients use, where finishSecret checks the path. */
  readonly proxyHost: string;
  /** Users whose clients authenticate to the proxy with an IAM token (the rest: with the secret's password). */
  readonly proxyIamUsers: readonly string[];
  readonly region: string;
}

export interface RotationDeps {
  readonly secrets: SecretsManagerClient;
  /** One line per action; never a password, a token, a verifier or a hash. */
  readonly log: (line: string) => void;
  /** TLS for a host and the CA set that must verify it ("rds" for the writer, "proxy" for the proxy). Never unverified. */
  readonly tls: (host: string, caSet: CaSet) => NodeTlsSettings;
  /** @default SELECT 1 with pg or mysql2 (run-setup.ts `selectOneThrough`) */
  readonly proxyCheck?: ProxyCheck;
  /** An RDS IAM token, for the proxy check of IAM users. */
  readonly token: (host: string, port: number, user: string, region: string) => Promise<string>;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** When the step must have finished (epoch ms): the invocation's end minus a margin. */
  readonly deadline: number;
  /**
   * How long finishSecret retries the proxy check: the proxy reads the new AWSCURRENT for new connections,
   * which takes a moment after the label moves.
   * @default 60 s, never past the deadline
   */
  readonly proxyCheckMs?: number;
}

/** Every failure, with a message that is safe to print (the function's log, Secrets Manager's rotation failure). */
export class RotationError extends Error {
  constructor(readonly step: RotationStep | "event" | "proxy check", detail: string) {
    super(`rotation failed at ${step}: ${detail}`);
    this.name = "RotationError";
  }
}

export interface RotationOutcome {
  readonly step: RotationStep;
  readonly user: string;
  /** What the step did: "done", or why nothing was needed. */
  readonly result: string;
}

const CURRENT = "AWSCURRENT";
const PENDING = "AWSPENDING";
const DEFAULT_PROXY_CHECK_MS = 60_000;
/** ClientRequestToken: Secrets Manager's idempotency token, 32..64 characters. */
const TOKEN = /^[A-Za-z0-9-]{32,64}$/;

/** The event, checked; nothing of it is echoed but field names and the step. */
export function parseRotationEvent(event: unknown): RotationEvent {
  const e = (typeof event === "object" && event !== null ? event : {}) as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof e.SecretId !== "string" || e.SecretId === "") problems.push("SecretId: must be the secret's ARN or name");
  if (typeof e.ClientRequestToken !== "string" || !TOKEN.test(e.ClientRequestToken)) problems.push("ClientRequestToken: must be a version id (32..64 letters, digits, hyphens)");
  if (!ROTATION_STEPS.includes(e.Step as RotationStep)) problems.push(`Step: must be one of ${ROTATION_STEPS.join(", ")}`);
  if (problems.length > 0) throw new RotationError("event", `not a Secrets Manager rotation event: ${problems.join("; ")}`);
  return { SecretId: e.SecretId as string, ClientRequestToken: e.ClientRequestToken as string, Step: e.Step as RotationStep };
}

/** One step's shared state: what it knows (to scrub from every message) and what it has opened. */
interface StepContext {
  readonly event: RotationEvent;
  readonly target: RotationTarget;
  readonly deps: RotationDeps;
  readonly user: string;
  readonly knownSecrets: string[];
}

/**
 * Runs one step for one token, after the checks the protocol requires: rotation is enabled for the
 * secret, the token is one of its versions, and that version is AWSPENDING. A version already AWSCURRENT
 * needs nothing — except finishSecret, which still finishes the database side (drops the old password)
 * and checks the proxy: a retried finishSecret is how an interrupted one completes.
 */
export async function rotateSecret(event: unknown, target: RotationTarget, deps: RotationDeps): Promise<RotationOutcome> {
  const parsed = parseRotationEvent(event);
  const { SecretId: secretId, ClientRequestToken: token, Step: step } = parsed;
  const described = await describe(deps.secrets, secretId, step);
  if (described.RotationEnabled !== true) throw new RotationError(step, `rotation is not enabled for secret ${secretId}: refusing to rotate it`);
  const user = userOfSecret(described.Name ?? "", target, step);
  const stages = described.VersionIdsToStages?.[token];
  if (!stages) throw new RotationError(step, `version ${token} is not a version of secret ${secretId}`);
  const context: StepContext = { event: parsed, target, deps, user, knownSecrets: [] };
  deps.log(`${step} for ${user} (${secretId}), version ${token}`);
  if (stages.includes(CURRENT)) {
    if (step !== "finishSecret") {
      deps.log(`  version ${token} is already AWSCURRENT: nothing to do`);
      return { step, user, result: "nothing to do: the version is already AWSCURRENT" };
    }
  } else if (!stages.includes(PENDING)) {
    throw new RotationError(step, `version ${token} of secret ${secretId} is not staged AWSPENDING (stages: ${stages.join(", ") || "none"}): another rotation has replaced it, or it has finished`);
  }
  try {
    switch (step) {
      case "createSecret": return { step, user, result: await createSecret(context) };
      case "setSecret": return { step, user, result: await setSecret(context) };
      case "testSecret": return { step, user, result: await testSecret(context) };
      case "finishSecret": return { step, user, result: await finishSecret(context, described) };
    }
  } catch (error) {
    if (error instanceof RotationError) throw error;
    const err = error as Error & { code?: unknown };
    const code = typeof err.code === "string" ? ` (${err.code})` : "";
    throw new RotationError(step, `${err.name}${code}: ${redact(String(err.message ?? ""), context.knownSecrets)}`);
  }
}

async function describe(secrets: SecretsManagerClient, secretId: string, step: RotationStep): Promise<DescribeSecretCommandOutput> {
  try {
    return await secrets.send(new DescribeSecretCommand({ SecretId: secretId }));
  } catch (error) {
    throw new RotationError(step, `cannot describe secret ${secretId}: ${(error as Error).name}`);
  }
}

/** The user a secret belongs to, from its name "<prefix>/<user>"; any other secret is refused. */
function userOfSecret(name: string, target: RotationTarget, step: RotationStep): string {
  const prefix = `${target.userSecretPrefix}/`;
  const user = name.startsWith(prefix) ? name.slice(prefix.length) : "";
  if (!/^[a-z_][a-z0-9_]*$/.test(user)) {
    throw new RotationError(step, `secret ${JSON.stringify(name.slice(0, 200))} is not an application user's secret of this environment (${prefix}<user>): this function rotates only those`);
  }
  return user;
}

/** A version's value as a user secret, or undefined when the version has none. */
async function readVersion(context: StepContext, stage: string, versionId?: string): Promise<Partial<UserSecret> | undefined> {
  const { event, deps } = context;
  try {
    const result = await deps.secrets.send(new GetSecretValueCommand({ SecretId: event.SecretId, VersionStage: stage, ...(versionId ? { VersionId: versionId } : {}) }));
    const value = parseUserSecret(result.SecretString);
    if (typeof value?.password === "string") context.knownSecrets.push(value.password);
    return value;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw new RotationError(event.Step, `cannot read ${stage}${versionId ? ` version ${versionId}` : ""} of ${event.SecretId}: ${(error as Error).name}`);
  }
}

/** AWSCURRENT, which must be this user's and hold a password (IAM-only users have none and are not rotated). */
async function readCurrent(context: StepContext): Promise<UserSecret & { password: string }> {
  const current = await readVersion(context, CURRENT);
  if (!current || typeof current.password !== "string" || current.password === "") {
    throw new RotationError(context.event.Step, `the current version of ${context.event.SecretId} holds no password: run npm run setup first (a user that logs in with IAM only has no password to rotate)`);
  }
  if (current.username !== context.user) {
    throw new RotationError(context.event.Step, `the current version of ${context.event.SecretId} names user ${JSON.stringify(String(current.username).slice(0, 80))}, not ${context.user}`);
  }
  return current as UserSecret & { password: string };
}

/** The token's AWSPENDING value, which createSecret wrote: a password every driver sends the same way. */
async function readPending(context: StepContext): Promise<UserSecret & { password: string }> {
  const pending = await readVersion(context, PENDING, context.event.ClientRequestToken);
  const password = pending?.password;
  if (typeof password !== "string" || password === "") {
    throw new RotationError(context.event.Step, `version ${context.event.ClientRequestToken} has no pending password yet: createSecret must run first`);
  }
  const problem = passwordProblem(password);
  if (problem) throw new RotationError(context.event.Step, `the pending password cannot be used: ${problem}`);
  if (pending!.username !== context.user) throw new RotationError(context.event.Step, `the pending version names another user than ${context.user}`);
  return pending as UserSecret & { password: string };
}

// ---------------------------------------------------------------------------------------------------------
// createSecret: a new password as the token's AWSPENDING version, once
// ---------------------------------------------------------------------------------------------------------

async function createSecret(context: StepContext): Promise<string> {
  const { event, deps } = context;
  const current = await readCurrent(context);
  const existing = await readVersion(context, PENDING, event.ClientRequestToken);
  if (typeof existing?.password === "string" && existing.password !== "") {
    deps.log("  the pending version already holds a new password: nothing to do");
    return "nothing to do: the pending version exists";
  }
  const password = generatePassword();
  context.knownSecrets.push(password);
  deps.log(`  storing a new password for ${context.user} as AWSPENDING (version ${event.ClientRequestToken})`);
  try {
    await deps.secrets.send(new PutSecretValueCommand({
      SecretId: event.SecretId, ClientRequestToken: event.ClientRequestToken, VersionStages: [PENDING],
      SecretString: JSON.stringify({ ...current, password }),
    }));
  } catch (error) {
    throw new RotationError("createSecret", `cannot store the new password of ${context.user}: ${(error as Error).name}`);
  }
  return "done";
}

// ---------------------------------------------------------------------------------------------------------
// setSecret: the database accepts the pending password (and, where the engine can, still the old one)
// ---------------------------------------------------------------------------------------------------------

async function setSecret(context: StepContext): Promise<string> {
  const pending = await readPending(context);
  const current = await readCurrent(context);
  return withMaster(context, async (session) => {
    await confirmStillPending(context);
    if (context.target.dialect === "postgresql") {
      const client = session as pg.Client;
      const role = await client.query<{ login: boolean }>("SELECT rolcanlogin AS login FROM pg_roles WHERE rolname = $1", [context.user]);
      if (role.rows.length === 0) throw new RotationError("setSecret", `role ${context.user} does not exist: run npm run setup to create it`);
      const verifier = scramSha256Verifier(pending.password);
      context.knownSecrets.push(verifier);
      context.deps.log(`  ALTER ROLE ${pg.escapeIdentifier(context.user)} WITH PASSWORD '********'`);
      await client.query(`ALTER ROLE ${pg.escapeIdentifier(context.user)} WITH PASSWORD ${pg.escapeLiteral(verifier)}`);
      return "done";
    }
    const connection = session as mysql.Connection;
    const account = await readMysqlAccount(connection, context);
    const statement = mysqlSetPasswordStatement(account, context.user, pending.password, current.password);
    if (!statement) {
      context.deps.log("  the database already has the pending password: nothing to do");
      return "nothing to do: the database has the pending password";
    }
    context.knownSecrets.push(...statement.secrets);
    context.deps.log(`  ${statement.display}`);
    await connection.query(statement.sql);
    if (!statement.keepsOld) context.deps.log(`  note: ${account.version} has no second password: the old one stops working now (clients of the proxy are unaffected until a new proxy connection needs it)`);
    return "done";
  });
}

/** What setSecret and finishSecret need to know about a MySQL-family account. */
export interface MysqlAccount {
  /** VERSION(), e.g. "8.0.36" or "10.11.6-MariaDB". */
  readonly version: string;
  readonly plugin: string;
  /** The primary authentication string, in hex (binary salts survive). */
  readonly authenticationStringHex: string;
  /** SHOW CREATE USER's text: says whether a second password (MariaDB: a second method) is set. */
  readonly createUser: string;
}

async function readMysqlAccount(connection: mysql.Connection, context: StepContext): Promise<MysqlAccount> {
  const [versionRows] = await connection.query("SELECT VERSION() AS version");
  const [rows] = await connection.query("SELECT plugin, HEX(authentication_string) AS auth FROM mysql.user WHERE User = ? AND Host = '%'", [context.user]);
  const row = (rows as { plugin: string; auth: string | null }[])[0];
  if (!row) throw new RotationError(context.event.Step, `user ${context.user}@'%' does not exist: run npm run setup to create it`);
  const [created] = await connection.query("SHOW CREATE USER ?@'%'", [context.user]);
  const createUser = String(Object.values((created as Record<string, unknown>[])[0] ?? {})[0] ?? "");
  return { version: (versionRows as { version: string }[])[0]!.version, plugin: row.plugin, authenticationStringHex: row.auth ?? "", createUser };
}

const isMariadb = (version: string) => /mariadb/i.test(version);

/** MySQL 8.0.14 added dual passwords (RETAIN CURRENT PASSWORD / DISCARD OLD PASSWORD). */
export function mysqlHasDualPasswords(version: string): boolean {
  if (isMariadb(version)) return false;
  const [major = 0, minor = 0, patch = 0] = (/^(\d+)\.(\d+)\.(\d+)/.exec(version) ?? []).slice(1).map(Number);
  return major > 8 || (major === 8 && (minor > 0 || patch >= 14));
}

/** MariaDB 10.4 lets an account have several authentication methods, tried in order (IDENTIFIED VIA … OR …). */
export function mariadbHasAlternativeMethods(version: string): boolean {
  if (!isMariadb(version)) return false;
  const [major = 0, minor = 0] = (/^(\d+)\.(\d+)/.exec(version) ?? []).slice(1).map(Number);
  return major > 10 || (major === 10 && minor >= 4);
}

const PASSWORD_PLUGINS: readonly string[] = ["mysql_native_password", "caching_sha2_password"];

/**
 * The statement that makes a MySQL-family account accept `password` while it still accepts the current
 * one where the engine can, or undefined when its primary password is `password` already (a retried
 * setSecret changes nothing, so it never drops the old password by retaining the new one twice):
 * - MySQL 8.0.14+: IDENTIFIED WITH <its plugin> BY '<password>' RETAIN CURRENT PASSWORD. The grammar
 *   allows RETAIN only with BY (a cleartext password), never with AS '<hash>'; MySQL rewrites the
 *   statement without the password in its general, slow and binary logs.
 * - MariaDB 10.4+: IDENTIFIED VIA mysql_native_password USING '<new hash>' OR mysql_native_password
 *   USING '<hash of AWSCURRENT's password>': two methods, each with its hash, no password in the
 *   statement; the second is the password clients hold (`currentPassword`), not whatever the database had.
 * - anything else: the new hash only (IDENTIFIED WITH … AS), and `keepsOld` false.
 */
export function mysqlSetPasswordStatement(account: MysqlAccount, user: string, password: string, currentPassword: string): { sql: string; display: string; keepsOld: boolean; secrets: string[] } | undefined {
  if (!PASSWORD_PLUGINS.includes(account.plugin)) throw new RotationError("setSecret", `${user} authenticates with ${account.plugin}, not a password: nothing to rotate`);
  const plugin = account.plugin as MysqlPasswordPlugin;
  if (mysqlHashMatches(plugin, account.authenticationStringHex, password) === true) return undefined;
  const who = `${mysql.escape(user)}@'%'`;
  if (mysqlHasDualPasswords(account.version)) {
    return {
      sql: `ALTER USER ${who} IDENTIFIED WITH ${plugin} BY ${mysql.escape(password)} RETAIN CURRENT PASSWORD`,
      display: `ALTER USER ${who} IDENTIFIED WITH ${plugin} BY '********' RETAIN CURRENT PASSWORD`, keepsOld: true, secrets: [],
    };
  }
  const hash = mysqlNativeHash(password);
  const current = mysqlNativeHash(currentPassword);
  if (mariadbHasAlternativeMethods(account.version) && plugin === "mysql_native_password" && currentPassword !== password) {
    return {
      sql: `ALTER USER ${who} IDENTIFIED VIA mysql_native_password USING ${mysql.escape(hash)} OR mysql_native_password USING ${mysql.escape(current)}`,
      display: `ALTER USER ${who} IDENTIFIED VIA mysql_native_password USING '********' OR mysql_native_password USING '********'`, keepsOld: true, secrets: [hash, current],
    };
  }
  const stored = plugin === "mysql_native_password" ? hash : undefined;
  if (!stored) throw new RotationError("setSecret", `${account.version} with ${plugin}: no way to set a password without sending it, refusing`);
  return { sql: `ALTER USER ${who} IDENTIFIED WITH ${plugin} AS ${mysql.escape(stored)}`, display: `ALTER USER ${who} IDENTIFIED WITH ${plugin} AS '********'`, keepsOld: false, secrets: [stored] };
}

/** The statement that drops the old password once the new one is current, or undefined when there is none. */
export function mysqlDiscardOldStatement(account: MysqlAccount, user: string, password: string): { sql: string; display: string; secrets: string[] } | undefined {
  const who = `${mysql.escape(user)}@'%'`;
  if (mysqlHasDualPasswords(account.version)) {
    // Harmless when there is no old password; SHOW CREATE USER does not say whether one is kept.
    return { sql: `ALTER USER ${who} DISCARD OLD PASSWORD`, display: `ALTER USER ${who} DISCARD OLD PASSWORD`, secrets: [] };
  }
  if (!/\bOR\b/.test(account.createUser)) return undefined;
  const hash = mysqlNativeHash(password);
  return { sql: `ALTER USER ${who} IDENTIFIED WITH mysql_native_password AS ${mysql.escape(hash)}`, display: `ALTER USER ${who} IDENTIFIED WITH mysql_native_password AS '********'`, secrets: [hash] };
}

// ---------------------------------------------------------------------------------------------------------
// testSecret: the pending password logs in to the writer
// ---------------------------------------------------------------------------------------------------------

async function testSecret(context: StepContext): Promise<string> {
  const pending = await readPending(context);
  const { target, deps } = context;
  deps.log(`  logging in to the writer ${target.writerHost}:${target.port} as ${context.user} with the pending password`);
  try {
    const session = await openSession(context, context.user, pending.password, target.database);
    await session.close();
  } catch (error) {
    const err = error as Error & { code?: unknown };
    throw new RotationError("testSecret", `the pending password of ${context.user} does not log in to the writer ${target.writerHost}:${target.port}: ${typeof err.code === "string" ? `${err.code}: ` : ""}${redact(err.message, context.knownSecrets)}`);
  }
  return "done";
}

// ---------------------------------------------------------------------------------------------------------
// finishSecret: AWSCURRENT moves to the token, the proxy path is checked, the old password goes
// ---------------------------------------------------------------------------------------------------------

async function finishSecret(context: StepContext, described: DescribeSecretCommandOutput): Promise<string> {
  const { event, deps, target } = context;
  const token = event.ClientRequestToken;
  const currentOf = (secret: DescribeSecretCommandOutput) => Object.entries(secret.VersionIdsToStages ?? {}).find(([, stages]) => stages.includes(CURRENT))?.[0];
  let promoted = false;
  if (currentOf(described) !== token) {
    await withMaster(context, async () => {
      // Read again under the lock: a setup run may have finished this very version meanwhile.
      const now = await confirmStillPending(context);
      const currentId = currentOf(now);
      if (currentId === token) return;
      deps.log(`  making version ${token} AWSCURRENT (was ${currentId ?? "none"})`);
      await promotePending(deps.secrets, event.SecretId, context.user, token, currentId);
      promoted = true;
    });
  }
  if (!promoted) {
    deps.log(`  version ${token} is AWSCURRENT already: finishing what follows`);
  }
  const current = await readCurrent(context);
  await checkProxy(context, current.password);
  if (target.dialect === "mysql") {
    await withMaster(context, async (session) => {
      const connection = session as mysql.Connection;
      const account = await readMysqlAccount(connection, context);
      const statement = mysqlDiscardOldStatement(account, context.user, current.password);
      if (!statement) return;
      context.knownSecrets.push(...statement.secrets);
      deps.log(`  ${statement.display}`);
      await connection.query(statement.sql);
    });
  }
  return promoted ? "done" : "done: the version was already AWSCURRENT";
}

/** SELECT 1 through the proxy as the user, as its clients log in, retried while the proxy takes up the new AWSCURRENT. */
async function checkProxy(context: StepContext, password: string): Promise<void> {
  const { target, deps, user } = context;
  if (target.proxyHost === target.writerHost) {
    deps.log("  proxy check: skipped, the proxy endpoint is the writer's");
    return;
  }
  const now = deps.now ?? Date.now;
  const iam = target.proxyIamUsers.includes(user);
  const where = `${target.proxyHost}:${target.port}`;
  const budgetMs = Math.max(0, Math.min(deps.proxyCheckMs ?? DEFAULT_PROXY_CHECK_MS, deps.deadline - now()));
  const check = deps.proxyCheck ?? selectOneThrough;
  const tls = deps.tls(target.proxyHost, "proxy");
  deps.log(`  proxy check: SELECT 1 through ${where} as ${user} (${iam ? "IAM token" : "the new password"}), up to ${Math.round(budgetMs / 1000)} s`);
  let attempts = 0;
  try {
    await waitFor(async () => {
      attempts++;
      const secret = iam ? await deps.token(target.proxyHost, target.port, user, target.region) : password;
      context.knownSecrets.push(secret);
      const connectTimeoutMs = Math.max(1_000, Math.min(10_000, deps.deadline - now()));
      await check({ dialect: target.dialect, host: target.proxyHost, port: target.port, user, password: secret, database: target.database, iam, tls, connectTimeoutMs });
    }, proxyRetryable, {
      timeoutMs: budgetMs, now, ...(deps.sleep ? { sleep: deps.sleep } : {}),
      onRetry: (attempt, delay, error) => deps.log(`  proxy check attempt ${attempt}: ${redact(error.message, context.knownSecrets)}; retrying in ${(delay / 1000).toFixed(1)} s`),
    });
  } catch (error) {
    const last = error instanceof WaitTimeout ? error.lastError : (error as Error);
    const code = (last as { code?: unknown }).code;
    throw new RotationError("proxy check", `SELECT 1 through the proxy ${where} as ${user} failed after ${attempts} attempt(s) (${typeof code === "string" ? `${code}: ` : ""}${redact(last.message, context.knownSecrets)}): the new password is AWSCURRENT and logs in to the writer, but clients of the proxy may be refused; ${context.target.dialect === "mysql" ? "the old password is kept until a retried finishSecret passes this check" : "check the proxy's secret access (its role, the key) and its logs"}`);
  }
  deps.log(`  proxy check: ok after ${attempts} attempt(s)`);
}

/** Refuses to change anything for a token that stopped being AWSPENDING meanwhile (another rotation, a bootstrap run). */
async function confirmStillPending(context: StepContext): Promise<DescribeSecretCommandOutput> {
  const { event } = context;
  const now = await describe(context.deps.secrets, event.SecretId, event.Step);
  const stages = now.VersionIdsToStages?.[event.ClientRequestToken] ?? [];
  if (!stages.includes(PENDING) && !stages.includes(CURRENT)) {
    throw new RotationError(event.Step, `version ${event.ClientRequestToken} stopped being AWSPENDING while this step waited for the database: nothing was changed`);
  }
  return now;
}

// ---------------------------------------------------------------------------------------------------------
// Sessions and the lock
// ---------------------------------------------------------------------------------------------------------

interface Session {
  readonly raw: pg.Client | mysql.Connection;
  close(): Promise<void>;
}

/** A session on the writer over verified TLS; no statement or lock wait outlives the deadline. */
async function openSession(context: StepContext, user: string, password: string, database: string | undefined): Promise<Session> {
  const { target, deps } = context;
  const limit = Math.max(1_000, deps.deadline - (deps.now ?? Date.now)());
  const connectTimeout = Math.min(10_000, limit);
  const ssl = deps.tls(target.writerHost, "rds");
  if (target.dialect === "postgresql") {
    const client = new pg.Client({
      host: target.writerHost, port: target.port, user, password, database: database ?? "postgres", ssl, connectionTimeoutMillis: connectTimeout,
      application_name: "dbstack-rotate", statement_timeout: limit, lock_timeout: limit, query_timeout: limit + 1_000,
    });
    client.on("error", () => undefined);
    await client.connect();
    return { raw: client, close: () => client.end() };
  }
  const connection = await mysql.createConnection({ host: target.writerHost, port: target.port, user, password, ...(database ? { database } : {}), ssl: ssl as mysql.SslOptions, connectTimeout });
  connection.on("error", () => undefined);
  await connection.query(`SET SESSION lock_wait_timeout = ${Math.ceil(limit / 1000)}`);
  return { raw: connection, close: () => connection.end() };
}

/**
 * Runs `work` as the master on the writer while holding the bootstrap's lock on the application database,
 * so a rotation step and a setup run (deploy, npm run setup) never interleave on one user.
 */
async function withMaster<T>(context: StepContext, work: (session: pg.Client | mysql.Connection) => Promise<T>): Promise<T> {
  const { target, deps } = context;
  const master = await readMasterSecret(deps.secrets, target.masterSecretArn).catch((error: Error) => {
    throw new RotationError(context.event.Step, `cannot read the master secret: ${error.message}`);
  });
  context.knownSecrets.push(master.password);
  let session: Session;
  try {
    session = await openSession(context, master.username, master.password, undefined);
  } catch (error) {
    const err = error as Error & { code?: unknown };
    throw new RotationError(context.event.Step, `cannot log in to the writer ${target.writerHost}:${target.port} as ${master.username}: ${typeof err.code === "string" ? `${err.code}: ` : ""}${redact(err.message, context.knownSecrets)}`);
  }
  const name = lockName(target.database);
  const waitSeconds = Math.max(1, Math.floor((deps.deadline - (deps.now ?? Date.now)()) / 1000));
  try {
    if (target.dialect === "postgresql") {
      const client = session.raw as pg.Client;
      // lock_timeout (the session's, set from the deadline) bounds the wait for a setup run holding it.
      await client.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [name]);
    } else {
      const got = ((await (session.raw as mysql.Connection).query("SELECT GET_LOCK(?, ?) AS got", [name, waitSeconds]))[0] as { got: number | null }[])[0]!.got;
      if (Number(got) !== 1) throw new RotationError(context.event.Step, `a setup run has held the lock on database ${target.database} for more than ${waitSeconds} s; nothing was changed: Secrets Manager retries the step`);
    }
    return await work(session.raw);
  } finally {
    await session.close().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------------------
// The function's environment
// ---------------------------------------------------------------------------------------------------------

/** The environment variables modules/rotation.ts sets: none holds a secret, and none is named like one (policy rule LMB3). */
export const ROTATION_ENVIRONMENT = ["DB_DIALECT", "DB_WRITER_HOST", "DB_PORT", "DB_NAME", "DB_MASTER_ARN", "DB_USER_PREFIX", "DB_PROXY_HOST", "DB_PROXY_IAM_USERS"] as const;

/** The target from the function's environment; every missing or malformed variable named at once. */
export function rotationTargetFromEnvironment(env: Readonly<Record<string, string | undefined>>): RotationTarget {
  const problems: string[] = [];
  const text = (name: (typeof ROTATION_ENVIRONMENT)[number], allowEmpty = false) => {
    const value = env[name];
    if (value === undefined || (!allowEmpty && value === "")) problems.push(`${name} is not set`);
    return value ?? "";
  };
  const dialect = text("DB_DIALECT");
  if (dialect !== "" && dialect !== "postgresql" && dialect !== "mysql") problems.push('DB_DIALECT must be "postgresql" or "mysql"');
  const portText = text("DB_PORT");
  const port = Number(portText);
  if (portText !== "" && !(Number.isInteger(port) && port >= 1 && port <= 65535)) problems.push("DB_PORT must be a port, 1..65535");
  const region = env.AWS_REGION ?? "";
  if (region === "") problems.push("AWS_REGION is not set");
  const target: RotationTarget = {
    dialect: dialect as Dialect, writerHost: text("DB_WRITER_HOST"), port, database: text("DB_NAME"), masterSecretArn: text("DB_MASTER_ARN"),
    userSecretPrefix: text("DB_USER_PREFIX"), proxyHost: text("DB_PROXY_HOST"),
    proxyIamUsers: text("DB_PROXY_IAM_USERS", true).split(",").filter((name) => name !== ""), region,
  };
  if (problems.length > 0) throw new RotationError("event", `the rotation function is misconfigured: ${problems.join("; ")}`);
  return target;
}
