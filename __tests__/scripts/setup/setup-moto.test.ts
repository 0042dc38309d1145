/**
 * The setup function's Lambda shell with Secrets Manager on the wire (moto_server) against a real
 * PostgreSQL: secrets created first the way Terraform creates them (the master with a value, each user's
 * an empty container, which GetSecretValue answers with ResourceNotFoundException as AWS does), then the
 * handler driven by Terraform's CRUD events; and the deployed bundle in a fresh process.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { createHandler } from "../../../scripts/lambda/db-setup.ts";
import type { SetupInput } from "../../../scripts/lib/setup/event.ts";
import type { LambdaContext } from "../../../scripts/lib/setup/run-setup.ts";
import { motoAvailable, startMoto } from "../../support/moto.ts";
import { startPostgres, type ServerInfo } from "../../support/servers.ts";
import { runBundle, unpackedSetupBundle } from "../../support/setup-bundle.ts";

const missing = !motoAvailable();
if (missing) console.warn("\n!!! SKIPPED: the setup function with Secrets Manager's wire protocol — moto_server is not installed (pip install 'moto[server]')\n");

const credentials = { AWS_ACCESS_KEY_ID: "AKIAEXAMPLEEXAMPLE00", AWS_SECRET_ACCESS_KEY: "example-secret-not-real", AWS_REGION: "eu-west-1" };
const context = (): LambdaContext => {
  const end = Date.now() + 120_000;
  return { functionName: "shop-test-setup", awsRequestId: randomUUID(), getRemainingTimeInMillis: () => end - Date.now() };
};

describe.skipIf(missing)("the setup function with Secrets Manager on the wire (moto_server)", () => {
  let server: ServerInfo;
  let stopServer: () => Promise<void>;
  let moto: Awaited<ReturnType<typeof startMoto>>;
  let secrets: SecretsManagerClient;
  let input: SetupInput;
  let ca: string;
  const saved = { ...process.env };
  const arns: Record<string, string> = {};

  beforeAll(async () => {
    ({ info: server, stop: stopServer } = await startPostgres());
    ca = readFileSync(server.caFile, "utf8");
    moto = await startMoto();
    // What the shell reads: the region Lambda sets, the role's credentials, and here moto's endpoint.
    Object.assign(process.env, credentials, { AWS_ENDPOINT_URL: moto.endpoint, AWS_EC2_METADATA_DISABLED: "true" });
    secrets = new SecretsManagerClient({ region: "eu-west-1", endpoint: moto.endpoint, credentials: { accessKeyId: credentials.AWS_ACCESS_KEY_ID, secretAccessKey: credentials.AWS_SECRET_ACCESS_KEY } });
    const master = await secrets.send(new CreateSecretCommand({ Name: "rds!cluster-master", SecretString: JSON.stringify({ username: server.masterUser, password: server.masterPassword }) }));
    for (const user of ["migrator", "app"]) arns[user] = (await secrets.send(new CreateSecretCommand({ Name: `shop/test/database/${user}` }))).ARN!;
    input = {
      dialect: "postgresql", host: "localhost", port: server.port, database: "shop", engine: "aurora-postgresql", proxyHost: "127.0.0.1",
      masterSecretArn: master.ARN!, proxyMasterAuth: "password", waitSeconds: 30,
      users: [
        { name: "migrator", privileges: "owner", login: "password", secretArn: arns.migrator! },
        { name: "app", privileges: "readwrite", login: "password", secretArn: arns.app! },
      ],
    };
  }, 120_000);
  afterAll(async () => {
    process.env = { ...saved };
    secrets?.destroy();
    await moto?.stop();
    await stopServer?.();
  });

  // The stage is named: moto 5.2 answers an unnamed one with the first version after AWSCURRENT moves.
  const current = async (user: string) => JSON.parse((await secrets.send(new GetSecretValueCommand({ SecretId: arns[user], VersionStage: "AWSCURRENT" }))).SecretString!);
  const labels = async (user: string) => Object.values((await secrets.send(new DescribeSecretCommand({ SecretId: arns[user] }))).VersionIdsToStages ?? {}).map((s) => [...s].sort());

  it("create writes every user's secret over the wire; update changes nothing; delete calls nothing", async () => {
    // Verify-full against the test CA instead of the RDS CAs: the only thing the test replaces.
    const handler = createHandler({ tls: (host) => ({ rejectUnauthorized: true, ca, ...(host === "localhost" ? { servername: host } : {}) }) });
    const created = await handler({ ...input, tf: { action: "create", prev_input: null } }, context());
    expect(created).toMatchObject({ action: "apply", secretsWritten: ["migrator", "app"], warnings: [], proxyCheck: "ok" });
    for (const user of ["migrator", "app"]) {
      expect(await current(user)).toEqual({ username: user, password: expect.stringMatching(/^[A-Za-z0-9]{40}$/), host: "127.0.0.1", port: server.port, dbname: "shop", engine: "aurora-postgresql" });
      expect(await labels(user)).toEqual([["AWSCURRENT"]]);
    }
    const app = new pg.Client({ host: "localhost", port: server.port, user: "app", password: (await current("app")).password, database: "shop", ssl: { ca, servername: "localhost" } });
    await app.connect();
    await app.end();

    expect(await handler({ ...input, tf: { action: "update", prev_input: input } }, context()))
      .toEqual({ action: "apply", changes: 0, statements: [], secretsWritten: [], warnings: [], proxyCheck: "ok" });
    // Secrets Manager unreachable for the delete: any call would fail it, and it makes none.
    process.env.AWS_ENDPOINT_URL = "http://127.0.0.1:1";
    const deleted = await createHandler()({ ...input, tf: { action: "delete", prev_input: input } }, context());
    process.env.AWS_ENDPOINT_URL = moto.endpoint;
    expect(deleted).toEqual({ action: "delete", changes: 0, note: "the database and its users go with the environment; nothing to undo" });
  }, 120_000);

  it("the deployed bundle, in a fresh process, reads the master secret over the wire and refuses a writer whose certificate no RDS CA signed", async () => {
    const run = await runBundle(unpackedSetupBundle(), { ...input, tf: { action: "update", prev_input: input } }, { ...credentials, AWS_ENDPOINT_URL: moto.endpoint });
    expect(run.error).toEqual({
      name: "SetupError",
      message: `setup failed at wait: cannot open a TLS connection to localhost:${server.port}: unable to verify the first certificate`,
    });
    expect(run.stdout).toContain(`waiting for localhost:${server.port}`);
    expect(run.stdout).not.toContain(server.masterPassword);
  }, 120_000);
});
