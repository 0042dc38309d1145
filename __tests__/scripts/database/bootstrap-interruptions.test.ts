/**
 * Runs that stop part-way — a killed process, a refused secret write — and the plain reruns that must
 * repair them, against a real PostgreSQL 16 with an RDS-like (non-superuser) master.
 *
 * A stop is simulated where the process could die: `log` is called before every action (each statement,
 * each secret write), so a log that throws at line k stops the run with exactly the actions before k done.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { runBootstrap, type BootstrapRequest, type BootstrapUser } from "../../../scripts/lib/database/bootstrap.ts";
import { ScriptError } from "../../../scripts/lib/cli.ts";
import { fakeSecrets } from "../../support/fake-secrets.ts";
import { startPostgres, type ServerInfo } from "../../support/servers.ts";

const MASTER_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-master-AbCdEf";
const arn = (user: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/test/database/${user}-AbCdEf`;

let server: ServerInfo;
let stop: () => Promise<void>;
let ca: string;
const secrets = fakeSecrets();

beforeAll(async () => {
  ({ info: server, stop } = await startPostgres());
  ca = readFileSync(server.caFile, "utf8");
  secrets.store.set(MASTER_ARN, JSON.stringify({ username: server.masterUser, password: server.masterPassword }));
}, 120_000);
afterAll(async () => {
  await stop?.();
});

const request = (database: string, users: readonly BootstrapUser[], overrides: Partial<BootstrapRequest> = {}): BootstrapRequest => ({
  dialect: "postgresql", host: server.host, port: server.port, database, engine: "aurora-postgresql",
  secretHost: "shop-test.proxy-abc123.eu-west-1.rds.amazonaws.com", secretPort: 5432, users, master: { secretArn: MASTER_ARN },
  tls: { rejectUnauthorized: true, ca, servername: "localhost" }, dryRun: false, waitTimeoutMs: 30_000, ...overrides,
});
const quiet = { secrets: secrets.client, log: () => undefined };
const current = (user: BootstrapUser) => JSON.parse(secrets.store.get(user.secretArn)!).password as string;

class Killed extends Error {}

const isAction = (line: string) => line.startsWith("  ") && !/^ {2}(warning|note|attempt \d+):/.test(line);

/** Deps whose log stops the run at its `at`-th action (1-based); actions are the indented lines. */
function killedAt(at: number) {
  let actions = 0;
  return {
    secrets: secrets.client,
    log: (line: string) => {
      if (isAction(line) && ++actions === at) throw new Killed(line);
    },
  };
}

/** The number of actions a run of this shape takes (it runs: give it names of its own). */
async function countActions(database: string, users: readonly BootstrapUser[], overrides: Partial<BootstrapRequest> = {}): Promise<number> {
  const lines: string[] = [];
  await runBootstrap(request(database, users, overrides), { secrets: secrets.client, log: (line) => lines.push(line) });
  return lines.filter(isAction).length;
}

async function logsIn(user: BootstrapUser, database: string): Promise<void> {
  const client = new pg.Client({ host: server.host, port: server.port, user: user.name, password: current(user), database, ssl: { ca, servername: "localhost" } });
  await client.connect();
  await client.end();
}

