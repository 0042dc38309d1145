/**
 * The setup function's core as Terraform drives it — `aws_lambda_invocation` CRUD events (create, update
 * with prev_input, delete) and a Lambda context — against a real PostgreSQL and a real MariaDB over TLS.
 * The "proxy" is the same server under another name (127.0.0.1 instead of localhost): the function must
 * reach the writer by its name, the proxy by the proxy's, and store the proxy's in every secret.
 */
import { randomUUID } from "node:crypto";
import { lookup } from "node:dns/promises";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { createServer, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import mysql from "mysql2/promise";
import pg from "pg";
import { mockClient } from "aws-sdk-client-mock";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { invokeSetup, setupInvocation } from "../../../scripts/lib/deploy/invoke-setup.ts";
import {
  DELETE_SUMMARY, proxyRetryable, runSetup, selectOneThrough, setupDeadline, SetupError, TIME_MARGIN_MS, type LambdaContext, type ProxyCheckTarget, type SetupDeps,
} from "../../../scripts/lib/setup/run-setup.ts";
import type { SetupInput } from "../../../scripts/lib/setup/event.ts";
import { tlsSettings, type CaSet, type NodeTlsSettings } from "../../../scripts/lib/connection/tls.ts";
import { fakeSecrets } from "../../support/fake-secrets.ts";
import { freePort, mariadbAvailable, preparePostgres, startMariadb, type ServerInfo } from "../../support/servers.ts";

const MASTER_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-master-AbCdEf";
const WRITER_NAME = "shop-test.cluster-abc123.eu-west-1.rds.amazonaws.com";
const arn = (user: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/test/database/${user}-AbCdEf`;
/** The writer is reached as localhost, the "proxy" as 127.0.0.1: one server, two names, as in the cloud. */
const WRITER = "localhost";
const PROXY = "127.0.0.1";

function lambdaContext(remainingMs = 300_000): LambdaContext {
  const end = Date.now() + remainingMs;
  return { functionName: "shop-test-setup", awsRequestId: randomUUID(), getRemainingTimeInMillis: () => end - Date.now() };
}

/** A clock that moves only when the code under test sleeps, and a context that runs out on it. */
function fakeClock(remainingMs: number) {
  let t = Date.now();
  const start = t;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
    context: { functionName: "shop-test-setup", awsRequestId: randomUUID(), getRemainingTimeInMillis: () => remainingMs - (t - start) } satisfies LambdaContext,
  };
}

/** The shared verify-full settings with the test CA instead of the AWS CAs; records what asked for which CA set. */
function testTls(caFile: string, seen: [string, CaSet][] = []) {
  return (host: string, caSet: CaSet): NodeTlsSettings => {
    seen.push([host, caSet]);
    return tlsSettings(host, { mode: "verify-full", caSet, caFile });
  };
}

/** Another name of this machine for 127.0.0.1, which the test certificate does not name (it names localhost and 127.0.0.1). */
async function unnamedAlias(what: string): Promise<string | undefined> {
  const other = hostname().toLowerCase();
  const address = await lookup(other, { family: 4 }).then((a) => a.address, () => undefined);
  if (address === "127.0.0.1" && other !== "localhost" && /^[a-z0-9.-]+$/.test(other)) return other;
  console.warn(`\n!!! SKIPPED: ${what} — no second name for 127.0.0.1 on this machine (${other} -> ${address ?? "nothing"})\n`);
  return undefined;
}

const connRefused = () => Object.assign(new Error("connect ECONNREFUSED 10.0.3.17:5432"), { code: "ECONNREFUSED" });

describe("setup function against a real PostgreSQL over TLS", () => {
  let server: ServerInfo;
  let start: () => Promise<void>;
  let stop: () => Promise<void>;
  let ca: string;
  const secrets = fakeSecrets();
  const log: string[] = [];
  const tlsSeen: [string, CaSet][] = [];
  const checked: ProxyCheckTarget[] = [];
  const deps = (overrides: Partial<SetupDeps> = {}): SetupDeps => ({
    secrets: secrets.client, log: (line) => log.push(line), tls: testTls(server.caFile, tlsSeen),
    proxyCheck: async (target) => {
      checked.push(target);
      await selectOneThrough(target);
    },
    ...overrides,
  });
  /** A Lambda client whose Invoke runs the setup core here, as the deployed function would. */
  const functionOnTheWire = () => {
    const lambda = new LambdaClient({ region: "eu-west-1" });
    mockClient(lambda).on(InvokeCommand).callsFake(async ({ Payload }: { Payload: Uint8Array }) => {
      const summary = await runSetup(JSON.parse(new TextDecoder().decode(Payload)), lambdaContext(), deps());
      return { StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(summary)) };
    });
    return lambda;
  };
  let input: SetupInput;
  let withAudit: SetupInput;
  const current = (user: string) => JSON.parse(secrets.store.get(arn(user))!) as Record<string, unknown>;
  const logIn = async (user: string, password: string, database = "shop") => {
    const client = new pg.Client({ host: server.host, port: server.port, user, password, database, ssl: { ca, servername: "localhost" } });
    await client.connect();
    await client.end();
  };
  const admin = async <T>(sql: string, database = "shop"): Promise<T[]> => {
    const client = new pg.Client({ host: server.host, port: server.port, user: server.adminUser, password: server.adminPassword, database, ssl: { ca, servername: "localhost" } });
    await client.connect();
    try {
      return (await client.query(sql)).rows as T[];
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    // Prepared, not started: the first test starts it while the function is already waiting.
    const prepared = await preparePostgres();
    server = prepared.info;
    start = prepared.start;
    stop = prepared.stop;
    ca = readFileSync(server.caFile, "utf8");
    secrets.store.set(MASTER_ARN, JSON.stringify({ username: server.masterUser, password: server.masterPassword }));
    input = {
      dialect: "postgresql", host: WRITER, port: server.port, database: "shop", engine: "aurora-postgresql", proxyHost: PROXY,
      masterSecretArn: MASTER_ARN, proxyMasterAuth: "password", waitSeconds: 120,
      users: [
        { name: "migrator", privileges: "owner", login: "password", secretArn: arn("migrator") },
        { name: "app", privileges: "readwrite", login: "password", secretArn: arn("app") },
        { name: "reporting", privileges: "readonly", login: "password", secretArn: arn("reporting") },
        { name: "etl", privileges: "readonly", login: "iam", secretArn: arn("etl"), secretHost: WRITER_NAME },
      ],
    };
    withAudit = { ...input, users: [...input.users, { name: "audit", privileges: "readonly", login: "password", secretArn: arn("audit") }] };
  }, 120_000);
  afterAll(async () => {
    await stop?.();
  });

  it("create: waits for a server that starts late, then sets up the database and users and checks SELECT 1 through the proxy", async () => {
    const running = runSetup({ ...input, tf: { action: "create", prev_input: null } }, lambdaContext(), deps());
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(log.some((line) => /^ {2}attempt 1: .*ECONNREFUSED/.test(line))).toBe(true);
    await start();
    const summary = await running;
    expect(summary).toEqual({
      action: "apply", changes: expect.any(Number), statements: expect.any(Array), secretsWritten: ["migrator", "app", "reporting", "etl"], warnings: [], proxyCheck: "ok",
    });
    expect(summary.changes).toBeGreaterThan(20);
    // The writer verified against the RDS CA set by its own name; the proxy against the proxy CA set by the proxy's.
    expect(tlsSeen).toEqual([[WRITER, "rds"], [PROXY, "proxy"]]);
    expect(checked.map(({ host, port, user, database, iam }) => ({ host, port, user, database, iam }))).toEqual([
      { host: PROXY, port: server.port, user: "master", database: "shop", iam: false },
    ]);
    expect(log[0]).toBe(`event: create: postgresql database shop, 4 user(s), writer ${WRITER}:${server.port}, proxy ${PROXY}`);
    expect(log.at(-1)).toBe("proxy check: ok after 1 attempt(s)");
  }, 120_000);

  it("stores the proxy endpoint (or a direct-IAM user's own host) and the database port in every secret", () => {
    for (const user of ["migrator", "app", "reporting"]) {
      expect(current(user)).toEqual({
        username: user, password: expect.stringMatching(/^[A-Za-z0-9]{40}$/), host: PROXY, port: server.port, dbname: "shop", engine: "aurora-postgresql",
      });
    }
    expect(current("etl")).toEqual({ username: "etl", host: WRITER_NAME, port: server.port, dbname: "shop", engine: "aurora-postgresql" });
    for (const line of log) for (const user of ["migrator", "app", "reporting"]) expect(line).not.toContain(current(user).password);
  });

  it("leaves a database, group roles and login users that log in with their secrets' passwords", async () => {
    expect(await admin<{ datname: string }>("SELECT datname FROM pg_database WHERE datname = 'shop'", "postgres")).toEqual([{ datname: "shop" }]);
    const roles = (await admin<{ rolname: string; rolcanlogin: boolean }>("SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname IN ('migrator', 'app', 'reporting', 'etl') ORDER BY 1"));
    expect(roles).toEqual([
      { rolname: "app", rolcanlogin: true }, { rolname: "etl", rolcanlogin: true }, { rolname: "migrator", rolcanlogin: true }, { rolname: "reporting", rolcanlogin: true },
    ]);
    expect((await admin<{ n: number }>("SELECT count(*)::int AS n FROM pg_roles WHERE NOT rolcanlogin AND rolname LIKE 'shop%'"))[0]!.n).toBeGreaterThan(0);
    for (const user of ["migrator", "app", "reporting"]) await logIn(user, current(user).password as string);
    const members = await admin<{ rolname: string }>("SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE m.roleid = 'rds_iam'::regrole AND r.rolname <> 'master'");
    expect(members).toEqual([{ rolname: "etl" }]);
  }, 60_000);

  it("update with the same input changes nothing and writes no secret", async () => {
    const puts = secrets.puts();
    const summary = await runSetup({ ...input, tf: { action: "update", prev_input: input } }, lambdaContext(), deps());
    expect(summary).toEqual({ action: "apply", changes: 0, statements: [], secretsWritten: [], warnings: [], proxyCheck: "ok" });
    expect(secrets.puts()).toBe(puts);
  }, 60_000);

  it("update that adds a user creates only that user and writes only its secret", async () => {
    const summary = await runSetup({ ...withAudit, tf: { action: "update", prev_input: input } }, lambdaContext(), deps());
    expect(summary.action).toBe("apply");
    if (summary.action === "delete") return;
    expect(summary.secretsWritten).toEqual(["audit"]);
    expect(summary.statements.every((s) => s.includes('"audit"'))).toBe(true);
    expect(summary.statements.some((s) => s.includes("'********'"))).toBe(true);
    await logIn("audit", current("audit").password as string);
  }, 60_000);

  it("update that removes a user disables it, reports it, and keeps it; adding it back lets it in again", async () => {
    const lines: string[] = [];
    const summary = await runSetup({ ...input, tf: { action: "update", prev_input: withAudit } }, lambdaContext(), deps({ log: (line) => lines.push(line) }));
    expect(summary).toMatchObject({ action: "apply", removedUsers: ["audit"], statements: ['ALTER ROLE "audit" WITH NOLOGIN', 'REVOKE "shop_readonly" FROM "audit"'] });
    expect(lines.some((line) => line.startsWith("removed from the configuration: audit — login disabled"))).toBe(true);
    await expect(logIn("audit", current("audit").password as string)).rejects.toThrow(/is not permitted to log in/);
    await runSetup({ ...withAudit, tf: { action: "update", prev_input: input } }, lambdaContext(), deps());
    await logIn("audit", current("audit").password as string);
  }, 60_000);

  it("rotate: the setup event's rotate field (which the function still accepts) gives one user a new password; the old one is refused, the others keep theirs", async () => {
    const old = current("app").password as string;
    const others = { migrator: current("migrator").password, audit: current("audit").password };
    // npm run setup's core builds the invocation from the stack outputs; rotate is added by hand (npm run rotate uses Secrets Manager's rotation now).
    const invocation = { ...setupInvocation({ setup_function_name: "shop-test-setup", setup_input: withAudit }), payload: { ...withAudit, rotate: { users: ["app"] } } };
    const summary = await invokeSetup(functionOnTheWire(), invocation);
    expect(summary).toEqual({
      action: "rotate", changes: 2, statements: ["ALTER ROLE \"app\" WITH LOGIN PASSWORD '********'"], secretsWritten: ["app"], warnings: [], proxyCheck: "ok",
    });
    const fresh = current("app").password as string;
    expect(fresh).not.toBe(old);
    expect(JSON.parse(secrets.stage(arn("app"), "AWSPREVIOUS")!).password).toBe(old);
    await logIn("app", fresh);
    await expect(logIn("app", old)).rejects.toThrow(/password authentication failed/);
    expect({ migrator: current("migrator").password, audit: current("audit").password }).toEqual(others);
  }, 60_000);

  it("apply: npm run setup's payload (the stack's input, no tf) finishes an update whose invocation failed but whose input the state kept", async () => {
    // terraform-plugin-sdk#476: the state holds the input with billing, the database and secrets do not.
    const kept = { ...withAudit, users: [...withAudit.users, { name: "billing", privileges: "readwrite", login: "password", secretArn: arn("billing") }] } satisfies SetupInput;
    const invocation = setupInvocation({ setup_function_name: "shop-test-setup", setup_input: { ...kept, tf: { action: "update", prev_input: withAudit } } });
    expect(invocation.payload).toEqual(kept);
    const summary = await invokeSetup(functionOnTheWire(), invocation);
    expect(summary).toMatchObject({ action: "apply", secretsWritten: ["billing"], warnings: [], proxyCheck: "ok" });
    await logIn("billing", current("billing").password as string);
    expect(await invokeSetup(functionOnTheWire(), invocation)).toMatchObject({ action: "apply", changes: 0, secretsWritten: [] });
  }, 60_000);

  it("delete connects nowhere and calls no AWS API", async () => {
    const untouched = fakeSecrets();
    const seen: [string, CaSet][] = [];
    let tokens = 0;
    let checks = 0;
    const summary = await runSetup({ ...withAudit, tf: { action: "delete", prev_input: withAudit } }, lambdaContext(), {
      secrets: untouched.client, log: () => undefined, tls: testTls(server.caFile, seen),
      token: async () => String(++tokens), proxyCheck: async () => void ++checks,
    });
    expect(summary).toEqual(DELETE_SUMMARY);
    expect(summary).toEqual({ action: "delete", changes: 0, note: "the database and its users go with the environment; nothing to undo" });
    expect([untouched.mock.calls().length, seen.length, tokens, checks]).toEqual([0, 0, 0, 0]);
  });

  it("signs an IAM token for the proxy host, the database port, the master user and the function's region, and logs in with it", async () => {
    const calls: unknown[][] = [];
    const lines: string[] = [];
    // The test server knows no IAM: the "token" it accepts is the master's password, so the check proves it was used.
    const token = async (...args: unknown[]) => {
      calls.push(args);
      return server.masterPassword;
    };
    const iam = { ...withAudit, proxyMasterAuth: "iam" as const, tf: { action: "update", prev_input: withAudit } };
    expect(await runSetup(iam, lambdaContext(), deps({ token, region: "eu-central-1", log: (l) => lines.push(l) }))).toMatchObject({ changes: 0, proxyCheck: "ok" });
    expect(await runSetup(iam, lambdaContext(), deps({ token, log: (l) => lines.push(l) }))).toMatchObject({ proxyCheck: "ok" });
    expect(calls).toEqual([[PROXY, server.port, "master", "eu-central-1"], [PROXY, server.port, "master", "eu-west-1"]]);
    expect(checked.at(-1)).toMatchObject({ host: PROXY, iam: true });
    // The check's budget is what is left of its 120 s when it starts: a loaded machine may have used a second.
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^proxy check: SELECT 1 through ${PROXY.replaceAll(".", "\\.")}:${server.port} as master \\(IAM token\\), up to 1(1[0-9]|20) s$`)));
    for (const line of lines) expect(line).not.toContain(server.masterPassword);
  }, 60_000);

  it("the proxy check waits with backoff for a proxy whose target is still registering", async () => {
    const clock = fakeClock(300_000);
    let failures = 2;
    const lines: string[] = [];
    const summary = await runSetup({ ...withAudit, tf: { action: "update", prev_input: withAudit } }, clock.context, deps({
      now: clock.now, sleep: clock.sleep, log: (l) => lines.push(l),
      proxyCheck: async (target) => {
        if (failures-- > 0) throw connRefused();
        await selectOneThrough(target);
      },
    }));
    expect(summary).toMatchObject({ proxyCheck: "ok" });
    expect(clock.sleeps).toEqual([500, 1000]);
    expect(lines.filter((l) => l.startsWith("  proxy check attempt"))).toEqual([
      "  proxy check attempt 1: connect ECONNREFUSED 10.0.3.17:5432; retrying in 0.5 s",
      "  proxy check attempt 2: connect ECONNREFUSED 10.0.3.17:5432; retrying in 1.0 s",
    ]);
    expect(lines.at(-1)).toBe("proxy check: ok after 3 attempt(s)");
  }, 60_000);

  it("fails at the proxy check when the budget runs out: never past the invocation's remaining time minus the margin", async () => {
    // 45 s left in the invocation, waitSeconds 120: the budget is 45 - 20 = 25 s from the start.
    const clock = fakeClock(45_000);
    const timeouts: number[] = [];
    const error = await runSetup({ ...withAudit, tf: { action: "update", prev_input: withAudit } }, clock.context, deps({
      now: clock.now, sleep: clock.sleep,
      proxyCheck: async (target) => {
        timeouts.push(target.connectTimeoutMs);
        throw connRefused();
      },
    })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SetupError);
    expect((error as SetupError).step).toBe("proxy check");
    expect((error as Error).message).toBe(
      `setup failed at proxy check: SELECT 1 through the proxy ${PROXY}:${server.port} as master did not succeed within 25 s (7 attempt(s); last: connect ECONNREFUSED 10.0.3.17:5432); ` +
      "the database and the users' secrets are set up; fix the path and run npm run setup -- <env> to check again",
    );
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(25_000);
    expect(Math.max(...timeouts)).toBeLessThanOrEqual(10_000);
    expect(clock.context.getRemainingTimeInMillis()).toBe(TIME_MARGIN_MS);
  }, 60_000);

  it("refuses a proxy whose certificate does not name it, at once, without retrying", async () => {
    const other = await unnamedAlias("host-name verification through the proxy (PostgreSQL)");
    if (!other) return;
    const attempts: string[] = [];
    const error = await runSetup({ ...withAudit, proxyHost: other, tf: { action: "update", prev_input: withAudit } }, lambdaContext(), deps({
      proxyCheck: async (target) => {
        attempts.push(target.host);
        await selectOneThrough(target);
      },
    })).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(new RegExp(`^setup failed at proxy check: SELECT 1 through the proxy ${other}:${server.port} as master failed: .*(altnames|does not match)`));
    expect(attempts).toEqual([other]);
    // Back to the proxy the other tests use (secrets now name the other host).
    await runSetup({ ...withAudit, tf: { action: "update", prev_input: withAudit } }, lambdaContext(), deps());
  }, 60_000);

  it("fails at login when the master secret's password is wrong, with a message and log that hold no password", async () => {
    const wrong = "Wrong-Pa55word-for-tests";
    const bad = fakeSecrets({ [MASTER_ARN]: JSON.stringify({ username: server.masterUser, password: wrong }) });
    const lines: string[] = [];
    const error = await runSetup({ ...withAudit, tf: { action: "update", prev_input: withAudit } }, lambdaContext(), {
      secrets: bad.client, log: (l) => lines.push(l), tls: testTls(server.caFile),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SetupError);
    expect((error as Error).message).toBe('setup failed at login: the database refused the master user master: password authentication failed for user "master"');
    for (const text of [(error as Error).message, (error as Error).stack ?? "", ...lines]) {
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(server.masterPassword);
    }
    expect(bad.puts()).toBe(0);
  }, 60_000);

  it("fails at secrets when Secrets Manager refuses a write, before any SQL", async () => {
    const refusing = fakeSecrets({ [MASTER_ARN]: JSON.stringify({ username: server.masterUser, password: server.masterPassword }) });
    refusing.refuse("PutSecretValue");
    const error = await runSetup({ ...input, users: input.users.slice(0, 1), tf: { action: "update", prev_input: input } }, lambdaContext(), {
      secrets: refusing.client, log: () => undefined, tls: testTls(server.caFile),
    }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(`setup failed at secrets: cannot store the new password of migrator (${arn("migrator")}): InvalidRequestException; nothing was changed in the database for it`);
    await logIn("migrator", current("migrator").password as string);
  }, 60_000);

  it("fails at wait when the writer never answers, never waiting past the invocation's remaining time minus the margin", async () => {
    const clock = fakeClock(30_000);
    const closed = await freePort();
    const error = await runSetup({ ...input, port: closed, waitSeconds: 900, tf: { action: "create", prev_input: null } }, clock.context, {
      secrets: fakeSecrets({ [MASTER_ARN]: JSON.stringify({ username: "master", password: server.masterPassword }) }).client,
      log: () => undefined, tls: testTls(server.caFile), now: clock.now, sleep: clock.sleep,
    }).catch((e: unknown) => e);
    expect((error as SetupError).step).toBe("wait");
    expect((error as Error).message).toMatch(new RegExp(`^setup failed at wait: the database at localhost:${closed} did not accept connections within 10 s \\(\\d+ attempts; last: connect ECONNREFUSED`));
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(10_000);
  }, 60_000);

  it("fails at event, naming every bad field, before any call", async () => {
    const untouched = fakeSecrets();
    const error = await runSetup({ ...input, dialect: "oracle", port: 0, users: [{ name: "app", privileges: "admin", login: "password", secretArn: "nope" }], tf: { action: "create", prev_input: null } }, lambdaContext(), {
      secrets: untouched.client, log: () => undefined,
    }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'setup failed at event: invalid setup event: dialect: must be "postgresql" or "mysql"; port: must be a whole number from 1 to 65535; ' +
      'users[0].privileges: must be "readwrite", "readonly" or "owner"; users[0].secretArn: must be a Secrets Manager secret ARN',
    );
    expect(untouched.mock.calls()).toHaveLength(0);
  });

  it("stops with 'out of time' at the step that waits, before the invocation's end minus the margin, and a rerun converges", async () => {
    // Another session holds app's role row: the rotation's ALTER ROLE waits for it.
    const holder = new pg.Client({ host: server.host, port: server.port, user: server.adminUser, password: server.adminPassword, database: "postgres", ssl: { ca, servername: "localhost" } });
    await holder.connect();
    await holder.query("BEGIN");
    await holder.query('ALTER ROLE "app" CONNECTION LIMIT 50');
    const started = Date.now();
    const error = await runSetup({ ...input, rotate: { users: ["app"] } }, lambdaContext(TIME_MARGIN_MS + 4_000), deps()).catch((e: unknown) => e);
    const took = Date.now() - started;
    await holder.query("ROLLBACK");
    await holder.end();
    expect((error as Error).message).toMatch(/^setup failed at sql: out of time at statement \d+ \(ALTER ROLE "app" WITH LOGIN PASSWORD '\*{8}'\); what was done is safe to keep: rerun to finish/);
    expect(took).toBeLessThan(4_000 + 1_500);
    const summary = await runSetup({ ...input, tf: { action: "update", prev_input: input } }, lambdaContext(), deps());
    expect(summary).toMatchObject({ warnings: ["app: finishing a password change a previous run left in AWSPENDING"] });
    await logIn("app", current("app").password as string);
  }, 60_000);

  it("stops with 'out of time' at secrets when Secrets Manager accepts the connection and never answers", async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    const unanswered = new SecretsManagerClient({
      region: "eu-west-1", endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1,
      credentials: { accessKeyId: "AKIAEXAMPLEEXAMPLE00", secretAccessKey: "example-secret-not-real" },
    });
    const started = Date.now();
    try {
      const error = await runSetup({ ...input }, lambdaContext(TIME_MARGIN_MS + 2_000), deps({ secrets: unanswered })).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/^setup failed at secrets: out of time \(cannot read secret arn:aws:secretsmanager:.* \(AWSCURRENT\): \w+\)/);
      expect(Date.now() - started).toBeLessThan(2_000 + 1_500);
    } finally {
      unanswered.destroy();
      silent.close();
    }
  }, 60_000);
});

