import { readFileSync } from "node:fs";
import { scramSha256Verifier } from "../../../scripts/lib/database/password-hashes.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { runBootstrap, type BootstrapRequest, type BootstrapUser } from "../../../scripts/lib/database/bootstrap.ts";
import { ScriptError } from "../../../scripts/lib/cli.ts";
import { fakeSecrets } from "../../support/fake-secrets.ts";
import { preparePostgres, startPostgres, type ServerInfo } from "../../support/servers.ts";
import { openTunnel } from "../../support/tunnel.ts";

const MASTER_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-master-AbCdEf";
const PROXY = "shop-test.proxy-abc123.eu-west-1.rds.amazonaws.com";
const arn = (user: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/test/database/${user}-AbCdEf`;
const users: BootstrapUser[] = [
  { name: "migrator", privileges: "owner", login: "password", secretArn: arn("migrator") },
  { name: "app", privileges: "readwrite", login: "password", secretArn: arn("app") },
  { name: "reporting", privileges: "readonly", login: "password", secretArn: arn("reporting") },
  { name: "etl", privileges: "readonly", login: "iam", secretArn: arn("etl") },
];

let server: ServerInfo;
let stop: () => Promise<void>;
let ca: string;

beforeAll(async () => {
  ({ info: server, stop } = await startPostgres());
  ca = readFileSync(server.caFile, "utf8");
}, 120_000);
afterAll(async () => {
  await stop?.();
});

function request(overrides: Partial<BootstrapRequest> = {}): BootstrapRequest {
  return {
    dialect: "postgresql", host: server.host, port: server.port, database: "shop", engine: "aurora-postgresql",
    secretHost: PROXY, secretPort: 5432, users, master: { secretArn: MASTER_ARN },
    tls: { rejectUnauthorized: true, ca, servername: "localhost" }, dryRun: false, waitTimeoutMs: 30_000, ...overrides,
  };
}
const masterSecret = () => JSON.stringify({ username: server.masterUser, password: server.masterPassword });

async function as(user: string, password: string, database = "shop") {
  const client = new pg.Client({ host: server.host, port: server.port, user, password, database, ssl: { ca, servername: "localhost" } });
  await client.connect();
  return client;
}

async function admin<T>(sql: string, database = "postgres"): Promise<T[]> {
  const client = await as(server.adminUser, server.adminPassword, database);
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Everything the bootstrap touches, so two runs can be compared. */
async function catalogSnapshot(): Promise<string> {
  const queries = [
    "SELECT rolname, rolcanlogin, rolpassword FROM pg_authid WHERE rolname NOT LIKE 'pg\\_%' ORDER BY 1",
    "SELECT r.rolname, g.rolname, m.admin_option, m.inherit_option, m.set_option FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member JOIN pg_roles g ON g.oid = m.roleid ORDER BY 1, 2, 3, 4, 5",
    "SELECT nspname, nspowner::regrole::text, nspacl::text FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' ORDER BY 1",
    "SELECT defaclrole::regrole::text, defaclnamespace::regnamespace::text, defaclobjtype, defaclacl::text FROM pg_default_acl ORDER BY 1, 2, 3",
    "SELECT datname, datacl::text FROM pg_database ORDER BY 1",
    "SELECT setrole::regrole::text, setconfig::text FROM pg_db_role_setting ORDER BY 1",
  ];
  const parts: string[] = [];
  for (const q of queries) parts.push(JSON.stringify(await admin(q, "shop")));
  return parts.join("\n");
}

describe("bootstrap against a real PostgreSQL over TLS", () => {
  const secrets = fakeSecrets();
  const log: string[] = [];
  const deps = { secrets: secrets.client, log: (line: string) => log.push(line) };
  const password = (user: string) => JSON.parse(secrets.store.get(arn(user))!).password as string;
  let firstSnapshot = "";

  it("creates everything on the first run and writes each user's secret", async () => {
    secrets.store.set(MASTER_ARN, masterSecret());
    const result = await runBootstrap(request(), deps);
    expect(result.changes).toBeGreaterThan(20);
    expect(result.secretsWritten).toEqual(["migrator", "app", "reporting", "etl"]);
    const app = JSON.parse(secrets.store.get(arn("app"))!);
    expect(app).toEqual({
      username: "app", password: expect.stringMatching(/^[A-Za-z0-9]{40}$/), host: PROXY, port: 5432, dbname: "shop", engine: "aurora-postgresql",
    });
    expect(JSON.parse(secrets.store.get(arn("etl"))!).password).toBeUndefined();
    expect(secrets.labels(arn("app"))).toEqual([["AWSCURRENT"]]);
    for (const line of log) expect(line).not.toContain(app.password);
    firstSnapshot = await catalogSnapshot();
  }, 60_000);

  it("changes nothing on a second run and says so; the catalog is identical", async () => {
    const puts = secrets.puts();
    const result = await runBootstrap(request(), deps);
    expect(result).toEqual({ statements: [], secretsWritten: [], changes: 0, dryRun: false, warnings: [] });
    expect(secrets.puts()).toBe(puts);
    expect(await catalogSnapshot()).toBe(firstSnapshot);
  }, 60_000);

  it("lets only the owner create objects, in its own schema; readwrite writes rows, readonly reads them", async () => {
    const migrator = await as("migrator", password("migrator"));
    await migrator.query("CREATE TABLE orders (id serial PRIMARY KEY, item text NOT NULL)");
    expect((await migrator.query("SELECT current_schema() AS s")).rows[0].s).toBe("migrator");
    await migrator.end();

    const app = await as("app", password("app"));
    await app.query("INSERT INTO orders (item) VALUES ('book')");
    await expect(app.query("CREATE TABLE app.cache (k text)")).rejects.toThrow(/schema "app" does not exist/);
    await expect(app.query("CREATE TABLE public.nope (k text)")).rejects.toThrow(/permission denied for schema public/);
    await expect(app.query("CREATE TABLE migrator.nope (k text)")).rejects.toThrow(/permission denied for schema migrator/);
    await app.end();

    const reporting = await as("reporting", password("reporting"));
    expect((await reporting.query("SELECT count(*)::int AS n FROM orders")).rows[0].n).toBe(1);
    await expect(reporting.query("INSERT INTO orders (item) VALUES ('pen')")).rejects.toThrow(/permission denied for table orders/);
    await reporting.end();
  }, 60_000);

  it("fails when a readonly user tries to create or change any object, in any schema or database", async () => {
    const attempts: [string, string][] = [
      ["shop", "CREATE TABLE reporting.t (k int)"],
      ["shop", "CREATE TABLE public.t (k int)"],
      ["shop", "CREATE TABLE migrator.t (k int)"],
      ["shop", "CREATE TEMPORARY TABLE t (k int)"],
      ["shop", "CREATE SCHEMA mine"],
      ["shop", "CREATE VIEW migrator.v AS SELECT 1"],
      ["shop", "CREATE SEQUENCE migrator.s"],
      ["shop", "CREATE FUNCTION migrator.f() RETURNS int LANGUAGE sql AS 'SELECT 1'"],
      ["shop", "CREATE TYPE migrator.mood AS ENUM ('ok')"],
      ["shop", "CREATE INDEX ON migrator.orders (item)"],
      ["shop", "ALTER TABLE migrator.orders ADD COLUMN x int"],
      ["shop", "COMMENT ON TABLE migrator.orders IS 'mine'"],
      ["shop", "DROP TABLE migrator.orders"],
      ["shop", "TRUNCATE migrator.orders"],
      ["shop", "UPDATE migrator.orders SET item = 'x'"],
      ["shop", "DELETE FROM migrator.orders"],
      ["shop", "SELECT nextval('migrator.orders_id_seq')"],
      ["shop", "ALTER SCHEMA migrator RENAME TO mine"],
      ["postgres", "CREATE TABLE public.t (k int)"],
      ["postgres", "CREATE SCHEMA mine"],
    ];
    const refused: string[] = [];
    for (const [database, sql] of attempts) {
      const reporting = await as("reporting", password("reporting"), database);
      try {
        await reporting.query(sql);
      } catch (error) {
        refused.push(`${database}: ${sql}: ${(error as pg.DatabaseError).code}`);
      } finally {
        await reporting.end();
      }
    }
    expect(refused).toEqual(attempts.map(([database, sql]) => `${database}: ${sql}: ${sql.startsWith("CREATE TABLE reporting.") ? "3F000" : "42501"}`));
  }, 60_000);

  it("gives direct-IAM users rds_iam and password users never", async () => {
    const members = await admin<{ rolname: string }>("SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE m.roleid = 'rds_iam'::regrole AND r.rolname <> 'master' ORDER BY 1");
    expect(members.map((r) => r.rolname)).toEqual(["etl"]);
  });

  it("prints only redacted SQL on a dry run and changes nothing", async () => {
    const before = await catalogSnapshot();
    const puts = secrets.puts();
    const result = await runBootstrap(request({ rotate: true, dryRun: true }), deps);
    expect(result.dryRun).toBe(true);
    expect(result.statements).toEqual([
      "ALTER ROLE \"migrator\" WITH LOGIN PASSWORD '********'", "ALTER ROLE \"app\" WITH LOGIN PASSWORD '********'",
      "ALTER ROLE \"reporting\" WITH LOGIN PASSWORD '********'",
    ]);
    expect(result.secretsWritten).toEqual(["migrator", "app", "reporting"]);
    expect(await catalogSnapshot()).toBe(before);
    expect(secrets.puts()).toBe(puts);
  }, 60_000);

  it("rotates passwords: the new one works, the old one is AWSPREVIOUS and no longer logs in", async () => {
    const old = password("app");
    const result = await runBootstrap(request({ rotate: true }), deps);
    expect(result.secretsWritten).toEqual(["migrator", "app", "reporting"]);
    const fresh = password("app");
    expect(fresh).not.toBe(old);
    expect(JSON.parse(secrets.stage(arn("app"), "AWSPREVIOUS")!).password).toBe(old);
    expect(secrets.stage(arn("app"), "AWSPENDING")).toBeUndefined();
    await (await as("app", fresh)).end();
    await expect(as("app", old)).rejects.toThrow(/password authentication failed/);
  }, 60_000);

  it("rotates only the users named in rotateUsers", async () => {
    const before = { migrator: password("migrator"), app: password("app"), reporting: password("reporting") };
    const result = await runBootstrap(request({ rotateUsers: ["reporting"] }), deps);
    expect(result.statements).toEqual(["ALTER ROLE \"reporting\" WITH LOGIN PASSWORD '********'"]);
    expect({ migrator: password("migrator"), app: password("app") }).toEqual({ migrator: before.migrator, app: before.app });
    expect(password("reporting")).not.toBe(before.reporting);
    await (await as("reporting", password("reporting"))).end();
  }, 60_000);

  it("creates a user with a hostile password and a unicode name that still log in", async () => {
    const hostile = "it's; DROP ROLE app; -- \\ \"ñ€\t\u0007";
    secrets.store.set(arn("bücher"), JSON.stringify({ username: "bücher", password: hostile }));
    const result = await runBootstrap(request({ users: [...users, { name: "bücher", privileges: "readwrite", login: "password", secretArn: arn("bücher") }] }), deps);
    expect(result.statements.join("\n")).not.toContain("DROP ROLE app");
    const client = await as("bücher", hostile);
    expect((await client.query("SELECT current_user AS u")).rows[0].u).toBe("bücher");
    await client.end();
    await (await as("app", password("app"))).end();
  }, 60_000);

  it("replaces a stored password that drivers would send differently, and says so", async () => {
    // "e" + combining acute and a control character: PostgreSQL's SASLprep refuses the control character and
    // keeps the raw password, node-postgres normalises the accent anyway: the two never agree.
    const unusable = "Cafe\u0301-\u0007-password-0123456789";
    secrets.store.set(arn("kiosk"), JSON.stringify({ username: "kiosk", password: unusable }));
    const kiosk: BootstrapUser = { name: "kiosk", privileges: "readonly", login: "password", secretArn: arn("kiosk") };
    const result = await runBootstrap(request({ users: [...users, kiosk] }), deps);
    await (await as("kiosk", password("kiosk"))).end();
    expect(password("kiosk")).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(result.warnings).toEqual([expect.stringMatching(/^kiosk: replacing the stored password: SASLprep normalisation changes it/)]);
  }, 60_000);

  it("fails, before touching the server, when a user name would need creative quoting", async () => {
    const lines: string[] = [];
    const error = await runBootstrap(request({ users: [{ name: 'x"; DROP DATABASE shop; --', privileges: "owner", login: "password", secretArn: arn("x") }] }),
      { secrets: secrets.client, log: (line) => lines.push(line) }).catch((e) => e);
    expect(error).toBeInstanceOf(ScriptError);
    expect((error as ScriptError).exitCode).toBe(2);
    expect((error as ScriptError).message).toBe([
      "invalid bootstrap request: 1 problem",
      '  - users.x"; DROP DATABASE shop; --: "x\\"; DROP DATABASE shop; --" — user name must be lowercase letters, digits or underscores, starting with a letter or underscore',
    ].join("\n"));
    expect(lines).toEqual([]);
  }, 60_000);

  it("fails clearly, with exit code 4 and no secret in the message, on a wrong master password", async () => {
    const wrong = "Wr0ng-master-password-123";
    const local = fakeSecrets({ [MASTER_ARN]: JSON.stringify({ username: server.masterUser, password: wrong }) });
    const error = await runBootstrap(request(), { secrets: local.client, log: () => undefined }).catch((e) => e);
    local.mock.restore();
    expect(error).toBeInstanceOf(ScriptError);
    expect((error as ScriptError).exitCode).toBe(4);
    expect((error as ScriptError).message).toContain(`the database refused the master user ${server.masterUser}`);
    expect((error as ScriptError).message).not.toContain(wrong);
  }, 60_000);

  it("fails with exit code 3 when the server's certificate does not verify", async () => {
    const error = await runBootstrap(request({ tls: { rejectUnauthorized: true, servername: "localhost" } }), deps).catch((e) => e);
    expect((error as ScriptError).exitCode).toBe(3);
    expect((error as ScriptError).message).toMatch(/cannot open a TLS connection to localhost:\d+: unable to verify the first certificate/);
  }, 60_000);

  it("is refused by the server without TLS", async () => {
    const plain = new pg.Client({ host: server.host, port: server.port, user: server.masterUser, password: server.masterPassword, database: "postgres", ssl: false });
    await expect(plain.connect()).rejects.toThrow(/no pg_hba.conf entry .* no encryption/);
  });
});

describe("names PostgreSQL would truncate", () => {
  const secrets = fakeSecrets();
  beforeAll(() => secrets.store.set(MASTER_ARN, masterSecret()));

  const refusedBeforeConnecting = async (overrides: Partial<BootstrapRequest>) => {
    const roles = await admin("SELECT rolname FROM pg_roles ORDER BY 1");
    const lines: string[] = [];
    const error = await runBootstrap(request(overrides), { secrets: secrets.client, log: (line) => lines.push(line) }).catch((e) => e);
    expect(await admin("SELECT rolname FROM pg_roles ORDER BY 1")).toEqual(roles);
    expect(lines).toEqual([]);
    expect((error as ScriptError).exitCode).toBe(2);
    return (error as ScriptError).message.split("\n").slice(1);
  };

  it("fails, before connecting, for a user name of 32 characters and 64 bytes", async () => {
    const name = "ü".repeat(32);
    expect(await refusedBeforeConnecting({ database: "long_names", users: [{ name, privileges: "readwrite", login: "password", secretArn: arn("long") }] })).toEqual([
      `  - users.${name}: "${name}" — user name must be at most 63 bytes in UTF-8, not 64: PostgreSQL would truncate or refuse it`,
    ]);
  }, 60_000);

  it("fails, before connecting, for a database name whose derived group role would be truncated", async () => {
    const database = "d".repeat(54);
    expect(await refusedBeforeConnecting({ database, users: [{ name: "short", privileges: "readwrite", login: "password", secretArn: arn("short") }] })).toEqual([
      `  - database: "${database}" — database name must be at most 53 bytes in UTF-8, not 54: the group role "${database}_readwrite" derived from it would be 64 bytes, and PostgreSQL keeps 63`,
    ]);
  }, 60_000);

  it("accepts a name of exactly 63 bytes, and creates it whole", async () => {
    const name = `${"ü".repeat(31)}x`;
    await runBootstrap(request({ database: "long_names", users: [{ name, privileges: "owner", login: "password", secretArn: arn("exact") }] }), { secrets: secrets.client, log: () => undefined });
    expect(await admin("SELECT rolname FROM pg_roles WHERE rolname LIKE 'ü%'")).toEqual([{ rolname: name }]);
  }, 60_000);
});

describe("secrets hold what clients use", () => {
  it("stores the stack's endpoint and port when the run goes through a tunnel", async () => {
    const tunnel = await openTunnel(server.port);
    const secrets = fakeSecrets({ [MASTER_ARN]: masterSecret() });
    try {
      const user: BootstrapUser = { name: "tunnelled", privileges: "readwrite", login: "password", secretArn: arn("tunnelled") };
      await runBootstrap(request({ host: "127.0.0.1", port: tunnel.port, database: "viatunnel", users: [user] }), { secrets: secrets.client, log: () => undefined });
      expect(JSON.parse(secrets.store.get(arn("tunnelled"))!)).toMatchObject({ host: PROXY, port: 5432, dbname: "viatunnel" });
    } finally {
      secrets.mock.restore();
      await tunnel.close();
    }
  }, 60_000);
});

describe("roles the master cannot act as yet (PostgreSQL 16 role membership)", () => {
  const secrets = fakeSecrets();
  const deps = { secrets: secrets.client, log: () => undefined };
  const master = async () => {
    const client = await as(server.masterUser, server.masterPassword, "postgres");
    return { run: (sql: string) => client.query(sql), end: () => client.end() };
  };
  beforeAll(() => secrets.store.set(MASTER_ARN, masterSecret()));

  it("converges after a run stopped between creating a login role and granting it to the master", async () => {
    // The state such a run leaves: the role exists, and the master holds only the ADMIN membership PostgreSQL 16 gives its creator.
    const session = await master();
    await session.run("CREATE ROLE half LOGIN");
    await session.end();
    const half: BootstrapUser = { name: "half", privileges: "owner", login: "password", secretArn: arn("half") };
    await runBootstrap(request({ database: "halfway", users: [half] }), deps);
    const schemas = await admin<{ owner: string }>("SELECT nspowner::regrole::text AS owner FROM pg_namespace WHERE nspname = 'half'", "halfway");
    expect(schemas).toEqual([{ owner: "half" }]);
    expect((await runBootstrap(request({ database: "halfway", users: [half] }), deps)).changes).toBe(0);
  }, 60_000);

  it("takes over a role created before the first bootstrap once the master may administer it", async () => {
    await admin("CREATE ROLE legacy LOGIN");
    await admin(`GRANT legacy TO ${server.masterUser} WITH ADMIN OPTION, INHERIT FALSE, SET FALSE`);
    const legacy: BootstrapUser = { name: "legacy", privileges: "owner", login: "password", secretArn: arn("legacy") };
    await runBootstrap(request({ database: "legacydb", users: [legacy] }), deps);
    await (await as("legacy", JSON.parse(secrets.store.get(arn("legacy"))!).password, "legacydb")).end();
    expect((await runBootstrap(request({ database: "legacydb", users: [legacy] }), deps)).changes).toBe(0);
  }, 60_000);

  it("fails before any statement, naming the role and the fix, when the master cannot administer an existing role", async () => {
    await admin("CREATE ROLE foreign_owner LOGIN");
    const before = await admin("SELECT datname FROM pg_database ORDER BY 1");
    const user: BootstrapUser = { name: "foreign_owner", privileges: "owner", login: "password", secretArn: arn("foreign_owner") };
    const error = await runBootstrap(request({ database: "foreigndb", users: [user] }), deps).catch((e) => e);
    expect((error as ScriptError).exitCode).toBe(6);
    expect((error as ScriptError).message).toBe(
      `cannot bootstrap, nothing was changed: role "foreign_owner" exists but ${server.masterUser} cannot administer it, so its login and password cannot be set: `
      + `as its creator or a superuser, GRANT "foreign_owner" TO "${server.masterUser}" WITH ADMIN OPTION, then rerun`);
    expect(await admin("SELECT datname FROM pg_database ORDER BY 1")).toEqual(before);
    expect(secrets.store.get(arn("foreign_owner"))).toBeUndefined();
  }, 60_000);
});

describe("what reaches the server's log", () => {
  const secrets = fakeSecrets();
  const deps = { secrets: secrets.client, log: () => undefined };
  const lockedOut: BootstrapUser = { name: "locked_out", privileges: "readwrite", login: "password", secretArn: arn("locked_out") };
  beforeAll(() => secrets.store.set(MASTER_ARN, masterSecret()));

  it("computes the SCRAM-SHA-256 verifier PostgreSQL itself would store", async () => {
    await admin("CREATE ROLE scram_probe PASSWORD 'it''s a \\ pässword'");
    const [{ rolpassword }] = await admin<{ rolpassword: string }>("SELECT rolpassword FROM pg_authid WHERE rolname = 'scram_probe'");
    const [, iterations, salt] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(rolpassword)!;
    expect(scramSha256Verifier("it's a \\ pässword", Buffer.from(salt!, "base64"), Number(iterations))).toBe(rolpassword);
  });

  it("holds no password, even from statements that fail while creating or rotating users", async () => {
    await runBootstrap(request({ database: "logged", users }), deps);
    // Without CREATEROLE the master's CREATE ROLE and ALTER ROLE fail, and PostgreSQL logs each with its text.
    await admin(`ALTER ROLE ${server.masterUser} NOCREATEROLE`);
    const created = await runBootstrap(request({ database: "logged", users: [...users, lockedOut] }), deps).catch((e) => e);
    const rotated = await runBootstrap(request({ database: "logged", users, rotateUsers: ["app"] }), deps).catch((e) => e);
    await admin(`ALTER ROLE ${server.masterUser} CREATEROLE`);

    const log = readFileSync(server.logFiles[0]!, "utf8");
    const passwords = [...users, lockedOut].flatMap((u) => ["AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"].map((stage) => secrets.stage(u.secretArn, stage)))
      .filter((value): value is string => value !== undefined).map((value) => JSON.parse(value).password as string).filter(Boolean);
    expect(passwords.length).toBeGreaterThanOrEqual(3);
    for (const password of passwords) expect(log).not.toContain(password);
    expect([(created as ScriptError).exitCode, (rotated as ScriptError).exitCode]).toEqual([6, 6]);
    expect(log).toMatch(/ERROR: {2}permission denied to create role[\s\S]*?STATEMENT: {2}CREATE ROLE "locked_out" LOGIN PASSWORD 'SCRAM-SHA-256\$4096:/);
    expect(log).toMatch(/ERROR: {2}permission denied to alter role[\s\S]*?STATEMENT: {2}ALTER ROLE "app" WITH LOGIN PASSWORD 'SCRAM-SHA-256\$4096:/);
  }, 60_000);
});

describe("waiting for the database", () => {
  it("keeps trying with backoff until a server that starts later accepts, printing each attempt", async () => {
    const late = await preparePostgres();
    const secrets = fakeSecrets({ [MASTER_ARN]: JSON.stringify({ username: late.info.masterUser, password: late.info.masterPassword }) });
    const log: string[] = [];
    const lateCa = readFileSync(late.info.caFile, "utf8");
    const running = runBootstrap(
      request({ port: late.info.port, tls: { rejectUnauthorized: true, ca: lateCa, servername: "localhost" }, waitTimeoutMs: 60_000, users: users.slice(0, 1) }),
      { secrets: secrets.client, log: (line) => log.push(line) },
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(log.some((line) => /attempt 1: .*ECONNREFUSED|attempt 1: connect/.test(line))).toBe(true);
    await late.start();
    const result = await running;
    secrets.mock.restore();
    await late.stop();
    expect(result.changes).toBeGreaterThan(0);
    expect(log.at(-1)).toBe("  making the new password of migrator current");
  }, 120_000);

  it("gives up with exit code 3 when the wait runs out", async () => {
    const secrets = fakeSecrets({ [MASTER_ARN]: masterSecret() });
    const error = await runBootstrap(request({ port: 1, waitTimeoutMs: 300 }), { secrets: secrets.client, log: () => undefined }).catch((e) => e);
    secrets.mock.restore();
    expect((error as ScriptError).exitCode).toBe(3);
    expect((error as ScriptError).message).toMatch(/did not accept connections within 0 s \(\d+ attempts; last: connect ECONNREFUSED/);
  }, 30_000);
});
