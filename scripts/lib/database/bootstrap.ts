/**
 * The bootstrap run: check the request, read credentials, wait for the database, take the database's
 * lock (one run at a time), read its catalog and the users' secrets, decide each password, plan, then
 * apply in the order that keeps every step safe to interrupt — new passwords into AWSPENDING, the SQL,
 * AWSPENDING made current (only if the secret is still what was read), other secret changes — so a rerun
 * after a stop anywhere, a deadline included, converges. Inputs are plain data and clients are passed in:
 * the CLI and a Lambda handler share this core, and tests drive it against real servers.
 */
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { createHash } from "node:crypto";
import mysql from "mysql2/promise";
import pg from "pg";
import { decidePassword, type PasswordDecision } from "./bootstrap-passwords.ts";
import {
  desiredStateProblems, ENGINE_FAMILY, plan, PlanRefused, type DesiredState, type Dialect, type Login, type MysqlCatalog, type PlannedStep, type PostgresCatalog, type Privileges,
} from "./bootstrap-plan.ts";
import { EXIT, ScriptError } from "../cli.ts";
import { masterUserNameProblem, userNameProblem } from "../names/database-names.ts";
import { formatProblems, type InputProblem } from "./input-problems.ts";
import { readMysqlCatalog } from "./mysql-catalog.ts";
import { cleartextPasswordPlugin } from "../connection/mysql-cleartext.ts";
import { mysqlHashMatches, mysqlPasswordHash, scramSha256Verifier } from "./password-hashes.ts";
import { readPostgresCatalog } from "./postgres-catalog.ts";
import { promotePending, readMasterSecret, readSecretVersions, writeCurrent, writePending, type SecretVersions } from "./secret-versions.ts";
import type { NodeTlsSettings } from "../connection/tls.ts";
import { generatePassword, secretMatches, type UserSecret } from "./user-secret.ts";
import { waitFor, WaitTimeout } from "../connection/wait.ts";

export interface BootstrapUser {
  readonly name: string;
  readonly privileges: Privileges;
  readonly login: Login;
  /** Where its credentials live. */
  readonly secretArn: string;
  /** Host stored in its secret when not the request's (direct-IAM users connect to the writer). */
  readonly secretHost?: string;
}

/** The master login: the RDS-managed secret, or the master user with an IAM token source. */
export type MasterLogin =
  | { readonly secretArn: string; readonly user?: string }
  | { readonly user: string; readonly token: () => Promise<string> };

export interface BootstrapRequest {
  readonly dialect: Dialect;
  /** Where this run connects: the proxy endpoint, or a tunnel. */
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** Engine name stored in user secrets, e.g. "aurora-postgresql". */
  readonly engine: string;
  /** Host stored in user secrets: what clients connect to (the proxy endpoint), whatever path this run takes. */
  readonly secretHost: string;
  /**
   * Port stored in user secrets: the database's and the proxy's, whatever path this run takes — never a
   * tunnel's.
   * @default port
   */
  readonly secretPort?: number;
  readonly users: readonly BootstrapUser[];
  /** With `user` known up front, application user names are checked against it before any call. */
  readonly master: MasterLogin;
  readonly tls: NodeTlsSettings;
  /**
   * New passwords for every password user.
   * @default false
   */
  readonly rotate?: boolean;
  /**
   * New passwords for these password users.
   * @default none
   */
  readonly rotateUsers?: readonly string[];
  /**
   * Users the configuration no longer has (the setup function: Terraform's previous input; the CLI:
   * --removed-user): disabled and kept, see DesiredState.removedUsers.
   * @default none
   */
  readonly removedUsers?: readonly string[];
  readonly dryRun: boolean;
  readonly waitTimeoutMs: number;
}

export interface BootstrapDeps {
  readonly secrets: SecretsManagerClient;
  /** One line per action (each statement, each secret write), written before the action runs; then notes and warnings. */
  readonly log: (line: string) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /**
   * When the run must have stopped (epoch ms, on `now`), e.g. the Lambda invocation's end minus a margin:
   * every statement and lock wait is bounded by what is left of it (PostgreSQL statement_timeout,
   * lock_timeout; MySQL lock_wait_timeout and a client-side query timeout), and a step that would start
   * after it, or is cut off by it, fails as OutOfTime naming the step. A rerun converges.
   * @default none: bounded only by the wait and the drivers' connect timeouts
   */
  readonly deadline?: number;
}

