/**
 * Waits for the database, then runs the project's migrations with knex (its migration table and lock
 * keep concurrent runs safe). Settings come from the environment CodeBuild sets, or flags.
 */
import knex, { type Knex } from "knex";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { EXIT, ScriptError } from "../cli.ts";
import { iamAuthToken } from "../connection/iam-token.ts";
import { cleartextPasswordPlugin } from "../connection/mysql-cleartext.ts";
import { tlsSettings, type TlsOptions } from "../connection/tls.ts";
import { waitFor, WaitTimeout } from "../connection/wait.ts";

export interface MigrationTarget {
  readonly engineFamily: "POSTGRESQL" | "MYSQL";
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly auth: { readonly type: "password"; readonly password: string } | { readonly type: "iam"; readonly region: string };
  readonly tls: TlsOptions;
}

export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL("../../migrations", import.meta.url));

/** Reads DB_* as the CodeBuild project sets them; throws naming the first one missing. */
export function targetFromEnvironment(env: NodeJS.ProcessEnv, tls: TlsOptions): MigrationTarget {
  const need = (name: string) => {
    const value = env[name];
    if (!value) throw new ScriptError(EXIT.usage, `environment variable ${name} is not set`);
    return value;
  };
  const family = need("DB_ENGINE_FAMILY");
  if (family !== "POSTGRESQL" && family !== "MYSQL") throw new ScriptError(EXIT.usage, `DB_ENGINE_FAMILY must be POSTGRESQL or MYSQL, not ${family}`);
  const port = Number(need("DB_PORT"));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ScriptError(EXIT.usage, `DB_PORT must be 1..65535, not ${env.DB_PORT}`);
  const auth = env.DB_AUTH === "iam" ? { type: "iam" as const, region: need("DB_REGION") } : { type: "password" as const, password: need("DB_PASSWORD") };
  return { engineFamily: family, host: need("DB_HOST"), port, database: need("DB_NAME"), user: need("DB_USER"), auth, tls };
}

function knexConfig(target: MigrationTarget, directory: string): Knex.Config {
  const ssl = tlsSettings(target.host, target.tls);
  const base = { host: target.host, port: target.port, user: target.user, database: target.database, ssl };
  const connection = async () => {
    const password = target.auth.type === "password"
      ? target.auth.password
      : await iamAuthToken({ host: target.host, port: target.port, user: target.user, region: target.auth.region });
    // Tokens last 15 minutes: ask for a new one well before that for any new connection.
    const expiresAt = Date.now() + 10 * 60_000;
    return {
      ...base, password,
      ...(target.engineFamily === "MYSQL" && target.auth.type === "iam" ? { authPlugins: cleartextPasswordPlugin(password) } : {}),
      expirationChecker: () => Date.now() > expiresAt,
    };
  };
  return {
    client: target.engineFamily === "POSTGRESQL" ? "pg" : "mysql2",
    connection,
    pool: { min: 0, max: 1 },
    migrations: { migrationSource: new DirectoryMigrations(directory), tableName: "knex_migrations" },
  };
}

/**
 * Migration files loaded with this module's own import(), so TypeScript migrations load wherever the
 * scripts themselves run (node --import tsx, or the test runner), not only where knex's loader can.
 */
class DirectoryMigrations implements Knex.MigrationSource<string> {
  constructor(private readonly directory: string) {}

  async getMigrations(): Promise<string[]> {
    return (await readdir(this.directory)).filter((file) => /\.(?:ts|js|mjs)$/.test(file) && !file.endsWith(".d.ts")).sort();
  }

  getMigrationName(migration: string): string {
    return migration;
  }

  getMigration(migration: string): Promise<Knex.Migration> {
    return import(pathToFileURL(join(this.directory, migration)).href) as Promise<Knex.Migration>;
  }
}

export interface MigrateResult {
  readonly applied: readonly string[];
}

export async function migrate(target: MigrationTarget, options: { directory?: string; waitTimeoutMs: number; log: (line: string) => void; sleep?: (ms: number) => Promise<void> }): Promise<MigrateResult> {
  const db = knex(knexConfig(target, options.directory ?? DEFAULT_MIGRATIONS_DIR));
  try {
    options.log(`waiting for ${target.host}:${target.port} (up to ${Math.round(options.waitTimeoutMs / 1000)} s)`);
    try {
      await waitFor(() => db.raw("SELECT 1"), (error) => !/password authentication failed|Access denied|certificate|self-signed|no pg_hba/i.test(error.message), {
        timeoutMs: options.waitTimeoutMs,
        ...(options.sleep ? { sleep: options.sleep } : {}),
        onRetry: (attempt, delay, error) => options.log(`  attempt ${attempt}: ${error.message}; retrying in ${(delay / 1000).toFixed(1)} s`),
      });
    } catch (error) {
      if (error instanceof WaitTimeout) throw new ScriptError(EXIT.databaseUnreachable, `the database did not accept connections in time: ${error.lastError.message}`);
      throw new ScriptError(/password authentication|Access denied/i.test((error as Error).message) ? EXIT.databaseAuthentication : EXIT.databaseUnreachable,
        `cannot connect as ${target.user}: ${(error as Error).message}`);
    }
    const [, applied] = (await db.migrate.latest()) as [number, string[]];
    options.log(applied.length === 0 ? "migrations: already up to date" : `migrations applied: ${applied.join(", ")}`);
    return { applied };
  } catch (error) {
    if (error instanceof ScriptError) throw error;
    throw new ScriptError(EXIT.sqlFailed, `migration failed: ${(error as Error).message}`);
  } finally {
    await db.destroy();
  }
}
