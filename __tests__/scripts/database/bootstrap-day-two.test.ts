/**
 * The second and later deploys of an environment, against real servers: users added after the
 * application created tables, users whose level changes, and a converged database that plans nothing.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import mysql from "mysql2/promise";
import pg from "pg";
import { runBootstrap, type BootstrapRequest, type BootstrapUser } from "../../../scripts/lib/database/bootstrap.ts";
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { ScriptError } from "../../../scripts/lib/cli.ts";
import { fakeSecrets } from "../../support/fake-secrets.ts";
import { mariadbAvailable, startMariadb, startPostgres, type ServerInfo } from "../../support/servers.ts";

const MASTER_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-master-AbCdEf";
const PROXY = "shop-test.proxy-abc123.eu-west-1.rds.amazonaws.com";
const arn = (user: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/test/database/${user}-AbCdEf`;
const user = (name: string, privileges: BootstrapUser["privileges"]): BootstrapUser => ({ name, privileges, login: "password", secretArn: arn(name) });

const missingMariadb = mariadbAvailable() === undefined;
if (missingMariadb) console.warn("\n!!! SKIPPED: day-two bootstrap against MariaDB — MariaDB is not installed (.ci/run installs mariadb-server)\n");

/**
 * Two rotations of the same database that overlap for certain: the second starts while the first is
 * storing new passwords, after it has read every secret. Each settles with its log.
 */
async function overlappingRotations(request: BootstrapRequest, secrets: SecretsManagerClient): Promise<{ status: string; lines: string[] }[]> {
  const lines: [string[], string[]] = [[], []];
  let second: Promise<unknown> | undefined;
  const first = runBootstrap({ ...request, rotate: true }, {
    secrets, log: (line: string) => {
      lines[0].push(line);
      if (!second && line.startsWith("  storing the new password")) second = runBootstrap({ ...request, rotate: true }, { secrets, log: (l: string) => lines[1].push(l) });
    },
  });
  const [one] = await Promise.allSettled([first]);
  const [two] = await Promise.allSettled([second ?? Promise.reject(new Error("the second run never started"))]);
  return [one!, two!].map((r, i) => ({ status: r.status, lines: lines[i]! }));
}