/** The run reached `BootstrapDeps.deadline`; its exit code names the step it was at (5 secrets, 3 wait, 6 sql). */
export class OutOfTime extends ScriptError {
  constructor(readonly step: "secrets" | "wait" | "sql", what: string) {
    super(step === "secrets" ? EXIT.aws : step === "wait" ? EXIT.databaseUnreachable : EXIT.sqlFailed,
      `out of time ${what}; what was done is safe to keep: rerun to finish (new passwords wait in AWSPENDING)`);
    this.name = "OutOfTime";
  }
}

export interface BootstrapResult {
  /** Display forms (stored password values redacted) of the statements applied, or planned on a dry run. */
  readonly statements: readonly string[];
  /** Users whose secret was written, or would be on a dry run. */
  readonly secretsWritten: readonly string[];
  readonly changes: number;
  readonly dryRun: boolean;
  /** What the run repaired without being asked: drifted or unusable passwords, unfinished changes. */
  readonly warnings: readonly string[];
  /** Set when the request named removed users: those that exist in the database, disabled now or already. */
  readonly removedUsers?: readonly string[];
}

interface Session {
  query(sql: string): Promise<void>;
  close(): Promise<void>;
}

/** What happens to a user's secret, in apply order. */
type SecretChange =
  | { readonly kind: "pending"; readonly user: BootstrapUser; readonly secret: UserSecret; readonly reuseVersionId?: string; readonly currentVersionId?: string }
  | { readonly kind: "current"; readonly user: BootstrapUser; readonly secret: UserSecret }
  | { readonly kind: "unlabel"; readonly user: BootstrapUser; readonly versionId: string };

const RETRYABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND", "EAI_AGAIN", "57P03", "PROTOCOL_CONNECTION_LOST"]);
const AUTH_CODES = new Set(["28P01", "28000", "ER_ACCESS_DENIED_ERROR", "ER_DBACCESS_DENIED_ERROR"]);

function errorCode(error: unknown): string | undefined {
  const e = error as { code?: unknown };
  return typeof e.code === "string" ? e.code : undefined;
}

function isRetryable(error: Error): boolean {
  const code = errorCode(error);
  if (code && RETRYABLE_CODES.has(code)) return true;
  return /Connection terminated|server closed the connection|starting up|timeout expired/i.test(error.message);
}

/** Replaces every known secret in a driver message, so errors can be printed as they are. */
function redact(message: string, secrets: readonly string[]): string {
  return secrets.filter((s) => s.length > 0).reduce((text, secret) => text.split(secret).join("********"), message);
}

/** Every problem with the request, naming its field; checked before any call, so bad input costs nothing. */
export function requestProblems(request: BootstrapRequest): InputProblem[] {
  const masterUser = request.master.user;
  const problems = desiredStateProblems(request, masterUser);
  const family = ENGINE_FAMILY[request.dialect];
  if (family && masterUser !== undefined) {
    const problem = masterUserNameProblem(masterUser, family);
    if (problem) problems.push({ path: "master.user", value: masterUser, allowed: `master user name ${problem}` });
  }
  const port = (path: string, value: unknown) => {
    if (!(Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535)) problems.push({ path, value, allowed: "must be a port, 1..65535" });
  };
  port("port", request.port);
  if (request.secretPort !== undefined) port("secretPort", request.secretPort);
  for (const [path, value] of [["host", request.host], ["secretHost", request.secretHost], ["engine", request.engine]] as const) {
    if (typeof value !== "string" || value === "") problems.push({ path, value, allowed: "must be a non-empty string" });
  }
  const secretOwners = new Map<string, string>();
  for (const user of request.users) {
    const path = `users.${user.name}.secretArn`;
    if (typeof user.secretArn !== "string" || user.secretArn === "") problems.push({ path, value: user.secretArn, allowed: "must be the ARN of the user's secret" });
    else if (secretOwners.has(user.secretArn)) problems.push({ path, value: user.secretArn, allowed: `is the secret of ${secretOwners.get(user.secretArn)} too: each user needs its own secret` });
    else if ("secretArn" in request.master && user.secretArn === request.master.secretArn) problems.push({ path, value: user.secretArn, allowed: "is the master secret: a user needs its own secret" });
    else secretOwners.set(user.secretArn, user.name);
  }
  for (const name of request.rotateUsers ?? []) {
    if (!request.users.some((u) => u.name === name && u.login === "password")) {
      problems.push({ path: "rotateUsers", value: name, allowed: `must name a password user (${request.users.filter((u) => u.login === "password").map((u) => u.name).join(", ") || "there are none"})` });
    }
  }
  if (!(Number.isFinite(request.waitTimeoutMs) && request.waitTimeoutMs >= 0)) problems.push({ path: "waitTimeoutMs", value: request.waitTimeoutMs, allowed: "must be 0 or more" });
  return problems;
}

