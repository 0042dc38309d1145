/**
 * The bootstrap run: read credentials, wait for the database, read its catalog, plan, apply, and write
 * each user's secret. Clients are passed in, so tests drive it against real servers and mocked AWS.
 */
import { GetSecretValueCommand, PutSecretValueCommand, ResourceNotFoundException, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import mysql from "mysql2/promise";
import pg from "pg";
import { plan, type Dialect, type Login, type PlannedStep, type Privileges } from "./bootstrap-plan.ts";
import { EXIT, ScriptError } from "./cli.ts";
import { readMysqlCatalog } from "./mysql-catalog.ts";
import { cleartextPasswordPlugin } from "./mysql-cleartext.ts";
import { readPostgresCatalog } from "./postgres-catalog.ts";
import type { Outputs } from "./stack-outputs.ts";
import type { NodeTlsSettings } from "./tls.ts";
import { generatePassword, parseUserSecret, secretMatches, type UserSecret } from "./user-secret.ts";
import { waitFor, WaitTimeout } from "./wait.ts";

export interface BootstrapUser {
  readonly name: string;
  readonly privileges: Privileges;
  readonly login: Login;
  /** Where its credentials live; written after the SQL succeeds. */
  readonly secretArn: string;
  /** Host stored in its secret when not the request's (direct-IAM users connect to the writer). */
  readonly secretHost?: string;
}

export interface BootstrapRequest {
  readonly dialect: Dialect;
  /** Where to connect: the proxy endpoint, or a tunnel. */
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** Engine name stored in user secrets, e.g. "aurora-postgresql". */
  readonly engine: string;
  /** Host stored in user secrets: what clients connect to (the proxy endpoint). */
  readonly secretHost: string;
  readonly users: readonly BootstrapUser[];
  /** Master credentials: the RDS-managed secret, or a user name plus an IAM token source. */
  readonly master: { readonly secretArn: string } | { readonly user: string; readonly token: () => Promise<string> };
  readonly tls: NodeTlsSettings;
  readonly rotate: boolean;
  readonly dryRun: boolean;
  readonly waitTimeoutMs: number;
}

export interface BootstrapDeps {
  readonly secrets: SecretsManagerClient;
  readonly log: (line: string) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

export interface BootstrapResult {
  /** Display forms (passwords redacted) of the statements applied, or planned on a dry run. */
  readonly statements: readonly string[];
  readonly secretsWritten: readonly string[];
  readonly changes: number;
  readonly dryRun: boolean;
}

interface Session {
  query(sql: string): Promise<void>;
  close(): Promise<void>;
}

const RETRYABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND", "EAI_AGAIN", "57P03", "PROTOCOL_CONNECTION_LOST"]);
const AUTH_CODES = new Set(["28P01", "28000", "ER_ACCESS_DENIED_ERROR", "ER_DBACCESS_DENIED_ERROR"]);

function errorCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; errno?: unknown };
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

export async function runBootstrap(request: BootstrapRequest, deps: BootstrapDeps): Promise<BootstrapResult> {
  const masterCredentials = await masterLogin(request, deps.secrets);
  const knownSecrets: string[] = [masterCredentials.password];
  const connect = async (database: string | undefined): Promise<Session & { raw: pg.Client | mysql.Connection }> => {
    const password = masterCredentials.password || (await masterCredentials.token!());
    if (!knownSecrets.includes(password)) knownSecrets.push(password);
    try {
      if (request.dialect === "postgresql") {
        const client = new pg.Client({
          host: request.host, port: request.port, user: masterCredentials.user, password, database: database ?? "postgres",
          ssl: request.tls, connectionTimeoutMillis: 10_000, application_name: "dbstack-bootstrap",
        });
        client.on("error", () => undefined);
        await client.connect();
        return { raw: client, query: async (sql) => void (await client.query(sql)), close: () => client.end() };
      }
      const connection = await mysql.createConnection({
        host: request.host, port: request.port, user: masterCredentials.user, password, ...(database ? { database } : {}),
        ssl: request.tls as mysql.SslOptions, connectTimeout: 10_000,
        ...(masterCredentials.token ? { authPlugins: cleartextPasswordPlugin(password) } : {}),
      });
      connection.on("error", () => undefined);
      return { raw: connection, query: async (sql) => void (await connection.query(sql)), close: () => connection.end() };
    } catch (error) {
      const err = error as Error & { code?: string };
      if (AUTH_CODES.has(errorCode(err) ?? "")) {
        throw new ScriptError(EXIT.databaseAuthentication, `the database refused the master user ${masterCredentials.user}: ${redact(err.message, knownSecrets)}`);
      }
      if (!isRetryable(err)) {
        throw new ScriptError(EXIT.databaseUnreachable, `cannot open a TLS connection to ${request.host}:${request.port}: ${redact(err.message, knownSecrets)}`);
      }
      throw err;
    }
  };

  // ----- Wait for the database
  deps.log(`waiting for ${request.host}:${request.port} (up to ${Math.round(request.waitTimeoutMs / 1000)} s)`);
  let server: Awaited<ReturnType<typeof connect>>;
  try {
    server = await waitFor(() => connect(undefined), isRetryable, {
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
  deps.log(`connected as ${masterCredentials.user}`);

  const sessions: Session[] = [server];
  try {
    // ----- Observe
    const state = { dialect: request.dialect, database: request.database, users: request.users };
    const stored = new Map<string, Partial<UserSecret> | undefined>();
    for (const user of request.users) stored.set(user.name, await readSecret(deps.secrets, user.secretArn));
    let appDatabase: Awaited<ReturnType<typeof connect>> | undefined;
    const catalog = request.dialect === "postgresql"
      ? await (async () => {
          const exists = (await (server.raw as pg.Client).query("SELECT 1 FROM pg_database WHERE datname = $1", [request.database])).rows.length > 0;
          if (exists) sessions.push((appDatabase = await connect(request.database)));
          return readPostgresCatalog(server.raw as pg.Client, appDatabase?.raw as pg.Client | undefined, state);
        })()
      : await readMysqlCatalog(server.raw as mysql.Connection, state);

    // ----- Passwords: keep what the secret holds unless rotating or the user must be (re)created
    const passwords: Record<string, string> = {};
    const userExists = (name: string) => (request.dialect === "postgresql"
      ? (catalog as Awaited<ReturnType<typeof readPostgresCatalog>>).roles[name] !== undefined
      : (catalog as Awaited<ReturnType<typeof readMysqlCatalog>>).users[name] !== undefined);
    const finalPasswords = new Map<string, string | undefined>();
    for (const user of request.users) {
      if (user.login !== "password") {
        finalPasswords.set(user.name, undefined);
        continue;
      }
      const current = stored.get(user.name)?.password;
      if (request.rotate || !current) passwords[user.name] = generatePassword();
      else if (!userExists(user.name)) passwords[user.name] = current;
      finalPasswords.set(user.name, passwords[user.name] ?? current);
    }
    knownSecrets.push(...Object.values(passwords), ...[...stored.values()].map((s) => s?.password ?? ""));

    // ----- Plan
    const steps = plan(state, catalog, passwords);
    const wanted = request.users.map((user) => ({
      user,
      secret: {
        username: user.name,
        ...(finalPasswords.get(user.name) ? { password: finalPasswords.get(user.name)! } : {}),
        host: user.secretHost ?? request.secretHost, port: request.port, dbname: request.database, engine: request.engine,
      } satisfies UserSecret,
    }));
    const secretUpdates = wanted.filter(({ user, secret }) => !secretMatches(stored.get(user.name), secret));

    if (request.dryRun) {
      return {
        statements: steps.map((s) => s.display),
        secretsWritten: secretUpdates.map(({ user }) => user.name),
        changes: steps.length + secretUpdates.length,
        dryRun: true,
      };
    }

    // ----- Apply
    const apply = async (session: Session, step: PlannedStep, index: number) => {
      deps.log(`  ${step.display}`);
      try {
        await session.query(step.sql);
      } catch (error) {
        throw new ScriptError(EXIT.sqlFailed, `statement ${index + 1} failed (${step.display}): ${redact((error as Error).message, knownSecrets)}`);
      }
    };
    for (const [i, step] of steps.entries()) {
      if (step.target === "database" && !appDatabase) sessions.push((appDatabase = await connect(request.database)));
      await apply(step.target === "server" ? server : appDatabase!, step, i);
    }
    for (const { user, secret } of secretUpdates) {
      try {
        await deps.secrets.send(new PutSecretValueCommand({ SecretId: user.secretArn, SecretString: JSON.stringify(secret) }));
      } catch (error) {
        throw new ScriptError(EXIT.aws, `cannot write the secret of ${user.name} (${user.secretArn}): ${(error as Error).name}; rerun to retry — the password will be set again`);
      }
      deps.log(`  wrote secret of ${user.name}`);
    }
    return { statements: steps.map((s) => s.display), secretsWritten: secretUpdates.map(({ user }) => user.name), changes: steps.length + secretUpdates.length, dryRun: false };
  } finally {
    await Promise.allSettled(sessions.map((s) => s.close()));
  }
}

async function masterLogin(request: BootstrapRequest, secrets: SecretsManagerClient): Promise<{ user: string; password: string; token?: () => Promise<string> }> {
  if ("token" in request.master) return { user: request.master.user, password: "", token: request.master.token };
  const value = await readSecret(secrets, request.master.secretArn, true);
  if (!value?.username || !value.password) {
    throw new ScriptError(EXIT.aws, `the master secret ${request.master.secretArn} has no username/password`);
  }
  return { user: value.username, password: value.password };
}

async function readSecret(secrets: SecretsManagerClient, secretArn: string, required = false): Promise<Partial<UserSecret> | undefined> {
  try {
    const result = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
    return parseUserSecret(result.SecretString);
  } catch (error) {
    // A secret container Terraform created has no value until the first bootstrap writes one.
    if (error instanceof ResourceNotFoundException && !required) return undefined;
    throw new ScriptError(EXIT.aws, `cannot read secret ${secretArn}: ${(error as Error).name}`);
  }
}

/** The users to bootstrap, from the stack outputs database_users and user_secret_arns. */
export function bootstrapUsersFromOutputs(outputs: Outputs): BootstrapUser[] {
  const users = outputs.database_users as Record<string, { auth: string; privileges: BootstrapUser["privileges"] }> | undefined;
  const writer = typeof outputs.database_writer_endpoint === "string" ? outputs.database_writer_endpoint : undefined;
  const secrets = outputs.user_secret_arns as Record<string, string> | undefined;
  if (!users || !secrets) throw new ScriptError(EXIT.usage, 'stack outputs "database_users" and "user_secret_arns" are missing');
  return Object.entries(users).map(([name, user]) => {
    const secretArn = secrets[name];
    if (!secretArn) throw new ScriptError(EXIT.usage, `no secret ARN for user ${name} in user_secret_arns`);
    // Users the proxy serves log in to the database with their secret's password, whatever clients use.
    if (user.auth === "direct-iam") {
      if (!writer) throw new ScriptError(EXIT.usage, 'stack output "database_writer_endpoint" is missing (needed for direct-iam users)');
      return { name, privileges: user.privileges, login: "iam", secretArn, secretHost: writer };
    }
    return { name, privileges: user.privileges, login: "password", secretArn };
  });
}