describe("a first run stopped at any action", () => {
  const usersFor = (k: number): BootstrapUser[] => [
    { name: `owner${k}`, privileges: "owner", login: "password", secretArn: arn(`owner${k}`) },
    { name: `reader${k}`, privileges: "readonly", login: "iam", secretArn: arn(`reader${k}`) },
  ];

  it("converges on the next plain run, which leaves nothing for a third", async () => {
    const actions = await countActions("reference", usersFor(0));
    expect(actions).toBeGreaterThan(15);
    const failures: string[] = [];
    for (let k = 1; k <= actions; k++) {
      const users = usersFor(k);
      const stopped = await runBootstrap(request(`db${k}`, users), killedAt(k)).then(() => undefined, (e) => e);
      expect(stopped, `run stopped at action ${k}`).toBeInstanceOf(Killed);
      try {
        await runBootstrap(request(`db${k}`, users), quiet);
        expect((await runBootstrap(request(`db${k}`, users), quiet)).changes).toBe(0);
        for (const user of users.filter((u) => u.login === "password")) await logsIn(user, `db${k}`);
      } catch (error) {
        failures.push(`stopped before "${(stopped as Killed).message.trim()}": ${(error as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);
});

describe("a rotation stopped at any action", () => {
  const app: BootstrapUser = { name: "rotating", privileges: "readwrite", login: "password", secretArn: arn("rotating") };
  const owner: BootstrapUser = { name: "keyholder", privileges: "owner", login: "password", secretArn: arn("keyholder") };
  beforeAll(async () => {
    await runBootstrap(request("rotation", [owner, app]), quiet);
  }, 60_000);

  it("leaves a password that logs in, and the next plain run finishes or undoes nothing else", async () => {
    const rotate = { rotate: true };
    const actions = await countActions("rotation", [owner, app], rotate);
    expect(actions).toBeGreaterThan(0);
    const failures: string[] = [];
    for (let k = 1; k <= actions; k++) {
      const stopped = await runBootstrap(request("rotation", [owner, app], rotate), killedAt(k)).then(() => undefined, (e) => e);
      expect(stopped).toBeInstanceOf(Killed);
      try {
        await runBootstrap(request("rotation", [owner, app]), quiet);
        for (const user of [owner, app]) await logsIn(user, "rotation");
        expect((await runBootstrap(request("rotation", [owner, app]), quiet)).changes).toBe(0);
        expect(secrets.stage(app.secretArn, "AWSPENDING")).toBeUndefined();
      } catch (error) {
        failures.push(`stopped before "${(stopped as Killed).message.trim()}": ${(error as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it("fails with exit code 5 and keeps every password working when the new one cannot be stored", async () => {
    const before = current(app);
    secrets.refuse("PutSecretValue");
    const error = await runBootstrap(request("rotation", [owner, app], { rotate: true }), quiet).catch((e) => e).finally(() => secrets.allow("PutSecretValue"));
    await logsIn(app, "rotation");
    expect(current(app)).toBe(before);
    expect((error as ScriptError).exitCode).toBe(5);
    expect((error as ScriptError).message).toMatch(/^cannot store the new password of keyholder \(.*\): InvalidRequestException; nothing was changed in the database for it$/);
  }, 60_000);

  it("finishes, on a plain rerun, a rotation whose new password could not be made current", async () => {
    secrets.refuse("UpdateSecretVersionStage");
    const error = await runBootstrap(request("rotation", [owner, app], { rotateUsers: ["rotating"] }), quiet).catch((e) => e)
      .finally(() => secrets.allow("UpdateSecretVersionStage"));
    expect((error as ScriptError).exitCode).toBe(5);
    expect((error as ScriptError).message).toMatch(/^the database has the new password of rotating, but it could not be made current in .*: InvalidRequestException; rerun to finish \(the new password waits in AWSPENDING\)$/);
    const rerun = await runBootstrap(request("rotation", [owner, app]), quiet);
    expect(rerun.warnings).toEqual(["rotating: finishing a password change a previous run left in AWSPENDING"]);
    await logsIn(app, "rotation");
    expect(secrets.labels(app.secretArn).filter((labels) => labels.includes("AWSPENDING"))).toEqual([]);
    expect((await runBootstrap(request("rotation", [owner, app]), quiet)).changes).toBe(0);
  }, 60_000);

  it("repairs, on a plain rerun, a password changed behind its secret's back", async () => {
    const admin = new pg.Client({ host: server.host, port: server.port, user: server.adminUser, password: server.adminPassword, database: "postgres", ssl: { ca, servername: "localhost" } });
    await admin.connect();
    await admin.query("ALTER ROLE rotating PASSWORD 'changed-by-hand-1'");
    await admin.end();
    const result = await runBootstrap(request("rotation", [owner, app]), quiet);
    await logsIn(app, "rotation");
    expect(result.warnings).toEqual(["rotating: the database's password differs from the one in its secret; setting the secret's"]);
    expect(result.statements).toEqual(["ALTER ROLE \"rotating\" WITH LOGIN PASSWORD '********'"]);
    expect((await runBootstrap(request("rotation", [owner, app]), quiet)).changes).toBe(0);
  }, 60_000);
});