function refuse(problems: readonly InputProblem[]): never {
  throw new ScriptError(EXIT.usage, formatProblems("invalid bootstrap request", problems));
}

/**
 * One run's shared state, passed from phase to phase: how to open sessions, the sessions open so far
 * (closed together at the end), and every secret the run knows, so any driver message can be scrubbed.
 */
interface RunContext {
  readonly request: BootstrapRequest;
  readonly deps: BootstrapDeps;
  readonly master: MasterCredentials;
  /** Every password, token and verifier the run has seen: replaced in every message it prints. */
  readonly knownSecrets: string[];
  readonly sessions: DatabaseSession[];
  /** The application database's session (PostgreSQL), once opened. */
  appDatabase?: DatabaseSession;
  /** When waiting (for the server, for another run's lock) must stop: the start plus `waitTimeoutMs`. */
  readonly deadline: number;
}

type DatabaseSession = Session & { raw: pg.Client | mysql.Connection };

interface MasterCredentials {
  readonly user: string;
  readonly password: string;
  readonly token?: () => Promise<string>;
}

/** What the run read before deciding anything: the server's catalog and every user's secret versions. */
interface Observed {
  readonly state: DesiredState;
  readonly catalog: PostgresCatalog | MysqlCatalog;
  readonly versions: ReadonlyMap<string, SecretVersions>;
}

/** Each user's password, and the warnings the decisions raised. */
interface Decided {
  readonly decisions: ReadonlyMap<string, PasswordDecision>;
  readonly warnings: readonly string[];
}

export async function runBootstrap(request: BootstrapRequest, deps: BootstrapDeps): Promise<BootstrapResult> {
  checkRequest(request);
  try {
    return await bootstrapPhases(request, { ...deps, secrets: secretsWithDeadline(deps) });
  } catch (error) {
    throw outOfTimeOr(error, deps);
  }
}

/** The phases in order, after the request is checked. */
async function bootstrapPhases(request: BootstrapRequest, deps: BootstrapDeps): Promise<BootstrapResult> {
  const master = await masterLogin(request, deps.secrets);
  const waitUntil = (deps.now ?? Date.now)() + request.waitTimeoutMs;
  const run: RunContext = { request, deps, master, knownSecrets: [master.password], sessions: [], deadline: Math.min(waitUntil, deps.deadline ?? waitUntil) };
  const server = await waitForDatabase(run);
  let locked = false;
  try {
    locked = await lockDatabase(run, server);
    const observed = await observe(run, server);
    const decided = await decidePasswords(run, observed);
    const steps = planSteps(run, observed, decided);
    const changes = secretChanges(request, decided.decisions, observed.versions);
    const removed = removedUsersFound(request, observed);
    if (removed.length > 0) deps.log(`removed from the configuration: ${removed.join(", ")} — login disabled, groups and privileges revoked${request.dialect === "postgresql" ? ", sessions ended" : ""}; the users and what they own are kept until dropped by hand`);
    const result = (dryRun: boolean): BootstrapResult => ({
      statements: steps.map((s) => s.display),
      secretsWritten: [...new Set(changes.map((c) => c.user.name))],
      changes: steps.length + changes.length,
      dryRun,
      warnings: decided.warnings,
      ...(request.removedUsers && request.removedUsers.length > 0 ? { removedUsers: removed } : {}),
    });
    if (request.dryRun) return result(true);
    const pendingVersions = await storePendingPasswords(run, changes);
    await applyStatements(run, server, steps);
    await finishSecrets(run, changes, pendingVersions, observed.versions);
    return result(false);
  } finally {
    if (locked) await unlockDatabase(run, server).catch(() => undefined);
    await Promise.allSettled(run.sessions.map((s) => s.close()));
  }
}