describe("PostgreSQL: users added, and levels changed, after the application created tables", () => {
  let server: ServerInfo;
  let stop: () => Promise<void>;
  let ca: string;
  const secrets = fakeSecrets();
  const deps = { secrets: secrets.client, log: () => undefined };
  const password = (name: string) => JSON.parse(secrets.store.get(arn(name))!).password as string;

  beforeAll(async () => {
    ({ info: server, stop } = await startPostgres());
    ca = readFileSync(server.caFile, "utf8");
    secrets.store.set(MASTER_ARN, JSON.stringify({ username: server.masterUser, password: server.masterPassword }));
  }, 120_000);
  afterAll(async () => {
    await stop?.();
  });

  const request = (users: BootstrapUser[]): BootstrapRequest => ({
    dialect: "postgresql", host: server.host, port: server.port, database: "shop", engine: "postgres",
    secretHost: PROXY, secretPort: 5432, users, master: { secretArn: MASTER_ARN },
    tls: { rejectUnauthorized: true, ca, servername: "localhost" }, dryRun: false, waitTimeoutMs: 30_000,
  });
  const as = async <T>(name: string, work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ host: server.host, port: server.port, user: name, password: password(name), database: "shop", ssl: { ca, servername: "localhost" } });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };

  it("gives a user added later its level on the existing tables, views and sequences, in one run; the next run plans nothing", async () => {
    // GIVEN an owner alone, whose application then created a serial-id table, a view and a sequence
    await runBootstrap(request([user("migrator", "owner"), user("legacy", "owner")]), deps);
    await as("migrator", async (c) => {
      await c.query("CREATE TABLE orders (id serial PRIMARY KEY, item text NOT NULL)");
      await c.query("CREATE VIEW order_items AS SELECT item FROM orders");
      await c.query("CREATE SEQUENCE invoice_numbers");
    });
    await as("legacy", (c) => c.query("CREATE TABLE legacy.things (id serial PRIMARY KEY)"));

    // WHEN readwrite and readonly users (and so their groups) are added
    const users = [user("migrator", "owner"), user("legacy", "owner"), user("app", "readwrite"), user("reporting", "readonly")];
    await runBootstrap(request(users), deps);

    // THEN each can do what its level allows on what existed before it
    await as("app", async (c) => {
      await c.query("INSERT INTO migrator.orders (item) VALUES ('book')");
      expect((await c.query("SELECT nextval('migrator.invoice_numbers')::int AS n")).rows[0].n).toBe(1);
      await c.query("UPDATE migrator.orders SET item = 'pen'");
    });
    await as("reporting", async (c) => {
      expect((await c.query("SELECT item FROM migrator.order_items")).rows).toEqual([{ item: "pen" }]);
      expect((await c.query("SELECT last_value::int AS n FROM migrator.invoice_numbers")).rows[0].n).toBe(1);
      await expect(c.query("INSERT INTO migrator.orders (item) VALUES ('x')")).rejects.toThrow(/permission denied for table orders/);
    });
    expect((await runBootstrap(request(users), deps)).statements).toEqual([]);
  }, 60_000);

  it("takes away what a new level does not include: readwrite -> readonly, owner -> readwrite; the next run plans nothing", async () => {
    // WHEN app becomes readonly and legacy, an owner with a table, becomes readwrite
    const users = [user("migrator", "owner"), user("legacy", "readwrite"), user("app", "readonly"), user("reporting", "readonly")];
    const result = await runBootstrap(request(users), deps);
    expect(result.statements).toEqual(expect.arrayContaining([
      'REVOKE "shop_readwrite" FROM "app"', 'REVOKE "shop_owner" FROM "legacy"', 'REASSIGN OWNED BY "legacy" TO CURRENT_USER',
    ]));

    // THEN app reads and no longer writes; legacy writes rows and no longer creates, alters or drops anything
    await as("app", async (c) => {
      expect((await c.query("SELECT count(*)::int AS n FROM migrator.orders")).rows[0].n).toBe(1);
      await expect(c.query("INSERT INTO migrator.orders (item) VALUES ('x')")).rejects.toThrow(/permission denied for table orders/);
    });
    await as("legacy", async (c) => {
      await c.query("INSERT INTO migrator.orders (item) VALUES ('lamp')");
      await expect(c.query("DROP TABLE legacy.things")).rejects.toThrow(/must be owner of table things/);
      await expect(c.query("CREATE TABLE legacy.more (k text)")).rejects.toThrow(/permission denied for schema legacy/);
    });
    expect((await runBootstrap(request(users), deps)).statements).toEqual([]);
  }, 60_000);

  it("serializes two overlapping runs: both rotate, the second waits for the first, and every password in a secret logs in", async () => {
    const users = [user("migrator", "owner"), user("app", "readwrite")];
    const results = await overlappingRotations(request(users), secrets.client);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled"]);
    expect(results[1]!.lines).toContainEqual(expect.stringMatching(/^ {2}another bootstrap run holds the lock on shop; waiting up to \d+ s$/));
    for (const name of ["migrator", "app"]) await as(name, (c) => c.query("SELECT 1"));
    expect(secrets.labels(arn("app")).filter((labels) => labels.includes("AWSPENDING"))).toEqual([]);
  }, 60_000);

  it("refuses to make a password current when something else wrote the secret meanwhile, and a rerun converges", async () => {
    const users = [user("migrator", "owner"), user("app", "readwrite")];
    const log = (line: string) => {
      // A writer that takes no lock (a person, an old tool) changes the secret between the SQL and the promotion.
      if (line.startsWith('  ALTER ROLE "app" WITH LOGIN PASSWORD')) secrets.store.set(arn("app"), secrets.store.get(arn("app"))!);
    };
    await expect(runBootstrap({ ...request(users), rotateUsers: ["app"] }, { secrets: secrets.client, log })).rejects.toThrow(
      /the secret of app \(.*\) changed while this run was working \(AWSCURRENT is version .*\): something else wrote it, so this run did not; rerun to converge/);
    await runBootstrap(request(users), deps);
    await as("app", (c) => c.query("SELECT 1"));
    expect((await runBootstrap(request(users), deps)).changes).toBe(0);
  }, 60_000);

  it("fails with exit code 3, having read nothing, when another run holds the lock past the wait", async () => {
    const holder = new pg.Client({ host: server.host, port: server.port, user: server.masterUser, password: server.masterPassword, database: "postgres", ssl: { ca, servername: "localhost" } });
    await holder.connect();
    try {
      await holder.query("SELECT pg_advisory_lock(hashtextextended('dbstack-bootstrap:' || left(encode(sha256('shop'), 'hex'), 40), 0))");
      const reads = secrets.mock.commandCalls(GetSecretValueCommand).length;
      const error = await runBootstrap({ ...request([user("app", "readwrite")]), waitTimeoutMs: 1_500 }, deps).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ScriptError);
      expect((error as ScriptError).exitCode).toBe(3);
      expect((error as ScriptError).message).toMatch(/another bootstrap run has held the lock on database shop for more than \d s; nothing was read or changed/);
      // Only the master secret was read.
      expect(secrets.mock.commandCalls(GetSecretValueCommand).length - reads).toBe(1);
    } finally {
      await holder.end();
    }
  }, 60_000);

  it("overwrites a secret whose current value is not usable with a new password, and says so in the result and the log", async () => {
    const users = [user("migrator", "owner"), user("app", "readwrite"), user("reporting", "readonly")];
    secrets.store.set(arn("app"), "not json {");
    secrets.store.set(arn("reporting"), JSON.stringify({ username: "reporting", pass: "x" }));
    const lines: string[] = [];
    const result = await runBootstrap(request(users), { secrets: secrets.client, log: (line: string) => lines.push(line) });
    expect(result.warnings).toEqual([
      "app: replacing the stored password: its current value is not JSON",
      "reporting: replacing the stored password: its current value has no password field",
    ]);
    for (const warning of result.warnings) expect(lines).toContain(`  warning: ${warning}`);
    for (const name of ["app", "reporting"]) await as(name, (c) => c.query("SELECT 1"));
    expect((await runBootstrap(request(users), deps)).changes).toBe(0);
  }, 60_000);

  it("disables a removed user — no login, out of its groups, its sessions ended — keeps it, reports it, and plans nothing the next time", async () => {
    const held = new pg.Client({ host: server.host, port: server.port, user: "reporting", password: password("reporting"), database: "shop", ssl: { ca, servername: "localhost" } });
    held.on("error", () => undefined);
    await held.connect();
    const users = [user("migrator", "owner"), user("app", "readwrite")];
    const lines: string[] = [];
    const result = await runBootstrap({ ...request(users), removedUsers: ["reporting"] }, { secrets: secrets.client, log: (line: string) => lines.push(line) });
    expect(result.statements).toEqual([
      'ALTER ROLE "reporting" WITH NOLOGIN', 'REVOKE "shop_readonly" FROM "reporting"',
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'reporting'",
    ]);
    expect(result.removedUsers).toEqual(["reporting"]);
    expect(lines).toContain("removed from the configuration: reporting — login disabled, groups and privileges revoked, sessions ended; the users and what they own are kept until dropped by hand");
    await expect(held.query("SELECT 1")).rejects.toThrow();
    await expect(as("reporting", (c) => c.query("SELECT 1"))).rejects.toThrow(/is not permitted to log in/);
    expect(await runBootstrap({ ...request(users), removedUsers: ["reporting"] }, deps)).toMatchObject({ statements: [], changes: 0, removedUsers: ["reporting"] });
  }, 60_000);

  it("fails, before connecting, when a removed user is still configured or is the master", async () => {
    const users = [user("migrator", "owner"), user("app", "readwrite")];
    await expect(runBootstrap({ ...request(users), removedUsers: ["app"] }, deps)).rejects.toThrow(
      "removedUsers.app: \"app\" — is still a configured user: a removed user is one the configuration no longer lists");
    await expect(runBootstrap({ ...request(users), removedUsers: [server.masterUser] }, deps)).rejects.toThrow(
      `removedUsers.${server.masterUser}: "${server.masterUser}" — user name must differ from the master user`);
  }, 60_000);
});

