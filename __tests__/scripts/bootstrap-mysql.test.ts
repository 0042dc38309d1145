import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import mysql from "mysql2/promise";
import { runBootstrap, type BootstrapRequest, type BootstrapUser } from "../../scripts/lib/bootstrap.ts";
import { fakeSecrets } from "../support/fake-secrets.ts";
import { mariadbAvailable, startMariadb, type ServerInfo } from "../support/servers.ts";

const missing = mariadbAvailable() === undefined;
if (missing) console.warn("\n!!! SKIPPED: bootstrap against a real MySQL-compatible server — MariaDB is not installed (.ci/run installs mariadb-server)\n");

const MASTER_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-master-AbCdEf";
const arn = (user: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/test/database/${user}-AbCdEf`;
// IAM users need RDS's AWSAuthenticationPlugin, which MariaDB lacks: their SQL is covered by the planner tests.
const users: BootstrapUser[] = [
  { name: "migrator", privileges: "owner", login: "password", secretArn: arn("migrator") },
  { name: "app", privileges: "readwrite", login: "password", secretArn: arn("app") },
  { name: "reporting", privileges: "readonly", login: "password", secretArn: arn("reporting") },
];

describe.skipIf(missing)("bootstrap against a real MySQL-compatible server (MariaDB) over TLS", () => {
  let server: ServerInfo;
  let stop: () => Promise<void>;
  let ca: string;
  const secrets = fakeSecrets();
  const deps = { secrets: secrets.client, log: () => undefined };

  beforeAll(async () => {
    const started = await startMariadb();
    server = started.info;
    stop = started.stop;
    ca = readFileSync(server.caFile, "utf8");
    secrets.store.set(MASTER_ARN, JSON.stringify({ username: server.masterUser, password: server.masterPassword }));
  }, 120_000);
  afterAll(async () => {
    await stop?.();
  });

  const request = (overrides: Partial<BootstrapRequest> = {}): BootstrapRequest => ({
    dialect: "mysql", host: server.host, port: server.port, database: "shop", engine: "mysql",
    secretHost: "shop-test.proxy-abc123.eu-west-1.rds.amazonaws.com", users, master: { secretArn: MASTER_ARN },
    tls: { rejectUnauthorized: true, ca, servername: "localhost" }, rotate: false, dryRun: false, waitTimeoutMs: 30_000, ...overrides,
  });
  const as = (user: string, password: string) =>
    mysql.createConnection({ host: server.host, port: server.port, user, password, database: "shop", ssl: { ca } });
  const password = (user: string) => JSON.parse(secrets.store.get(arn(user))!).password as string;
  const snapshot = async () => {
    const admin = await mysql.createConnection({ host: server.host, port: server.port, user: server.adminUser, password: server.adminPassword, ssl: { ca } });
    const [usersRows] = await admin.query("SELECT User, Host, plugin, authentication_string, ssl_type FROM mysql.user ORDER BY User");
    const [grants] = await admin.query("SELECT * FROM information_schema.SCHEMA_PRIVILEGES ORDER BY GRANTEE, PRIVILEGE_TYPE");
    const [schemas] = await admin.query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY 1");
    await admin.end();
    return JSON.stringify([usersRows, grants, schemas]);
  };
  let first = "";

  it("creates the database and TLS-only users on the first run, and writes their secrets", async () => {
    const result = await runBootstrap(request(), deps);
    expect(result.changes).toBe(1 + 3 * 2 + 3);
    expect(JSON.parse(secrets.store.get(arn("app"))!)).toMatchObject({ username: "app", port: server.port, dbname: "shop", engine: "mysql" });
    first = await snapshot();
    expect(first).toContain('"ssl_type":"ANY"');
  }, 60_000);

  it("changes nothing on the second run; users and grants are identical", async () => {
    expect(await runBootstrap(request(), deps)).toEqual({ statements: [], secretsWritten: [], changes: 0, dryRun: false });
    expect(await snapshot()).toBe(first);
  }, 60_000);

  it("lets each user do what its level allows, over TLS", async () => {
    const migrator = await as("migrator", password("migrator"));
    await migrator.query("CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, item VARCHAR(50))");
    await migrator.end();
    const app = await as("app", password("app"));
    await app.query("INSERT INTO orders (item) VALUES ('book')");
    await expect(app.query("CREATE TABLE nope (k INT)")).rejects.toThrow(/CREATE command denied/);
    await app.end();
    const reporting = await as("reporting", password("reporting"));
    const [rows] = await reporting.query("SELECT COUNT(*) AS n FROM orders");
    expect((rows as { n: number }[])[0]!.n).toBe(1);
    await expect(reporting.query("DELETE FROM orders")).rejects.toThrow(/DELETE command denied/);
    await reporting.end();
  }, 60_000);

  it("creates a user whose stored password is hostile, and it logs in", async () => {
    const hostile = "it's; DROP USER app; -- \\ \"ñ€";
    secrets.store.set(arn("bücher"), JSON.stringify({ username: "bücher", password: hostile }));
    await runBootstrap(request({ users: [...users, { name: "bücher", privileges: "readonly", login: "password", secretArn: arn("bücher") }] }), deps);
    const client = await as("bücher", hostile);
    const [rows] = await client.query("SELECT CURRENT_USER() AS u");
    expect((rows as { u: string }[])[0]!.u).toBe("bücher@%");
    await client.end();
    await (await as("app", password("app"))).end();
  }, 60_000);

  it("is refused without TLS, while the same credentials work with it", async () => {
    // MariaDB answers a plain connection under require_secure_transport with "access denied".
    const plain = { host: server.host, port: server.port, user: "app", password: password("app"), database: "shop" };
    await expect(mysql.createConnection(plain)).rejects.toMatchObject({ code: "ER_ACCESS_DENIED_ERROR" });
    await expect(mysql.createConnection({ ...plain, user: server.adminUser, password: server.adminPassword })).rejects.toMatchObject({ code: "ER_ACCESS_DENIED_ERROR" });
    await (await mysql.createConnection({ ...plain, ssl: { ca } })).end();
  });
});