/** With a deadline, every Secrets Manager call is aborted when it comes (on top of the client's own timeouts). */
function secretsWithDeadline(deps: BootstrapDeps): SecretsManagerClient {
  const { deadline } = deps;
  if (deadline === undefined) return deps.secrets;
  const now = deps.now ?? Date.now;
  return new Proxy(deps.secrets, {
    get(target, property, receiver) {
      if (property !== "send") return Reflect.get(target, property, receiver);
      return (command: Parameters<SecretsManagerClient["send"]>[0], options?: { abortSignal?: AbortSignal }) =>
        target.send(command, { ...options, abortSignal: AbortSignal.timeout(Math.max(1, deadline - now())) });
    },
  });
}

/**
 * A Secrets Manager or SQL failure at or past the deadline is the deadline's (an aborted call, a cancelled
 * statement): OutOfTime at that step. The wait says what ran out in its own words already.
 */
function outOfTimeOr(error: unknown, deps: BootstrapDeps): unknown {
  if (deps.deadline === undefined || error instanceof OutOfTime || !(error instanceof ScriptError)) return error;
  if ((deps.now ?? Date.now)() < deps.deadline) return error;
  const step = error.exitCode === EXIT.aws ? "secrets" : error.exitCode === EXIT.sqlFailed ? "sql" : undefined;
  return step ? new OutOfTime(step, `(${error.message.split("\n")[0]})`) : error;
}

/** Input is checked before any call: a bad request costs nothing. */
function checkRequest(request: BootstrapRequest): void {
  const problems = requestProblems(request);
  if (problems.length > 0) refuse(problems);
}

/**
 * Opens a session as `user`; `token` says the password is an IAM token (MySQL sends it in clear text, over
 * TLS). With `budgetMs`, no statement, lock wait or query of the session outlives it.
 */
async function openSession(request: BootstrapRequest, user: string, password: string, database: string | undefined, token: boolean, budgetMs?: number): Promise<DatabaseSession> {
  const limit = budgetMs === undefined ? undefined : Math.max(1_000, Math.floor(budgetMs));
  const connectTimeout = Math.min(10_000, limit ?? 10_000);
  if (request.dialect === "postgresql") {
    const client = new pg.Client({
      host: request.host, port: request.port, user, password, database: database ?? "postgres",
      ssl: request.tls, connectionTimeoutMillis: connectTimeout, application_name: "dbstack-bootstrap",
      ...(limit !== undefined ? { statement_timeout: limit, lock_timeout: limit, query_timeout: limit + 1_000 } : {}),
    });
    client.on("error", () => undefined);
    await client.connect();
    return { raw: client, query: async (sql) => void (await client.query(sql)), close: () => client.end() };
  }
  const connection = await mysql.createConnection({
    host: request.host, port: request.port, user, password, ...(database ? { database } : {}),
    ssl: request.tls as mysql.SslOptions, connectTimeout,
    ...(token ? { authPlugins: cleartextPasswordPlugin(password) } : {}),
  });
  connection.on("error", () => undefined);
  // Metadata locks (DDL, GRANT) wait lock_wait_timeout seconds; the query timeout bounds the rest from the client.
  if (limit !== undefined) await connection.query(`SET SESSION lock_wait_timeout = ${Math.ceil(limit / 1000)}`);
  const timeout = limit === undefined ? {} : { timeout: limit };
  return { raw: connection, query: async (sql) => void (await connection.query({ sql, ...timeout })), close: () => connection.end() };
}

/** A session as the master; an authentication refusal or a non-retryable failure becomes its exit code, the rest is retried by the caller. */
async function connectAsMaster(run: RunContext, database: string | undefined): Promise<DatabaseSession> {
  const { request, master, knownSecrets } = run;
  const password = master.password || (await master.token!());
  if (!knownSecrets.includes(password)) knownSecrets.push(password);
  try {
    return await openSession(request, master.user, password, database, master.token !== undefined, remainingMs(run));
  } catch (error) {
    const err = error as Error;
    if (AUTH_CODES.has(errorCode(err) ?? "")) {
      throw new ScriptError(EXIT.databaseAuthentication, `the database refused the master user ${master.user}: ${redact(err.message, knownSecrets)}`);
    }
    if (!isRetryable(err)) {
      throw new ScriptError(EXIT.databaseUnreachable, `cannot open a TLS connection to ${request.host}:${request.port}: ${redact(err.message, knownSecrets)}`);
    }
    throw err;
  }
}

