import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { runBootstrap, type BootstrapRequest, type BootstrapUser } from "../../scripts/lib/bootstrap.ts";
import { ScriptError } from "../../scripts/lib/cli.ts";
import { fakeSecrets } from "../support/fake-secrets.ts";
import { preparePostgres, type ServerInfo } from "../support/servers.ts";

const MASTER_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-master-AbCdEf";
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
  const prepared = await preparePostgres();
  await prepared.start();
  server = prepared.info;
  stop = prepared.stop;
  ca = readFileSync(server.caFile, "utf8");
}, 120_000);
afterAll(async () => {
  await stop?.();
});

function request(overrides: Partial<BootstrapRequest> = {}): BootstrapRequest {
  return {
    dialect: "postgresql", host: server.host, port: server.port, database: "shop", engine: "aurora-postgresql",
    secretHost: "shop-test.proxy-abc123.eu-west-1.rds.amazonaws.com", users, master: { secretArn: MASTER_ARN },
    tls: { rejectUnauthorized: true, ca, servername: "localhost" }, rotate: false, dryRun: false, waitTimeoutMs: 30_000, ...overrides,
  };
}
const masterSecret = () => JSON.stringify({ username: server.masterUser, password: server.masterPassword });

async function as(user: string, password: string, database = "shop") {
  const client = new pg.Client({ host: server.host, port: server.port, user, password, database, ssl: { ca, servername: "localhost" } });
  await client.connect();
  return client;
}

/** Everything the bootstrap touches, so two runs can be compared. */
async function catalogSnapshot(): Promise<string> {
  const admin = await as(server.adminUser, server.adminPassword, "shop");
  try {
    const queries = [
      "SELECT rolname, rolcanlogin, rolpassword FROM pg_authid WHERE rolname NOT LIKE 'pg\\_%' ORDER BY 1",
      "SELECT r.rolname, g.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member JOIN pg_roles g ON g.oid = m.roleid ORDER BY 1, 2",
      "SELECT nspname, nspowner::regrole::text, nspacl::text FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' ORDER BY 1",
      "SELECT defaclrole::regrole::text, defaclnamespace::regnamespace::text, defaclobjtype, defaclacl::text FROM pg_default_acl ORDER BY 1, 2, 3",
      "SELECT datname, datacl::text FROM pg_database ORDER BY 1",
      "SELECT setrole::regrole::text, setconfig::text FROM pg_db_role_setting ORDER BY 1",
    ];
    const parts: string[] = [];
    for (const q of queries) parts.push(JSON.stringify((await admin.query(q)).rows));
    return parts.join("\n");
  } finally {
    await admin.end();
  }
}

