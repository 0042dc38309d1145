/**
 * The bootstrap CLI as users run it — its own process, a tunnel to the database, Secrets Manager over the
 * wire (moto_server) — against a real PostgreSQL.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { motoAvailable, startMoto } from "../support/moto.ts";
import { startPostgres, type ServerInfo } from "../support/servers.ts";
import { openTunnel } from "../support/tunnel.ts";

const missing = !motoAvailable();
if (missing) console.warn("\n!!! SKIPPED: the bootstrap CLI against Secrets Manager's wire protocol — moto_server is not installed (pip install 'moto[server]')\n");

const PROXY = "shop-test.proxy-abc123.eu-west-1.rds.amazonaws.com";
const credentials = { AWS_ACCESS_KEY_ID: "AKIAEXAMPLEEXAMPLE00", AWS_SECRET_ACCESS_KEY: "example-secret-not-real", AWS_REGION: "eu-west-1" };

describe.skipIf(missing)("bootstrap-database through a tunnel, with Secrets Manager on the wire", () => {
  let server: ServerInfo;
  let stopServer: () => Promise<void>;
  let moto: Awaited<ReturnType<typeof startMoto>>;
  let tunnel: Awaited<ReturnType<typeof openTunnel>>;
  let secrets: SecretsManagerClient;
  let outputsFile: string;
  const arns: Record<string, string> = {};

  beforeAll(async () => {
    ({ info: server, stop: stopServer } = await startPostgres());
    moto = await startMoto();
    tunnel = await openTunnel(server.port);
    secrets = new SecretsManagerClient({ region: "eu-west-1", endpoint: moto.endpoint, credentials: { accessKeyId: credentials.AWS_ACCESS_KEY_ID, secretAccessKey: credentials.AWS_SECRET_ACCESS_KEY } });
    const master = await secrets.send(new CreateSecretCommand({ Name: "rds!cluster-master", SecretString: JSON.stringify({ username: server.masterUser, password: server.masterPassword }) }));
    // As Terraform creates them: containers without a value.
    for (const user of ["migrator", "app"]) arns[user] = (await secrets.send(new CreateSecretCommand({ Name: `shop/test/database/${user}` }))).ARN!;
    outputsFile = join(mkdtempSync(join(tmpdir(), "dbstack-outputs-")), "outputs.json");
    writeFileSync(outputsFile, JSON.stringify({
      test: {
        proxy_endpoint: PROXY, database_port: "5432", master_secret_arn: master.ARN, master_username: server.masterUser, master_auth: "password",
        database_engine_family: "POSTGRESQL", database_name: "shop", database_engine: "aurora-postgresql",
        database_users: { migrator: { auth: "iam", privileges: "owner" }, app: { auth: "password", privileges: "readwrite" } },
        user_secret_arns: arns,
      },
    }));
  }, 120_000);
  afterAll(async () => {
    await tunnel?.close();
    await moto?.stop();
    await stopServer?.();
  });

  // Asynchronous: the tunnel lives in this process and must keep forwarding while the script runs.
  const bootstrap = (...args: string[]) => new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [
      "--import", "tsx", "scripts/bootstrap-database.ts", "--outputs", outputsFile, "--stack", "test",
      "--host", "localhost", "--port", String(tunnel.port), "--ca-file", server.caFile, "--wait-seconds", "10", ...args,
    ], { env: { PATH: process.env.PATH!, HOME: tmpdir(), AWS_ENDPOINT_URL: moto.endpoint, AWS_EC2_METADATA_DISABLED: "true", ...credentials } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
  // The stage is named because moto 5.2 answers an unnamed one with the secret's first version after
  // UpdateSecretVersionStage moves AWSCURRENT (AWS answers with AWSCURRENT's, as the script asks for it).
  const current = async (user: string) => JSON.parse((await secrets.send(new GetSecretValueCommand({ SecretId: arns[user], VersionStage: "AWSCURRENT" }))).SecretString!);
  const labels = async (user: string) => Object.values((await secrets.send(new DescribeSecretCommand({ SecretId: arns[user] }))).VersionIdsToStages ?? {}).map((s) => [...s].sort());
  const logsIn = async (user: string, password: string) => {
    const client = new pg.Client({ host: server.host, port: server.port, user, password, database: "shop", ssl: { ca: readFileSync(server.caFile, "utf8"), servername: "localhost" } });
    await client.connect();
    await client.end();
  };

  it("stores the stack's endpoint and port in every secret, not the tunnel's", async () => {
    const { code, stdout, stderr } = await bootstrap();
    expect(stderr).not.toContain("error");
    expect(code).toBe(0);
    expect(stdout).toContain(`waiting for localhost:${tunnel.port}`);
    for (const user of ["migrator", "app"]) {
      expect(await current(user)).toEqual({ username: user, password: expect.stringMatching(/^[A-Za-z0-9]{40}$/), host: PROXY, port: 5432, dbname: "shop", engine: "aurora-postgresql" });
      expect(await labels(user)).toEqual([["AWSCURRENT"]]);
    }
    await logsIn("app", (await current("app")).password);
    expect((await bootstrap()).stdout).toContain("nothing to do: the database and secrets already match");
  }, 120_000);

  it("rotates one user through AWSPENDING: the new password is current, the old one AWSPREVIOUS", async () => {
    const old = (await current("app")).password as string;
    const migrator = (await current("migrator")).password as string;
    const { code, stdout } = await bootstrap("--rotate-user", "app");
    expect(code).toBe(0);
    expect(stdout).toContain("done: 1 statement(s) applied, 1 secret(s) written");
    const fresh = (await current("app")).password as string;
    expect(fresh).not.toBe(old);
    expect((await current("migrator")).password).toBe(migrator);
    expect((await labels("app")).sort()).toEqual([["AWSCURRENT"], ["AWSPREVIOUS"]]);
    await logsIn("app", fresh);
    await expect(logsIn("app", old)).rejects.toThrow(/password authentication failed/);
  }, 120_000);

  it("takes removed users from --removed-user, refusing one the outputs still list before any call", async () => {
    const { code, stderr } = await bootstrap("--removed-user", "app");
    expect(code).toBe(2);
    expect(stderr).toContain('--removed-user app: "app" — is still a configured user: a removed user is one the configuration no longer lists');
  }, 120_000);
});