/** What is left until `deps.deadline`, or undefined without one. */
function remainingMs(run: RunContext): number | undefined {
  return run.deps.deadline === undefined ? undefined : run.deps.deadline - (run.deps.now ?? Date.now)();
}

/** Refuses to start `what` past the deadline. */
function checkTime(run: RunContext, step: OutOfTime["step"], what: string): void {
  const left = remainingMs(run);
  if (left !== undefined && left <= 0) throw new OutOfTime(step, what);
}

/** The application database's session (PostgreSQL), opened on first use and closed with the others. */
async function appDatabaseSession(run: RunContext): Promise<DatabaseSession> {
  if (!run.appDatabase) run.sessions.push((run.appDatabase = await connectAsMaster(run, run.request.database)));
  return run.appDatabase;
}

/** Waits until the server accepts the master, retrying what a starting or unreachable server answers. */
async function waitForDatabase(run: RunContext): Promise<DatabaseSession> {
  const { request, deps, knownSecrets } = run;
  deps.log(`waiting for ${request.host}:${request.port} (up to ${Math.round(request.waitTimeoutMs / 1000)} s)`);
  let server: DatabaseSession;
  try {
    server = await waitFor(() => connectAsMaster(run, undefined), isRetryable, {
      timeoutMs: request.waitTimeoutMs,
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
      ...(deps.now ? { now: deps.now } : {}),
      onRetry: (attempt, delay, error) => deps.log(`  attempt ${attempt}: ${redact(error.message, knownSecrets) || errorCode(error)}; retrying in ${(delay / 1000).toFixed(1)} s`),
    });
  } catch (error) {
    if (error instanceof WaitTimeout) {
      throw new ScriptError(EXIT.databaseUnreachable, `the database at ${request.host}:${request.port} did not accept connections within ${Math.round(request.waitTimeoutMs / 1000)} s (${error.attempts} attempts; last: ${redact(error.lastError.message, knownSecrets)})`);
    }
    throw error;
  }
  run.sessions.push(server);
  deps.log(`connected as ${run.master.user}`);
  return server;
}

/**
 * The lock one bootstrap run holds on a database while it reads and writes its users' secrets and SQL,
 * so two runs (the deploy's function and `npm run setup`, a CLI from a bastion) never interleave: a
 * PostgreSQL session advisory lock in the maintenance database, a MySQL named lock. Held by the server
 * session, so a run that dies loses it with its connection. The rotation function takes the same lock
 * while it changes a password (scripts/lib/setup/rotation.ts).
 */
export function lockName(database: string): string {
  // MySQL lock names have at most 64 characters; a database name alone may have 64.
  return `dbstack-bootstrap:${createHash("sha256").update(database).digest("hex").slice(0, 40)}`;
}

/** Takes the database's lock before anything is read, waiting for another run until the deadline. */
async function lockDatabase(run: RunContext, server: DatabaseSession): Promise<boolean> {
  const { request, deps } = run;
  const name = lockName(request.database);
  const waitMs = Math.max(1_000, run.deadline - (deps.now ?? Date.now)());
  const busy = () => new ScriptError(EXIT.databaseUnreachable, `another bootstrap run has held the lock on database ${request.database} for more than ${Math.round(waitMs / 1000)} s; nothing was read or changed: rerun when it has finished`);
  if (request.dialect === "postgresql") {
    const client = server.raw as pg.Client;
    const tryLock = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked", [name]);
    if (tryLock.rows[0]!.locked) return true;
    deps.log(`  another bootstrap run holds the lock on ${request.database}; waiting up to ${Math.round(waitMs / 1000)} s`);
    try {
      await client.query(`SET lock_timeout = ${Math.ceil(waitMs)}`);
      await client.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [name]);
    } catch (error) {
      if (errorCode(error) === "55P03") throw busy();
      throw error;
    } finally {
      await client.query("RESET lock_timeout").catch(() => undefined);
    }
    return true;
  }
  const connection = server.raw as mysql.Connection;
  const got = async (seconds: number) => Number(((await connection.query("SELECT GET_LOCK(?, ?) AS got", [name, seconds]))[0] as { got: number | null }[])[0]!.got);
  if ((await got(0)) === 1) return true;
  deps.log(`  another bootstrap run holds the lock on ${request.database}; waiting up to ${Math.round(waitMs / 1000)} s`);
  if ((await got(Math.ceil(waitMs / 1000))) === 1) return true;
  throw busy();
}

