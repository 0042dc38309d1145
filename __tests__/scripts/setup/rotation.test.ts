/**
 * Secrets Manager's rotation protocol against real servers — PostgreSQL 16 and MariaDB — with moto_server
 * as Secrets Manager on the wire: rotation is enabled on the user's secret (RotateSecret on the empty
 * container, as Terraform's aws_secretsmanager_secret_rotation does before the first value), the user is
 * bootstrapped (as a deploy does), then each rotation is opened the way Secrets Manager opens one — a new
 * version id staged AWSPENDING with no password yet — and the steps run as Secrets Manager calls them: in
 * order, repeated, interrupted, overlapped and refused. (moto's own RotateSecret finishes a rotation by
 * itself when no function is attached, so the test stages the token.) The "proxy" is the same server
 * under another name (127.0.0.1 instead of localhost), as in the setup tests.
 */
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import mysql from "mysql2/promise";
import pg from "pg";
import {
  CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, ListSecretVersionIdsCommand, PutSecretValueCommand, RotateSecretCommand, SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { runBootstrap, type BootstrapRequest } from "../../../scripts/lib/database/bootstrap.ts";
import { ROTATION_STEPS, RotationError, rotateSecret, type RotationStep, type RotationTarget } from "../../../scripts/lib/setup/rotation.ts";
import { motoAvailable, startMoto } from "../../support/moto.ts";
import { mariadbAvailable, startMariadb, startPostgres, type ServerInfo } from "../../support/servers.ts";

const noMoto = !motoAvailable();
const noMariadb = mariadbAvailable() === undefined;
if (noMoto) console.warn("\n!!! SKIPPED: rotation with Secrets Manager's wire protocol — moto_server is not installed (pip install 'moto[server]')\n");
if (noMariadb) console.warn("\n!!! SKIPPED: rotation against MariaDB — MariaDB is not installed (.ci/run installs mariadb-server)\n");

const REGION = "eu-west-1";
const engines = [
  { name: "PostgreSQL 16", dialect: "postgresql" as const, engine: "aurora-postgresql", start: startPostgres, skip: noMoto },
  { name: "MariaDB", dialect: "mysql" as const, engine: "mysql", start: startMariadb, skip: noMoto || noMariadb },
];

describe.each(engines)("rotation against $name with Secrets Manager on the wire", ({ dialect, engine, start, skip }) => {
  let server: ServerInfo;
  let stopServer: () => Promise<void>;
  let moto: Awaited<ReturnType<typeof startMoto>>;
  let secrets: SecretsManagerClient;
  let ca: string;
  let arn: string;
  let target: RotationTarget;
  let bootstrap: BootstrapRequest;
  const log: string[] = [];

  beforeAll(async () => {
    if (skip) return;
    ({ info: server, stop: stopServer } = await start());
    ca = readFileSync(server.caFile, "utf8");
    moto = await startMoto();
    secrets = new SecretsManagerClient({ region: REGION, endpoint: moto.endpoint, credentials: { accessKeyId: "AKIAEXAMPLEEXAMPLE00", secretAccessKey: "example-secret-not-real" } });
    const master = await secrets.send(new CreateSecretCommand({ Name: "rds!cluster-master", SecretString: JSON.stringify({ username: server.masterUser, password: server.masterPassword }) }));
    arn = (await secrets.send(new CreateSecretCommand({ Name: "shop/test/database/app" }))).ARN!;
    await enableRotation(arn);
    bootstrap = {
      dialect, host: "localhost", port: server.port, database: "shop", engine, secretHost: "127.0.0.1",
      users: [{ name: "app", privileges: "readwrite", login: "password", secretArn: arn }],
      master: { secretArn: master.ARN! }, tls: tls("localhost"), dryRun: false, waitTimeoutMs: 30_000,
    };
    await runBootstrap(bootstrap, { secrets, log: () => undefined });
    target = {
      dialect, writerHost: "localhost", port: server.port, database: "shop", masterSecretArn: master.ARN!,
      userSecretPrefix: "shop/test/database", proxyHost: "127.0.0.1", proxyIamUsers: [], region: REGION,
    };
  }, 180_000);
  afterAll(async () => {
    secrets?.destroy();
    await moto?.stop();
    await stopServer?.();
  });

  // Verify-full against the test CA: the only thing the tests replace.
  const tls = (host: string) => ({ rejectUnauthorized: true, ca, ...(host === "localhost" ? { servername: host } : {}) });
  const deps = () => ({
    secrets, log: (line: string) => log.push(line), tls, token: async () => "unused", deadline: Date.now() + 60_000, proxyCheckMs: 5_000, sleep: async () => undefined,
  });
  const step = (Step: RotationStep, token: string, secretId = arn) => rotateSecret({ SecretId: secretId, ClientRequestToken: token, Step }, target, deps());
  /** Rotation on for a secret that has no version yet (moto then stages nothing and only records the schedule). */
  const enableRotation = (secretId: string) => secrets.send(new RotateSecretCommand({ SecretId: secretId, RotationRules: { AutomaticallyAfterDays: 30 } }));
  /** What RotateSecret does before it invokes the function: a new version id, staged AWSPENDING, without a password. */
  const requestRotation = async (secretId = arn) => {
    const token = randomUUID();
    await secrets.send(new PutSecretValueCommand({ SecretId: secretId, ClientRequestToken: token, SecretString: "{}", VersionStages: ["AWSPENDING"] }));
    return token;
  };
  const stages = async () => (await secrets.send(new DescribeSecretCommand({ SecretId: arn }))).VersionIdsToStages ?? {};
  const passwordOf = async (stage: string, versionId?: string) => JSON.parse((await secrets.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: stage, ...(versionId ? { VersionId: versionId } : {}) }))).SecretString!).password as string;
  /** Whether `password` logs in as app, on the writer. */
  const logsIn = async (password: string): Promise<boolean> => {
    try {
      if (dialect === "postgresql") {
        const client = new pg.Client({ host: "localhost", port: server.port, user: "app", password, database: "shop", ssl: tls("localhost") });
        await client.connect();
        await client.end();
      } else {
        await (await mysql.createConnection({ host: "localhost", port: server.port, user: "app", password, database: "shop", ssl: tls("localhost") })).end();
      }
      return true;
    } catch {
      return false;
    }
  };
  const runAll = async (token: string) => {
    for (const s of ROTATION_STEPS) await step(s, token);
  };

  it.skipIf(skip)("runs the four steps in order, each twice in a row without harm: the new password logs in, the old one no longer does", async () => {
    const old = await passwordOf("AWSCURRENT");
    const token = await requestRotation();
    await step("createSecret", token);
    await step("createSecret", token);
    const pending = await passwordOf("AWSPENDING", token);
    expect(pending).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(pending).not.toBe(old);
    expect(await passwordOf("AWSPENDING", token)).toBe(pending);

    await step("setSecret", token);
    await step("setSecret", token);
    expect(await logsIn(pending)).toBe(true);
    // MariaDB keeps the old password as a second method until finishSecret; PostgreSQL has one password per role.
    expect(await logsIn(old)).toBe(dialect === "mysql");
    expect(await passwordOf("AWSCURRENT")).toBe(old);

    await step("testSecret", token);
    await step("testSecret", token);
    await step("finishSecret", token);
    await step("finishSecret", token);
    expect(await passwordOf("AWSCURRENT")).toBe(pending);
    expect((await stages())[token]).toEqual(["AWSCURRENT"]);
    expect(await logsIn(pending)).toBe(true);
    expect(await logsIn(old)).toBe(false);
    expect(log.some((line) => line.includes("proxy check: ok"))).toBe(true);
  }, 60_000);

  it.skipIf(skip)("a rotation stopped after each step resumes where it stopped and converges", async () => {
    for (let stoppedAfter = 1; stoppedAfter < ROTATION_STEPS.length; stoppedAfter++) {
      const old = await passwordOf("AWSCURRENT");
      const token = await requestRotation();
      for (const s of ROTATION_STEPS.slice(0, stoppedAfter)) await step(s, token);
      // Secrets Manager retries the step that failed: the last one that ran, then the rest.
      for (const s of ROTATION_STEPS.slice(stoppedAfter - 1)) await step(s, token);
      const now = await passwordOf("AWSCURRENT");
      expect(now).not.toBe(old);
      expect(await logsIn(now)).toBe(true);
      expect(await logsIn(old)).toBe(false);
    }
  }, 90_000);

  it.skipIf(skip)("a second rotation requested while one is pending replaces it: the first token is refused, the second completes", async () => {
    const original = await passwordOf("AWSCURRENT");
    const first = await requestRotation();
    await step("createSecret", first);
    await step("setSecret", first);
    const firstPassword = await passwordOf("AWSPENDING", first);
    // AWS refuses RotateSecret while a rotation is in progress; a second AWSPENDING version (moto, a person) takes the label.
    const second = await requestRotation();
    await expect(step("testSecret", first)).rejects.toThrow(/is not staged AWSPENDING/);
    await expect(step("finishSecret", first)).rejects.toThrow(/is not staged AWSPENDING/);
    await runAll(second);
    const now = await passwordOf("AWSCURRENT");
    expect((await stages())[second]).toEqual(["AWSCURRENT"]);
    expect(await logsIn(now)).toBe(true);
    expect(await logsIn(firstPassword)).toBe(false);
    expect(await logsIn(original)).toBe(false);
  }, 60_000);

  it.skipIf(skip)("refuses a token that is not AWSPENDING, one that is no version of the secret, and a secret without rotation", async () => {
    const token = await requestRotation();
    await runAll(token);
    const before = await passwordOf("AWSCURRENT");
    // The finished token is AWSCURRENT: every step but finishSecret has nothing to do.
    expect((await step("createSecret", token)).result).toMatch(/already AWSCURRENT/);
    const previous = Object.entries(await stages()).find(([, s]) => s.includes("AWSPREVIOUS"))![0];
    await expect(step("setSecret", previous)).rejects.toThrow(new RegExp(`version ${previous} of secret .* is not staged AWSPENDING \\(stages: AWSPREVIOUS\\)`));
    await expect(step("createSecret", "00000000-0000-0000-0000-000000000000")).rejects.toThrow(/is not a version of secret/);
    const unrotated = (await secrets.send(new CreateSecretCommand({ Name: "shop/test/database/other", SecretString: "{}" }))).ARN!;
    await expect(step("createSecret", token, unrotated)).rejects.toThrow(/rotation is not enabled for secret/);
    const foreign = (await secrets.send(new CreateSecretCommand({ Name: "elsewhere/app" }))).ARN!;
    await enableRotation(foreign);
    const foreignToken = await requestRotation(foreign);
    await expect(step("createSecret", foreignToken, foreign)).rejects.toThrow(/is not an application user's secret of this environment/);
    expect(await passwordOf("AWSCURRENT")).toBe(before);
    expect(await logsIn(before)).toBe(true);
  }, 60_000);

  it.skipIf(skip)("testSecret fails when the pending password does not log in, and changes nothing", async () => {
    const old = await passwordOf("AWSCURRENT");
    const token = await requestRotation();
    await step("createSecret", token);
    const failure = await step("testSecret", token).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RotationError);
    expect((failure as Error).message).toMatch(/^rotation failed at testSecret: the pending password of app does not log in to the writer localhost:\d+/);
    expect(await passwordOf("AWSCURRENT")).toBe(old);
    expect(await logsIn(old)).toBe(true);
    // Secrets Manager retries from setSecret on the next attempt: the rotation then completes.
    for (const s of ROTATION_STEPS.slice(1)) await step(s, token);
    expect(await logsIn(await passwordOf("AWSCURRENT"))).toBe(true);
    expect(await logsIn(old)).toBe(false);
  }, 60_000);

  it.skipIf(skip)("finishSecret fails loudly when the path through the proxy refuses the new password, and a retry completes", async () => {
    const token = await requestRotation();
    for (const s of ROTATION_STEPS.slice(0, 3)) await step(s, token);
    const refused = rotateSecret({ SecretId: arn, ClientRequestToken: token, Step: "finishSecret" }, target, {
      ...deps(), proxyCheckMs: 300, proxyCheck: async () => Promise.reject(Object.assign(new Error("password authentication failed for user \"app\""), { code: "28P01" })),
    });
    await expect(refused).rejects.toThrow(/^rotation failed at proxy check: SELECT 1 through the proxy 127\.0\.0\.1:\d+ as app failed after \d+ attempt\(s\)/);
    expect((await stages())[token]).toContain("AWSCURRENT");
    // Secrets Manager retries finishSecret: the version is AWSCURRENT, and the check (then the cleanup) runs again.
    expect((await step("finishSecret", token)).result).toBe("done: the version was already AWSCURRENT");
  }, 60_000);

  it.skipIf(skip)("a deploy's setup run in the middle of a rotation finishes it; the rotation's remaining steps then converge", async () => {
    const old = await passwordOf("AWSCURRENT");
    const token = await requestRotation();
    await step("createSecret", token);
    const pending = await passwordOf("AWSPENDING", token);
    const result = await runBootstrap(bootstrap, { secrets, log: () => undefined });
    expect(result.warnings).toEqual(["app: finishing a password change a previous run left in AWSPENDING"]);
    expect((await stages())[token]).toEqual(["AWSCURRENT"]);
    for (const s of ROTATION_STEPS.slice(1)) await step(s, token);
    expect(await passwordOf("AWSCURRENT")).toBe(pending);
    expect(await logsIn(pending)).toBe(true);
    expect(await logsIn(old)).toBe(false);
  }, 60_000);

  it.skipIf(skip)("no password reaches the function's log or the server's logs", async () => {
    const versions = (await secrets.send(new ListSecretVersionIdsCommand({ SecretId: arn, IncludeDeprecated: true }))).Versions ?? [];
    const passwords = new Set<string>();
    for (const v of versions) {
      const value = await secrets.send(new GetSecretValueCommand({ SecretId: arn, VersionId: v.VersionId })).catch(() => undefined);
      const password = value?.SecretString ? (JSON.parse(value.SecretString) as { password?: string }).password : undefined;
      if (password) passwords.add(password);
    }
    expect(passwords.size).toBeGreaterThan(3);
    const serverLogs = server.logFiles.filter((file) => existsSync(file)).map((file) => readFileSync(file, "latin1")).join("\n");
    expect(log.length).toBeGreaterThan(20);
    // The master's password is set by the test servers' own start-up statements, so only the function's log is checked for it.
    expect(log.join("\n")).not.toContain(server.masterPassword);
    for (const password of passwords) {
      expect(log.join("\n")).not.toContain(password);
      expect(serverLogs).not.toContain(password);
    }
  });
});