describe("bootstrap against a real PostgreSQL over TLS", () => {
  const secrets = fakeSecrets();
  const log: string[] = [];
  const deps = { secrets: secrets.client, log: (line: string) => log.push(line) };
  let firstSnapshot = "";

  it("creates everything on the first run and writes each user's secret", async () => {
    secrets.store.set(MASTER_ARN, masterSecret());
    const result = await runBootstrap(request(), deps);
    expect(result.changes).toBeGreaterThan(20);
    expect(result.secretsWritten).toEqual(["migrator", "app", "reporting", "etl"]);
    const app = JSON.parse(secrets.store.get(arn("app"))!);
    expect(app).toEqual({
      username: "app", password: expect.stringMatching(/^[A-Za-z0-9]{40}$/), host: "shop-test.proxy-abc123.eu-west-1.rds.amazonaws.com",
      port: server.port, dbname: "shop", engine: "aurora-postgresql",
    });
    expect(JSON.parse(secrets.store.get(arn("etl"))!).password).toBeUndefined();
    for (const line of log) expect(line).not.toContain(app.password);
    firstSnapshot = await catalogSnapshot();
  }, 60_000);

  it("changes nothing on a second run and says so; the catalog is identical", async () => {
    const puts = secrets.puts();
    const result = await runBootstrap(request(), deps);
    expect(result).toEqual({ statements: [], secretsWritten: [], changes: 0, dryRun: false });
    expect(secrets.puts()).toBe(puts);
    expect(await catalogSnapshot()).toBe(firstSnapshot);
  }, 60_000);

  it("lets the owner create tables in its schema, and the others use them as their level allows", async () => {
    const password = (user: string) => JSON.parse(secrets.store.get(arn(user))!).password as string;
    const migrator = await as("migrator", password("migrator"));
    await migrator.query("CREATE TABLE orders (id serial PRIMARY KEY, item text NOT NULL)");
    expect((await migrator.query("SELECT current_schema() AS s")).rows[0].s).toBe("migrator");
    await migrator.end();

    const app = await as("app", password("app"));
    await app.query("INSERT INTO orders (item) VALUES ('book')");
    await app.query("CREATE TABLE app_cache (k text)");
    expect((await app.query("SELECT schemaname FROM pg_tables WHERE tablename = 'app_cache'")).rows[0].schemaname).toBe("app");
    await expect(app.query("CREATE TABLE public.nope (k text)")).rejects.toThrow(/permission denied for schema public/);
    await expect(app.query("CREATE TABLE migrator.nope (k text)")).rejects.toThrow(/permission denied for schema migrator/);
    await app.end();

    const reporting = await as("reporting", password("reporting"));
    expect((await reporting.query("SELECT count(*)::int AS n FROM orders")).rows[0].n).toBe(1);
    await expect(reporting.query("INSERT INTO orders (item) VALUES ('pen')")).rejects.toThrow(/permission denied for table orders/);
    await reporting.end();
  }, 60_000);

  it("gives direct-IAM users rds_iam and password users never", async () => {
    const admin = await as(server.adminUser, server.adminPassword, "postgres");
    const members = await admin.query("SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE m.roleid = 'rds_iam'::regrole AND r.rolname <> 'master' ORDER BY 1");
    await admin.end();
    expect(members.rows.map((r) => r.rolname)).toEqual(["etl"]);
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

  it("rotates passwords: the new one works, the old one no longer does", async () => {
    const old = JSON.parse(secrets.store.get(arn("app"))!).password as string;
    const result = await runBootstrap(request({ rotate: true }), deps);
    expect(result.secretsWritten).toEqual(["migrator", "app", "reporting"]);
    const fresh = JSON.parse(secrets.store.get(arn("app"))!).password as string;
    expect(fresh).not.toBe(old);
    await (await as("app", fresh)).end();
    await expect(as("app", old)).rejects.toThrow(/password authentication failed/);
  }, 60_000);

  it("creates a user with a hostile password and a unicode name that still log in", async () => {
    const hostile = "it's; DROP ROLE app; -- \\ \"ñ€";
    secrets.store.set(arn("bücher"), JSON.stringify({ username: "bücher", password: hostile }));
    const result = await runBootstrap(request({ users: [...users, { name: "bücher", privileges: "readwrite", login: "password", secretArn: arn("bücher") }] }), deps);
    expect(result.statements.join("\n")).not.toContain("DROP ROLE app");
    const client = await as("bücher", hostile);
    expect((await client.query("SELECT current_user AS u")).rows[0].u).toBe("bücher");
    await client.end();
    await (await as("app", JSON.parse(secrets.store.get(arn("app"))!).password)).end();
  }, 60_000);

  it("refuses a user name that would need creative quoting, before touching the server", async () => {
    const error = await runBootstrap(request({ users: [{ name: 'x"; DROP DATABASE shop; --', privileges: "owner", login: "password", secretArn: arn("x") }] }), deps).catch((e) => e);
    expect((error as Error).message).toMatch(/^invalid bootstrap request: user name "x\\"; DROP DATABASE shop; --" must be/);
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
    expect(log.at(-1)).toBe("  wrote secret of migrator");
  }, 120_000);

  it("gives up with exit code 3 when the wait runs out", async () => {
    const secrets = fakeSecrets({ [MASTER_ARN]: masterSecret() });
    const error = await runBootstrap(request({ port: 1, waitTimeoutMs: 300 }), { secrets: secrets.client, log: () => undefined }).catch((e) => e);
    secrets.mock.restore();
    expect((error as ScriptError).exitCode).toBe(3);
    expect((error as ScriptError).message).toMatch(/did not accept connections within 0 s \(\d+ attempts; last: connect ECONNREFUSED/);
  }, 30_000);
});