async function unlockDatabase(run: RunContext, server: DatabaseSession): Promise<void> {
  const name = lockName(run.request.database);
  if (run.request.dialect === "postgresql") await (server.raw as pg.Client).query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [name]);
  else await (server.raw as mysql.Connection).query("SELECT RELEASE_LOCK(?)", [name]);
}

/** Reads the catalog (the application database's too, when it exists) and every user's secret versions. */
async function observe(run: RunContext, server: DatabaseSession): Promise<Observed> {
  const { request, deps, knownSecrets } = run;
  const state: DesiredState = { dialect: request.dialect, database: request.database, users: request.users, ...(request.removedUsers ? { removedUsers: request.removedUsers } : {}) };
  const catalog: PostgresCatalog | MysqlCatalog = request.dialect === "postgresql"
    ? await (async () => {
        const exists = (await (server.raw as pg.Client).query("SELECT 1 FROM pg_database WHERE datname = $1", [request.database])).rows.length > 0;
        const appDatabase = exists ? await appDatabaseSession(run) : undefined;
        return readPostgresCatalog(server.raw as pg.Client, appDatabase?.raw as pg.Client | undefined, state);
      })()
    : await readMysqlCatalog(server.raw as mysql.Connection, state);
  const versions = new Map<string, SecretVersions>();
  for (const user of request.users) {
    checkTime(run, "secrets", `before reading the secret of ${user.name}`);
    versions.set(user.name, await readSecretVersions(deps.secrets, user.secretArn));
  }
  for (const v of versions.values()) knownSecrets.push(v.current?.value?.password ?? "", v.pending?.value?.password ?? "");
  return { state, catalog, versions };
}

/**
 * Each user's password: the secret is the truth, a rotation or an unusable value replaces it, and a kept
 * password is checked against the database, which is set to the secret's when it drifted.
 */
async function decidePasswords(run: RunContext, { catalog, versions }: Observed): Promise<Decided> {
  const { request, deps, knownSecrets } = run;
  const warnings: string[] = [];
  const warn = (line: string) => {
    warnings.push(line);
    deps.log(`  warning: ${line}`);
  };
  const rotating = new Set(request.rotate ? request.users.map((u) => u.name) : request.rotateUsers ?? []);
  const userExists = (name: string) => (request.dialect === "postgresql"
    ? (catalog as PostgresCatalog).roles[name] !== undefined
    : (catalog as MysqlCatalog).users[name] !== undefined);
  const decisions = new Map<string, PasswordDecision>();
  for (const user of request.users) {
    let decision = decidePassword({ login: user.login, userExists: userExists(user.name), versions: versions.get(user.name)!, rotate: rotating.has(user.name) }, generatePassword);
    if (decision.kind === "replace") knownSecrets.push(decision.password);
    const current = versions.get(user.name)!.current;
    if (decision.kind === "none" && current?.unreadable) warn(`${user.name}: overwriting its secret, whose current value ${current.unreadable}`);
    if (decision.kind === "replace" && decision.notice) warn(`${user.name}: ${decision.notice}`);
    if (decision.kind === "keep") {
      const matches = request.dialect === "postgresql"
        ? await postgresPasswordLogsIn(run, user.name, decision.password)
        : mysqlMatches(catalog as MysqlCatalog, user.name, decision.password);
      if (matches === false) {
        warn(`${user.name}: the database's password differs from the one in its secret; setting the secret's`);
        decision = { kind: "set", password: decision.password };
      }
    }
    decisions.set(user.name, decision);
  }
  return { decisions, warnings };
}

/**
 * Whether `password` logs in as `user` (PostgreSQL, whose master cannot read password verifiers): false
 * only when the server says the password is wrong in its own words. Through RDS Proxy other refusals
 * (IAM required for the user, no database connection) say nothing about the database's password, and
 * come on every run: they are noted in the log, not raised as warnings.
 */
async function postgresPasswordLogsIn(run: RunContext, user: string, password: string): Promise<boolean | undefined> {
  try {
    await (await openSession(run.request, user, password, undefined, false, remainingMs(run))).close();
    return true;
  } catch (error) {
    const err = error as Error;
    if (errorCode(err) === "28P01" && /password authentication failed/.test(err.message)) return false;
    // Authenticated, then refused the database: the password is right.
    if (errorCode(err) === "42501" || errorCode(err) === "3D000") return true;
    run.deps.log(`  note: could not check the password of ${user}, left as it is (${errorCode(err) ?? err.name}: ${redact(err.message, run.knownSecrets)})`);
    return undefined;
  }
}