describe.skipIf(missingMariadb)("MariaDB: users added, and levels changed, after the application created tables", () => {
  let server: ServerInfo;
  let stop: () => Promise<void>;
  let ca: string;
  const secrets = fakeSecrets();
  const deps = { secrets: secrets.client, log: () => undefined };
  const password = (name: string) => JSON.parse(secrets.store.get(arn(name))!).password as string;

  beforeAll(async () => {
    ({ info: server, stop } = await startMariadb());
    ca = readFileSync(server.caFile, "utf8");
    secrets.store.set(MASTER_ARN, JSON.stringify({ username: server.masterUser, password: server.masterPassword }));
  }, 120_000);
  afterAll(async () => {
    await stop?.();
  });

  const request = (users: BootstrapUser[]): BootstrapRequest => ({
    dialect: "mysql", host: server.host, port: server.port, database: "shop", engine: "mysql",
    secretHost: PROXY, secretPort: 3306, users, master: { secretArn: MASTER_ARN },
    tls: { rejectUnauthorized: true, ca, servername: "localhost" }, dryRun: false, waitTimeoutMs: 30_000,
  });
  const as = async <T>(name: string, work: (c: mysql.Connection) => Promise<T>): Promise<T> => {
    const c = await mysql.createConnection({ host: server.host, port: server.port, user: name, password: password(name), database: "shop", ssl: { ca } });
    try {
      return await work(c);
    } finally {
      await c.end();
    }
  };

  it("gives a user added later its level on existing tables; the next run plans nothing", async () => {
    await runBootstrap(request([user("migrator", "owner")]), deps);
    await as("migrator", async (c) => {
      await c.query("CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, item VARCHAR(50))");
      await c.query("CREATE VIEW order_items AS SELECT item FROM orders");
    });
    const users = [user("migrator", "owner"), user("app", "readwrite"), user("reporting", "readonly")];
    await runBootstrap(request(users), deps);
    await as("app", (c) => c.query("INSERT INTO orders (item) VALUES ('book')"));
    await as("reporting", async (c) => {
      expect((await c.query("SELECT item FROM order_items"))[0]).toEqual([{ item: "book" }]);
    });
    expect((await runBootstrap(request(users), deps)).statements).toEqual([]);
  }, 60_000);

  it("takes away what a new level does not include: readwrite -> readonly, owner -> readwrite; the next run plans nothing", async () => {
    const users = [user("migrator", "readwrite"), user("app", "readonly"), user("reporting", "readonly")];
    await runBootstrap(request(users), deps);
    await as("app", async (c) => {
      await expect(c.query("INSERT INTO orders (item) VALUES ('x')")).rejects.toThrow(/INSERT command denied/);
    });
    await as("migrator", async (c) => {
      await c.query("INSERT INTO orders (item) VALUES ('lamp')");
      await expect(c.query("DROP TABLE orders")).rejects.toThrow(/DROP command denied/);
      await expect(c.query("CREATE TABLE more (k INT)")).rejects.toThrow(/CREATE command denied/);
    });
    expect((await runBootstrap(request(users), deps)).statements).toEqual([]);
  }, 60_000);
  it("serializes two overlapping runs: both rotate, the second waits for the first, and every password in a secret logs in", async () => {
    const users = [user("migrator", "readwrite"), user("app", "readonly")];
    const results = await overlappingRotations(request(users), secrets.client);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled"]);
    expect(results[1]!.lines).toContainEqual(expect.stringMatching(/^ {2}another bootstrap run holds the lock on shop; waiting up to \d+ s$/));
    for (const name of ["migrator", "app"]) await as(name, (c) => c.query("SELECT 1"));
  }, 60_000);
  it("locks a removed user and revokes its privileges, keeps it, and plans nothing the next time", async () => {
    const users = [user("migrator", "readwrite")];
    const result = await runBootstrap({ ...request(users), removedUsers: ["app"] }, deps);
    expect(result.statements).toEqual(["ALTER USER 'app'@'%' ACCOUNT LOCK", "REVOKE SELECT, SHOW VIEW ON `shop`.* FROM 'app'@'%'"]);
    expect(result.removedUsers).toEqual(["app"]);
    await expect(as("app", (c) => c.query("SELECT 1"))).rejects.toThrow(/locked/i);
    expect(await runBootstrap({ ...request(users), removedUsers: ["app"] }, deps)).toMatchObject({ statements: [], changes: 0 });
  }, 60_000);
});
