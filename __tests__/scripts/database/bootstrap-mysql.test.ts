import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import mysql from "mysql2/promise";
import { runBootstrap, type BootstrapRequest, type BootstrapUser } from "../../../scripts/lib/database/bootstrap.ts";
import { ScriptError } from "../../../scripts/lib/cli.ts";
import { fakeSecrets } from "../../support/fake-secrets.ts";
import { mariadbAvailable, startMariadb, type ServerInfo } from "../../support/servers.ts";

const missing = mariadbAvailable() === undefined;
if (missing) console.warn("\n!!! SKIPPED: bootstrap against a real MySQL-compatible server — MariaDB is not installed (.ci/run installs mariadb-server)\n");

const MASTER_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-master-AbCdEf";
const PROXY = "shop-test.proxy-abc123.eu-west-1.rds.amazonaws.com";
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
    secretHost: PROXY, secretPort: 3306, users, master: { secretArn: MASTER_ARN },
    tls: { rejectUnauthorized: true, ca, servername: "localhost" }, dryRun: false, waitTimeoutMs: 30_000, ...overrides,
  });
  const as = (user: string, password: string, database = "shop") =>
    mysql.createConnection({ host: server.host, port: server.port, user, password, database, ssl: { ca } });
  const password = (user: string) => JSON.parse(secrets.store.get(arn(user))!).password as string;
  const asAdmin = async (sql: string) => {
    const admin = await mysql.createConnection({ host: server.host, port: server.port, user: server.adminUser, password: server.adminPassword, ssl: { ca } });
    try {
      return (await admin.query(sql))[0];
    } finally {
      await admin.end();
    }
  };
  const snapshot = async () => JSON.stringify([
    await asAdmin("SELECT User, Host, plugin, authentication_string, ssl_type FROM mysql.user ORDER BY User"),
    await asAdmin("SELECT * FROM information_schema.SCHEMA_PRIVILEGES ORDER BY GRANTEE, PRIVILEGE_TYPE"),
    await asAdmin("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY 1"),
  ]);
  let first = "";

  it("creates the database and TLS-only users on the first run, and writes their secrets with the stack's endpoint", async () => {
    const result = await runBootstrap(request(), deps);
    expect(result.changes).toBe(1 + 3 * 2 + 3);
    expect(JSON.parse(secrets.store.get(arn("app"))!)).toMatchObject({ username: "app", host: PROXY, port: 3306, dbname: "shop", engine: "mysql" });
    first = await snapshot();
    expect(first).toContain('"ssl_type":"ANY"');
    expect(first).toContain('"plugin":"mysql_native_password"');
  }, 60_000);

  it("changes nothing on the second run; users and grants are identical", async () => {
    expect(await runBootstrap(request(), deps)).toEqual({ statements: [], secretsWritten: [], changes: 0, dryRun: false, warnings: [] });
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

  it("fails when a readonly user tries to create or change any object, in any database", async () => {
    const attempts = [
      "CREATE TABLE t (k INT)", "CREATE TEMPORARY TABLE t (k INT)", "CREATE VIEW v AS SELECT 1", "CREATE INDEX i ON orders (item)",
      "CREATE PROCEDURE p() SELECT 1", "CREATE FUNCTION f() RETURNS INT RETURN 1", "CREATE TRIGGER tr BEFORE INSERT ON orders FOR EACH ROW SET @x = 1",
      "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO SELECT 1", "ALTER TABLE orders ADD COLUMN x INT", "DROP TABLE orders", "TRUNCATE orders",
      "RENAME TABLE orders TO mine", "INSERT INTO orders (item) VALUES ('x')", "UPDATE orders SET item = 'x'", "DELETE FROM orders",
      "CREATE DATABASE mine", "CREATE TABLE mysql.t (k INT)", "CREATE USER 'other'@'%'", "GRANT SELECT ON shop.orders TO 'app'@'%'",
    ];
    const reporting = await as("reporting", password("reporting"));
    const accepted: string[] = [];
    for (const sql of attempts) {
      try {
        await reporting.query(sql);
        accepted.push(sql);
      } catch (error) {
        expect((error as { code: string }).code, sql).toMatch(/^ER_(TABLEACCESS|DBACCESS|SPECIFIC_ACCESS|PROCACCESS|COLUMNACCESS)_DENIED_ERROR$|^ER_ACCESS_DENIED_NO_PASSWORD_ERROR$/);
      }
    }
    await reporting.end();
    expect(accepted).toEqual([]);
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

  it("rotates only the named user: the new password works, the old one no longer does", async () => {
    const old = password("app");
    const result = await runBootstrap(request({ rotateUsers: ["app"] }), deps);
    expect(result.statements).toEqual(["ALTER USER 'app'@'%' IDENTIFIED WITH mysql_native_password AS '********'"]);
    await (await as("app", password("app"))).end();
    await expect(as("app", old)).rejects.toMatchObject({ code: "ER_ACCESS_DENIED_ERROR" });
    expect(secrets.stage(arn("app"), "AWSPENDING")).toBeUndefined();
  }, 60_000);

  it("fails with exit code 5 and leaves every password working when a new password cannot be stored", async () => {
    const before = users.map((u) => password(u.name));
    secrets.refuse("PutSecretValue");
    const error = await runBootstrap(request({ rotate: true }), deps).catch((e) => e).finally(() => secrets.allow("PutSecretValue"));
    for (const [i, user] of users.entries()) await (await as(user.name, before[i]!)).end();
    expect((error as ScriptError).exitCode).toBe(5);
    expect((error as ScriptError).message).toMatch(/^cannot store the new password of migrator \(.*\): InvalidRequestException; nothing was changed in the database for it$/);
    expect((await runBootstrap(request(), deps)).changes).toBe(0);
  }, 60_000);

  it("repairs, on a plain rerun, a password changed behind its secret's back", async () => {
    await asAdmin("ALTER USER 'app'@'%' IDENTIFIED BY 'changed-by-hand-1'");
    const result = await runBootstrap(request(), deps);
    expect(result.warnings).toEqual(["app: the database's password differs from the one in its secret; setting the secret's"]);
    await (await as("app", password("app"))).end();
    expect((await runBootstrap(request(), deps)).changes).toBe(0);
  }, 60_000);

  it("never sends a password to the server, so none reaches its logs, even from a failing statement", async () => {
    // Without CREATE USER (or INSERT and UPDATE on mysql.*) the master's CREATE USER fails, and MariaDB's SQL
    // error log records the statement.
    await asAdmin("REVOKE CREATE USER, INSERT, UPDATE ON *.* FROM 'master'@'%'");
    const denied: BootstrapUser = { name: "denied", privileges: "readonly", login: "password", secretArn: arn("denied") };
    const error = await runBootstrap(request({ users: [...users, denied] }), deps).catch((e) => e);
    await asAdmin("GRANT CREATE USER, INSERT, UPDATE ON *.* TO 'master'@'%' WITH GRANT OPTION");

    const logs = server.logFiles.filter((file) => existsSync(file)).map((file) => readFileSync(file, "latin1")).join("\n");
    const passwords = [...users, denied].flatMap((u) => ["AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"].map((stage) => secrets.stage(u.secretArn, stage)))
      .filter((value): value is string => value !== undefined).map((value) => JSON.parse(value).password as string);
    expect(passwords.length).toBeGreaterThanOrEqual(users.length);
    for (const secret of passwords) expect(logs).not.toContain(secret);
    expect((error as ScriptError).message).toMatch(/^statement 1 failed \(CREATE USER 'denied'@'%' IDENTIFIED WITH mysql_native_password AS '\*\*\*\*\*\*\*\*' REQUIRE SSL\)/);
    // The logs do hold the statements, with the hash in place of the password.
    expect(logs).toMatch(/Access denied.*: CREATE USER 'denied'@'%' IDENTIFIED WITH mysql_native_password AS '\*[0-9A-F]{40}' REQUIRE SSL/);
    expect(logs).toMatch(/ALTER USER 'app'@'%' IDENTIFIED WITH mysql_native_password AS '\*[0-9A-F]{40}'/);
  }, 60_000);

  it("is refused without TLS, while the same credentials work with it", async () => {
    // MariaDB answers a plain connection under require_secure_transport with "access denied".
    const plain = { host: server.host, port: server.port, user: "app", password: password("app"), database: "shop" };
    await expect(mysql.createConnection(plain)).rejects.toMatchObject({ code: "ER_ACCESS_DENIED_ERROR" });
    await expect(mysql.createConnection({ ...plain, user: server.adminUser, password: server.adminPassword })).rejects.toMatchObject({ code: "ER_ACCESS_DENIED_ERROR" });
    await (await mysql.createConnection({ ...plain, ssl: { ca } })).end();
  });

  describe("names MySQL would truncate, refuse or that belong to the server", () => {
    const refused = async (overrides: Partial<BootstrapRequest>) => {
      const before = await snapshot();
      const lines: string[] = [];
      const error = await runBootstrap(request(overrides), { secrets: secrets.client, log: (line) => lines.push(line) }).catch((e) => e);
      expect(lines).toEqual([]);
      expect(await snapshot()).toBe(before);
      expect((error as ScriptError).exitCode).toBe(2);
      return (error as ScriptError).message.split("\n").slice(1);
    };

    it("fails, before connecting, for a database name over 64 bytes", async () => {
      expect(await refused({ database: "é".repeat(33) })).toEqual([
        `  - database: "${"é".repeat(33)}" — database name must be at most 64 bytes in UTF-8, not 66: MySQL would truncate or refuse it`,
      ]);
    }, 60_000);

    it("fails, before connecting, for a user name over 32 bytes", async () => {
      const name = "ü".repeat(17);
      expect(await refused({ users: [{ name, privileges: "readonly", login: "password", secretArn: arn("long") }] })).toEqual([
        `  - users.${name}: "${name}" — user name must be at most 32 bytes in UTF-8, not 34: MySQL would truncate or refuse it`,
      ]);
    }, 60_000);

    it("fails, before connecting, for accounts the server or RDS keeps", async () => {
      const reserved = ["root", "mysql.sys", "mariadb.sys", "rdsadmin", "rds_superuser_role", "public"];
      const lines = await refused({ users: reserved.map((name) => ({ name, privileges: "readonly", login: "password", secretArn: arn(name) })) });
      expect(lines.map((line) => line.split(":")[0])).toEqual(reserved.map((name) => `  - users.${name}`));
      expect(lines[0]).toBe('  - users.root: "root" — user name must not be one MySQL or RDS reserves (root, public, rdsadmin, rdsrepladmin, rdsproxyadmin, mariadb.sys, or starting with mysql. or rds_)');
    }, 60_000);
  });
});