/** The SQL from what was observed; the server stores verifiers and hashes, never a password. */
function planSteps(run: RunContext, { state, catalog }: Observed, { decisions }: Decided): PlannedStep[] {
  const { request, knownSecrets } = run;
  const credentials: Record<string, string> = {};
  for (const [name, decision] of decisions) {
    if (decision.kind !== "set" && decision.kind !== "replace") continue;
    credentials[name] = request.dialect === "postgresql"
      ? scramSha256Verifier(decision.password)
      : mysqlPasswordHash((catalog as MysqlCatalog).passwordPlugin, decision.password);
  }
  knownSecrets.push(...Object.values(credentials));
  try {
    return plan(state, catalog, credentials);
  } catch (error) {
    if (!(error instanceof PlanRefused)) throw error;
    throw new ScriptError(EXIT.sqlFailed, `cannot bootstrap, nothing was changed: ${error.message}`);
  }
}

/** Apply, first: every new password stored as AWSPENDING before the database gets it. Returns each user's pending version id. */
async function storePendingPasswords(run: RunContext, changes: readonly SecretChange[]): Promise<Map<string, string>> {
  const pendingVersions = new Map<string, string>();
  for (const change of changes) {
    if (change.kind !== "pending") continue;
    if (change.reuseVersionId) {
      pendingVersions.set(change.user.name, change.reuseVersionId);
      continue;
    }
    checkTime(run, "secrets", `before storing the new password of ${change.user.name}`);
    run.deps.log(`  storing the new password of ${change.user.name} as AWSPENDING`);
    pendingVersions.set(change.user.name, await writePending(run.deps.secrets, change.user.secretArn, change.user.name, change.secret));
  }
  return pendingVersions;
}

/** Apply, second: the statements, in plan order, each logged before it runs. */
async function applyStatements(run: RunContext, server: DatabaseSession, steps: readonly PlannedStep[]): Promise<void> {
  for (const [i, step] of steps.entries()) {
    checkTime(run, "sql", `before statement ${i + 1} (${step.display})`);
    const session = step.target === "server" ? server : await appDatabaseSession(run);
    run.deps.log(`  ${step.display}`);
    try {
      await session.query(step.sql);
    } catch (error) {
      // A statement cut off by the session's timeouts, which the deadline set.
      const left = remainingMs(run);
      if (left !== undefined && left <= 1_000) throw new OutOfTime("sql", `at statement ${i + 1} (${step.display})`);
      throw new ScriptError(EXIT.sqlFailed, `statement ${i + 1} failed (${step.display}): ${redact((error as Error).message, run.knownSecrets)}; fix the cause and rerun: new passwords wait in AWSPENDING, so the rerun finishes them`);
    }
  }
}

/**
 * Apply, last: AWSPENDING made current, secrets that keep their password rewritten, stale AWSPENDING
 * labels cleared — each only while the secret is still what this run read and wrote, so a change made
 * meanwhile by anything else (a run without the lock, a person) is refused, never overwritten.
 */
async function finishSecrets(run: RunContext, changes: readonly SecretChange[], pendingVersions: ReadonlyMap<string, string>, observed: ReadonlyMap<string, SecretVersions>): Promise<void> {
  const { deps } = run;
  for (const change of changes) {
    checkTime(run, "secrets", `before finishing the secret of ${change.user.name}`);
    const read = observed.get(change.user.name)!;
    const pendingId = change.kind === "pending" ? pendingVersions.get(change.user.name)! : change.kind === "unlabel" ? change.versionId : read.pending?.versionId;
    // A first write is labelled AWSCURRENT by Secrets Manager itself.
    const currentId = change.kind === "pending" ? change.currentVersionId ?? pendingId : read.current?.versionId;
    await confirmUnchanged(run, change.user, currentId, pendingId);
    if (change.kind === "pending") {
      const versionId = pendingId!;
      deps.log(`  making the new password of ${change.user.name} current`);
      // A secret's first version is AWSCURRENT already: Secrets Manager labels it so on the first write.
      await promotePending(deps.secrets, change.user.secretArn, change.user.name, versionId, change.currentVersionId ?? versionId);
    } else if (change.kind === "current") {
      deps.log(`  writing the secret of ${change.user.name}`);
      await writeCurrent(deps.secrets, change.user.secretArn, change.user.name, change.secret);
    } else {
      deps.log(`  clearing AWSPENDING of ${change.user.name}`);
      await promotePending(deps.secrets, change.user.secretArn, change.user.name, change.versionId, change.versionId);
    }
  }
}