describe("the setup deadline", () => {
  it("is waitSeconds from the start, never later than the invocation's end minus the margin, never before the start", () => {
    expect(setupDeadline(0, 600, 900_000)).toBe(600_000);
    expect(setupDeadline(0, 600, 45_000)).toBe(45_000 - TIME_MARGIN_MS);
    expect(setupDeadline(1_000, 600, 5_000)).toBe(1_000);
  });
});

describe("one attempt of the proxy check", () => {
  it.each(["postgresql", "mysql"] as const)("gives up on a %s proxy that accepts and never answers within its timeout, as an error worth retrying", async (dialect) => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as { port: number };
    const started = Date.now();
    const error = await selectOneThrough({
      dialect, host: "127.0.0.1", port, user: "master", password: "not-used", database: "shop", iam: false, tls: { rejectUnauthorized: true }, connectTimeoutMs: 500,
    }).catch((e: unknown) => e as Error);
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
    expect(error).toBeInstanceOf(Error);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(proxyRetryable(error as Error)).toBe(true);
  });
});

const noMariadb = mariadbAvailable() === undefined;
if (noMariadb) console.warn("\n!!! SKIPPED: the setup function against a real MySQL-compatible server — MariaDB is not installed (.ci/run installs mariadb-server)\n");

describe.skipIf(noMariadb)("setup function against a real MySQL-compatible server (MariaDB) over TLS", () => {
  let server: ServerInfo;
  let stop: () => Promise<void>;
  let ca: string;
  let input: SetupInput;
  const secrets = fakeSecrets();
  const log: string[] = [];
  const deps = (overrides: Partial<SetupDeps> = {}): SetupDeps => ({ secrets: secrets.client, log: (l) => log.push(l), tls: testTls(server.caFile), ...overrides });
  const current = (user: string) => JSON.parse(secrets.store.get(arn(user))!) as Record<string, unknown>;
  const logIn = async (user: string, password: string) => (await mysql.createConnection({ host: server.host, port: server.port, user, password, database: "shop", ssl: { ca } })).end();

  beforeAll(async () => {
    const started = await startMariadb();
    server = started.info;
    stop = started.stop;
    ca = readFileSync(server.caFile, "utf8");
    secrets.store.set(MASTER_ARN, JSON.stringify({ username: server.masterUser, password: server.masterPassword }));
    // IAM users need RDS's AWSAuthenticationPlugin, which MariaDB lacks: password users only.
    input = {
      dialect: "mysql", host: WRITER, port: server.port, database: "shop", engine: "aurora-mysql", proxyHost: PROXY,
      masterSecretArn: MASTER_ARN, proxyMasterAuth: "password", waitSeconds: 60,
      users: [
        { name: "migrator", privileges: "owner", login: "password", secretArn: arn("migrator") },
        { name: "app", privileges: "readwrite", login: "password", secretArn: arn("app") },
        { name: "reporting", privileges: "readonly", login: "password", secretArn: arn("reporting") },
      ],
    };
  }, 120_000);
  afterAll(async () => {
    await stop?.();
  });

  it("create: sets up the database and TLS-only users, stores the proxy endpoint and database port, checks SELECT 1 through the proxy", async () => {
    const summary = await runSetup({ ...input, tf: { action: "create", prev_input: null } }, lambdaContext(), deps());
    expect(summary).toMatchObject({ action: "apply", secretsWritten: ["migrator", "app", "reporting"], warnings: [], proxyCheck: "ok" });
    for (const user of ["migrator", "app", "reporting"]) {
      expect(current(user)).toEqual({ username: user, password: expect.stringMatching(/^[A-Za-z0-9]{40}$/), host: PROXY, port: server.port, dbname: "shop", engine: "aurora-mysql" });
      await logIn(user, current(user).password as string);
    }
    expect(log.at(-1)).toBe("proxy check: ok after 1 attempt(s)");
  }, 60_000);

  it("update with the same input changes nothing", async () => {
    const puts = secrets.puts();
    expect(await runSetup({ ...input, tf: { action: "update", prev_input: input } }, lambdaContext(), deps()))
      .toEqual({ action: "apply", changes: 0, statements: [], secretsWritten: [], warnings: [], proxyCheck: "ok" });
    expect(secrets.puts()).toBe(puts);
  }, 60_000);

  it("rotate gives one user a new password; the old one is refused", async () => {
    const old = current("app").password as string;
    const summary = await runSetup({ ...input, rotate: { users: ["app"] } }, lambdaContext(), deps());
    expect(summary).toMatchObject({ action: "rotate", secretsWritten: ["app"], proxyCheck: "ok" });
    const fresh = current("app").password as string;
    expect(fresh).not.toBe(old);
    await logIn("app", fresh);
    await expect(logIn("app", old)).rejects.toThrow(/Access denied/);
  }, 60_000);

  it("sends the proxy check's IAM token as the master's password (cleartext plugin, over TLS)", async () => {
    const calls: unknown[][] = [];
    const summary = await runSetup({ ...input, proxyMasterAuth: "iam", tf: { action: "update", prev_input: input } }, lambdaContext(), deps({
      region: "eu-west-1",
      token: async (...args) => {
        calls.push(args);
        return server.masterPassword;
      },
    }));
    expect(summary).toMatchObject({ changes: 0, proxyCheck: "ok" });
    expect(calls).toEqual([[PROXY, server.port, "master", "eu-west-1"]]);
  }, 60_000);

  it("refuses a writer or a proxy whose certificate does not name it (mysql2 is asked to check the host name)", async () => {
    const other = await unnamedAlias("host-name verification (MariaDB)");
    if (!other) return;
    const writer = await runSetup({ ...input, host: other, tf: { action: "update", prev_input: input } }, lambdaContext(), deps()).catch((e: unknown) => e);
    expect((writer as Error).message).toMatch(new RegExp(`^setup failed at wait: cannot open a TLS connection to ${other}:${server.port}: .*(altnames|does not match)`));
    const proxy = await runSetup({ ...input, proxyHost: other, tf: { action: "update", prev_input: input } }, lambdaContext(), deps()).catch((e: unknown) => e);
    expect((proxy as Error).message).toMatch(new RegExp(`^setup failed at proxy check: SELECT 1 through the proxy ${other}:${server.port} as master failed: .*(altnames|does not match)`));
    await runSetup({ ...input, tf: { action: "update", prev_input: input } }, lambdaContext(), deps());
  }, 60_000);

  it("fails at login when the master secret's password is wrong, with a message and log that hold no password", async () => {
    const wrong = "Wrong-Pa55word-for-tests";
    const lines: string[] = [];
    const error = await runSetup({ ...input, tf: { action: "update", prev_input: input } }, lambdaContext(), {
      secrets: fakeSecrets({ [MASTER_ARN]: JSON.stringify({ username: server.masterUser, password: wrong }) }).client, log: (l) => lines.push(l), tls: testTls(server.caFile),
    }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^setup failed at login: the database refused the master user master: Access denied for user 'master'@'localhost' \(using password: YES\)$/);
    for (const text of [(error as Error).message, ...lines]) expect(text).not.toContain(wrong);
  }, 60_000);
});
