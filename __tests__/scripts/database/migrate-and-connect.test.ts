import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBootstrap } from "../../../scripts/lib/database/bootstrap.ts";
import { createPool, poolConfig } from "../../../scripts/lib/connection/pg-pool.ts";
import { migrate, targetFromEnvironment, type MigrationTarget } from "../../../scripts/lib/database/migrations.ts";
import { TABLES_WITHOUT_PRIMARY_KEY } from "../../../scripts/lib/deploy/blue-green-instance.ts";
import { fakeSecrets } from "../../support/fake-secrets.ts";
import { mariadbAvailable, startPostgres, startMariadb, type ServerInfo } from "../../support/servers.ts";

const MASTER_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:master-AbCdEf";
const arn = (user: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/test/database/${user}-AbCdEf`;

/** Bootstraps users on a server and returns their passwords from the (fake) secrets. */
async function bootstrap(server: ServerInfo, dialect: "postgresql" | "mysql") {
  const secrets = fakeSecrets({ [MASTER_ARN]: JSON.stringify({ username: server.masterUser, password: server.masterPassword }) });
  await runBootstrap({
    dialect, host: server.host, port: server.port, database: "shop", engine: dialect === "postgresql" ? "postgres" : "mysql", secretHost: server.host,
    users: [
      { name: "migrator", privileges: "owner", login: "password", secretArn: arn("migrator") },
      { name: "app", privileges: "readwrite", login: "password", secretArn: arn("app") },
    ],
    master: { secretArn: MASTER_ARN }, tls: { rejectUnauthorized: true, ca: readFileSync(server.caFile, "utf8"), servername: "localhost" },
    rotate: false, dryRun: false, waitTimeoutMs: 30_000,
  }, { secrets: secrets.client, log: () => undefined });
  return (user: string) => JSON.parse(secrets.store.get(arn(user))!).password as string;
}

describe("against a real PostgreSQL", () => {
  let server: ServerInfo;
  let stop: () => Promise<void>;
  let password: (user: string) => string;
  beforeAll(async () => {
    ({ info: server, stop } = await startPostgres());
    password = await bootstrap(server, "postgresql");
  }, 120_000);
  afterAll(async () => {
    await stop?.();
  });

  const target = (): MigrationTarget => ({
    engineFamily: "POSTGRESQL", host: server.host, port: server.port, database: "shop", user: "migrator",
    auth: { type: "password", password: password("migrator") }, tls: { mode: "verify-full", caSet: "rds", caFile: server.caFile },
  });

  it("migrates as the owner into its schema, then finds nothing to do", async () => {
    const log: string[] = [];
    expect(await migrate(target(), { waitTimeoutMs: 10_000, log: (l) => log.push(l) })).toEqual({ applied: ["20261123000000_example_schema_version.ts"] });
    expect(await migrate(target(), { waitTimeoutMs: 10_000, log: (l) => log.push(l) })).toEqual({ applied: [] });
    expect(log).toContain("migrations: already up to date");
    const pool = createPool({
      host: server.host, port: server.port, user: "app", database: "shop", auth: { type: "password", password: password("app") },
      tls: { mode: "verify-full", caSet: "rds", caFile: server.caFile }, poolSize: 2, idleTimeoutMs: 60_000,
    });
    await pool.query("INSERT INTO release_notes (version) VALUES ('1.0.0')");
    const { rows } = await pool.query("SELECT table_schema FROM information_schema.tables WHERE table_name = 'release_notes'");
    await pool.end();
    expect(rows).toEqual([{ table_schema: "migrator" }]);
  }, 60_000);

  it("reports a wrong password with exit code 4", async () => {
    await expect(migrate({ ...target(), auth: { type: "password", password: "wrong-password" } }, { waitTimeoutMs: 5_000, log: () => undefined }))
      .rejects.toMatchObject({ exitCode: 4 });
  }, 30_000);

  it("asks the password function again for every new connection of the pool (fresh IAM tokens)", async () => {
    let calls = 0;
    const pool = createPool({
      host: server.host, port: server.port, user: "app", database: "shop",
      auth: { type: "iam", region: "eu-west-1", signer: async () => (calls++, password("app")) },
      tls: { mode: "verify-full", caSet: "rds", caFile: server.caFile }, poolSize: 3, idleTimeoutMs: 60_000,
    });
    const clients = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
    for (const client of clients) {
      expect((await client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")).rows[0].ssl).toBe(true);
      client.release();
    }
    await pool.end();
    expect(calls).toBe(3);
  }, 30_000);

  it("survives an idle connection the server closes, and reconnects", async () => {
    const idleErrors: string[] = [];
    const pool = createPool({
      host: server.host, port: server.port, user: "app", database: "shop", auth: { type: "password", password: password("app") },
      tls: { mode: "verify-full", caSet: "rds", caFile: server.caFile }, poolSize: 1, idleTimeoutMs: 60_000,
      onIdleError: (error) => idleErrors.push((error as Error & { code?: string }).code ?? error.message),
    });
    const pid = (await pool.query("SELECT pg_backend_pid() AS pid")).rows[0].pid as number;
    const admin = createPool({
      host: server.host, port: server.port, user: server.adminUser, database: "postgres", auth: { type: "password", password: server.adminPassword },
      tls: { mode: "verify-full", caSet: "rds", caFile: server.caFile }, poolSize: 1, idleTimeoutMs: 60_000,
    });
    await admin.query("SELECT pg_terminate_backend($1)", [pid]);
    await admin.end();
    await expect.poll(() => idleErrors).toEqual(["57P01"]);
    expect((await pool.query("SELECT 1 AS ok")).rows[0].ok).toBe(1);
    await pool.end();
  }, 30_000);
  it("finds exactly the tables without a primary key, which the blue/green note tells an operator to fix first", async () => {
    const as = (database: string) => createPool({
      host: server.host, port: server.port, user: server.adminUser, database, auth: { type: "password", password: server.adminPassword },
      tls: { mode: "verify-full", caSet: "rds", caFile: server.caFile }, poolSize: 1, idleTimeoutMs: 60_000,
    });
    const admin = as("postgres");
    await admin.query("CREATE DATABASE bluegreen_check");
    await admin.end();
    const pool = as("bluegreen_check");
    await pool.query(`
      CREATE SCHEMA audit;
      CREATE TABLE orders (id bigint PRIMARY KEY, note text);
      CREATE TABLE events (at timestamptz, body text);
      CREATE TABLE audit.entries (id bigint UNIQUE NOT NULL);
      CREATE TABLE sales (id bigint, sold date, PRIMARY KEY (id, sold)) PARTITION BY RANGE (sold);
      CREATE TABLE sales_2026 PARTITION OF sales FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
      CREATE TABLE readings (at date) PARTITION BY RANGE (at);
      CREATE TABLE readings_2026 PARTITION OF readings FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
      CREATE VIEW recent AS SELECT * FROM events;
      CREATE MATERIALIZED VIEW totals AS SELECT count(*) FROM orders;`);
    const { rows } = await pool.query(TABLES_WITHOUT_PRIMARY_KEY);
    await pool.end();
    expect(rows.map((r) => String(r.table_name)).sort()).toEqual(["audit.entries", "events", "readings", "readings_2026"]);
  }, 30_000);
});

describe("pool settings", () => {
  const base = { host: "db", port: 5432, user: "app", database: "shop", auth: { type: "password" as const, password: "x" }, tls: { mode: "require" as const, caSet: "proxy" as const } };

  it("keep connections alive and below the proxy's idle timeout, sized by the caller", () => {
    expect(poolConfig({ ...base, poolSize: 5, idleTimeoutMs: 600_000, proxyIdleClientTimeoutSeconds: 900 })).toMatchObject({ max: 5, idleTimeoutMillis: 600_000, keepAlive: true, ssl: { rejectUnauthorized: false } });
  });

  it.each([
    [{ poolSize: 0, idleTimeoutMs: 1000 }, "poolSize must be a whole number of at least 1, not 0"],
    [{ poolSize: 5, idleTimeoutMs: 1_800_000 }, "idleTimeoutMs must be above 0 and below the proxy's idle client timeout (1800000 ms), not 1800000"],
  ])("refuse %j", (options, message) => {
    expect(() => poolConfig({ ...base, ...options })).toThrow(message);
  });

  it("verify the proxy against the Amazon root CAs by host name", () => {
    const config = poolConfig({ ...base, host: "shop.proxy-abc.eu-west-1.rds.amazonaws.com", tls: { mode: "verify-full", caSet: "proxy" }, poolSize: 1, idleTimeoutMs: 1000 });
    expect(config.ssl).toMatchObject({ rejectUnauthorized: true, servername: "shop.proxy-abc.eu-west-1.rds.amazonaws.com" });
    expect((config.ssl as { ca: string[] }).ca.length).toBeGreaterThanOrEqual(4);
  });
});

describe("migration settings from the CodeBuild environment", () => {
  const env = { DB_HOST: "h", DB_PORT: "5432", DB_NAME: "shop", DB_USER: "migrator", DB_ENGINE_FAMILY: "POSTGRESQL", DB_REGION: "eu-west-1" };
  const tls = { mode: "verify-full" as const, caSet: "proxy" as const };
  it("uses a token for IAM users and the password variable otherwise", () => {
    expect(targetFromEnvironment({ ...env, DB_AUTH: "iam" }, tls).auth).toEqual({ type: "iam", region: "eu-west-1" });
    expect(targetFromEnvironment({ ...env, DB_AUTH: "password", DB_PASSWORD: "p" }, tls).auth).toEqual({ type: "password", password: "p" });
  });
  it("names a missing variable", () => {
    expect(() => targetFromEnvironment({ ...env, DB_AUTH: "password" }, tls)).toThrow("environment variable DB_PASSWORD is not set");
  });
});

describe.skipIf(mariadbAvailable() === undefined)("against a real MariaDB", () => {
  it("migrates as the owner, then finds nothing to do", async () => {
    const started = await startMariadb();
    try {
      const password = await bootstrap(started.info, "mysql");
      const target: MigrationTarget = {
        engineFamily: "MYSQL", host: started.info.host, port: started.info.port, database: "shop", user: "migrator",
        auth: { type: "password", password: password("migrator") }, tls: { mode: "verify-full", caSet: "rds", caFile: started.info.caFile },
      };
      expect((await migrate(target, { waitTimeoutMs: 10_000, log: () => undefined })).applied).toHaveLength(1);
      expect((await migrate(target, { waitTimeoutMs: 10_000, log: () => undefined })).applied).toEqual([]);
    } finally {
      await started.stop();
    }
  }, 120_000);
});