/** The removed users the database still has (disabled by this run, or by an earlier one). */
function removedUsersFound(request: BootstrapRequest, { catalog }: Observed): string[] {
  const exists = (name: string) => (request.dialect === "postgresql" ? (catalog as PostgresCatalog).roles[name] : (catalog as MysqlCatalog).users[name]) !== undefined;
  return (request.removedUsers ?? []).filter(exists);
}

/** Refuses to go on with a user's secret whose AWSCURRENT or AWSPENDING moved since this run read or wrote them. */
async function confirmUnchanged(run: RunContext, user: BootstrapUser, currentId: string | undefined, pendingId: string | undefined): Promise<void> {
  const now = await readSecretVersions(run.deps.secrets, user.secretArn);
  const moved = [
    ...(now.current?.versionId !== currentId ? [`AWSCURRENT is version ${now.current?.versionId ?? "(none)"}, not ${currentId ?? "(none)"}`] : []),
    ...(now.pending?.versionId !== pendingId ? [`AWSPENDING is version ${now.pending?.versionId ?? "(none)"}, not ${pendingId ?? "(none)"}`] : []),
  ];
  if (moved.length === 0) return;
  throw new ScriptError(EXIT.aws, `the secret of ${user.name} (${user.secretArn}) changed while this run was working (${moved.join("; ")}): something else wrote it, so this run did not; rerun to converge`);
}

/** MySQL: the stored hash is readable, so compare; a plugin this cannot recompute is reset to ours. */
function mysqlMatches(catalog: MysqlCatalog, user: string, password: string): boolean {
  const account = catalog.users[user]!;
  return mysqlHashMatches(account.plugin, account.authenticationStringHex, password) === true;
}

/** Secret writes the decisions need, so that each one's order (pending before SQL, promotion after) is explicit. */
function secretChanges(request: BootstrapRequest, decisions: ReadonlyMap<string, PasswordDecision>, versions: ReadonlyMap<string, SecretVersions>): SecretChange[] {
  const changes: SecretChange[] = [];
  for (const user of request.users) {
    const decision = decisions.get(user.name)!;
    const { current, pending } = versions.get(user.name)!;
    const password = decision.kind === "none" ? undefined : decision.password;
    const secret: UserSecret = {
      username: user.name, ...(password !== undefined ? { password } : {}),
      host: user.secretHost ?? request.secretHost, port: request.secretPort ?? request.port, dbname: request.database, engine: request.engine,
    };
    if (decision.kind === "replace") {
      const reuse = decision.pending && secretMatches(decision.pending.value, secret) ? decision.pending.versionId : undefined;
      changes.push({ kind: "pending", user, secret, ...(reuse ? { reuseVersionId: reuse } : {}), ...(current ? { currentVersionId: current.versionId } : {}) });
    } else if (!secretMatches(current?.value, secret)) {
      changes.push({ kind: "current", user, secret });
    } else if (pending && pending.versionId === current?.versionId) {
      changes.push({ kind: "unlabel", user, versionId: pending.versionId });
    }
  }
  return changes;
}

async function masterLogin(request: BootstrapRequest, secrets: SecretsManagerClient): Promise<MasterCredentials> {
  if ("token" in request.master) return { user: request.master.user, password: "", token: request.master.token };
  const { username, password } = await readMasterSecret(secrets, request.master.secretArn);
  if (request.master.user !== undefined && request.master.user !== username) {
    refuse([{ path: "master.user", value: request.master.user, allowed: `must be the user the master secret holds (${username})` }]);
  }
  // Without the master's name up front, its secret is the first place it is known: still before any connection.
  const family = ENGINE_FAMILY[request.dialect];
  const clashes = [...request.users.map((u) => ["users", u.name] as const), ...(request.removedUsers ?? []).map((name) => ["removedUsers", name] as const)]
    .filter(([, name]) => userNameProblem(name, family, { masterUser: username }) !== undefined);
  if (clashes.length > 0) refuse(clashes.map(([list, name]) => ({ path: `${list}.${name}`, value: name, allowed: `user name ${userNameProblem(name, family, { masterUser: username })}` })));
  return { user: username, password };
}
