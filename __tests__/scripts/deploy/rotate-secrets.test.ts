/**
 * `npm run rotate`: the CLI as its own process (help, usage errors before any call, the dry run), its core
 * against a mocked Secrets Manager (what it sends, what it waits for, how a rotation that does not finish
 * becomes exit 5), and the calls on the wire against moto_server.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import {
  CreateSecretCommand, DescribeSecretCommand, InvalidRequestException, RotateSecretCommand, SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { ScriptError } from "../../../scripts/lib/cli.ts";
import { parseRotateArgs, rotateOne, rotationRequest, runRotateCommand } from "../../../scripts/lib/deploy/rotate-secrets.ts";
import { motoAvailable, startMoto } from "../../support/moto.ts";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const arn = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbCdEf`;
const FUNCTION_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:shop-test-db-rotate";
const ROTATED = { migrator: arn("shop/test/database/migrator"), app: arn("shop/test/database/app") };
const OUTPUTS = { "test-proxy": { rotation_function_arn: FUNCTION_ARN, rotated_secrets: ROTATED } };

const dir = mkdtempSync(join(tmpdir(), "dbstack-rotate-"));
writeFileSync(join(dir, "test-outputs.json"), JSON.stringify(OUTPUTS));
writeFileSync(join(dir, "no-function.json"), JSON.stringify({ "test-proxy": { rotated_secrets: ROTATED } }));

function rotate(args: string[]) {
  const result = spawnSync(process.execPath, ["--import", TSX, join(ROOT, "scripts/rotate.ts"), ...args], {
    cwd: dir, encoding: "utf8",
    env: { PATH: process.env.PATH!, HOME: tmpdir(), AWS_ACCESS_KEY_ID: "AKIAEXAMPLEEXAMPLE00", AWS_SECRET_ACCESS_KEY: "example-secret-not-real", AWS_EC2_METADATA_DISABLED: "true", AWS_ENDPOINT_URL: "http://127.0.0.1:1" },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
const firstError = (stderr: string) => stderr.split("\n").filter((l) => !/NodeVersionSupport|node >=22|^$/.test(l))[0];

describe("npm run rotate as a process", () => {
  it("prints its help with the exit codes and exits 0", () => {
    const { code, stdout } = rotate(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: npm run rotate -- <env> \[--user <name>\]\.\.\. \[options\]/);
    expect(stdout).toContain("RotateSecret starts the rotation function");
    expect(stdout).toContain("  5  an AWS call failed (RotateSecret refused");
  });

  it.each([
    [[], /^error: name one environment, e\.g\. npm run rotate -- staging \(got none\)/],
    [["test", "--bogus"], /^error: Unknown option '--bogus'/],
    [["test", "--output", "xml"], /^error: --output must be text or json, not xml/],
    [["test", "--wait-seconds", "5"], /^error: --wait-seconds must be a whole number from 10 to 3600, not 5/],
    [["staging"], /^error: cannot read outputs file staging-outputs\.json: ENOENT/],
    [["test", "--outputs", "no-function.json"], /^error: stack output "rotation_function_arn" is missing/],
    [["test", "--user", "etl"], /^error: --user etl: not a user whose password rotates \(the environment has: migrator, app; direct-iam users have no password\)/],
  ])("fails with exit 2 before any call: %j", (args, message) => {
    const { code, stderr } = rotate(args);
    expect(firstError(stderr)).toMatch(message);
    expect(code).toBe(2);
  });

  it("--dry-run prints the secrets it would rotate", () => {
    const text = rotate(["test", "--user", "app", "--dry-run"]);
    expect([text.code, text.stdout]).toEqual([0, `dry run: would call RotateSecret in eu-west-1 for\n  app  ${ROTATED.app}\n`]);
    const json = rotate(["test", "--dry-run", "--output", "json"]);
    expect(JSON.parse(json.stdout)).toEqual({ functionArn: FUNCTION_ARN, region: "eu-west-1", secrets: [{ user: "migrator", secretArn: ROTATED.migrator }, { user: "app", secretArn: ROTATED.app }] });
  });
});

describe("the core of npm run rotate", () => {
  it("parses the command line and picks the secrets from the outputs", () => {
    expect(parseRotateArgs(["dev", "--user", "app", "--user", "app"])).toEqual({ environment: "dev", users: ["app"], outputs: ["dev-outputs.json"], waitSeconds: 600, dryRun: false, output: "text" });
    expect(() => rotationRequest({ rotation_function_arn: FUNCTION_ARN, rotated_secrets: {} }, [])).toThrow("the environment has no users with a password: nothing to rotate");
    expect(() => rotationRequest({ rotation_function_arn: FUNCTION_ARN, rotated_secrets: ["x"] }, [])).toThrow('stack output "rotated_secrets" is missing or not a map of user to secret ARN');
  });

  /** A Secrets Manager answering DescribeSecret with each of `stages` in turn (the last one repeated). */
  const secretsManager = (enabled: boolean, stages: (string[] | undefined)[], rotate?: Error) => {
    const client = new SecretsManagerClient({ region: "eu-west-1" });
    const mock = mockClient(client);
    let call = 0;
    mock.on(DescribeSecretCommand).callsFake(() => {
      const at = call++;
      if (at === 0) return { RotationEnabled: enabled, VersionIdsToStages: { v1: ["AWSCURRENT"] } };
      const now = stages[Math.min(at - 1, stages.length - 1)];
      return { RotationEnabled: true, VersionIdsToStages: { v1: ["AWSCURRENT"], ...(now ? { v2: now } : {}) } };
    });
    if (rotate) mock.on(RotateSecretCommand).rejects(rotate);
    else mock.on(RotateSecretCommand).resolves({ VersionId: "v2" });
    return { client, rotateCalls: () => mock.commandCalls(RotateSecretCommand).map((c) => c.args[0].input) };
  };
  const clock = () => {
    let t = 0;
    return { now: () => t, sleep: async (ms: number) => void (t += ms) };
  };

  it("starts the rotation (naming the function only where no schedule does) and waits until the new version is AWSCURRENT, printing what it sees", async () => {
    for (const enabled of [true, false]) {
      const { client, rotateCalls } = secretsManager(enabled, [["AWSPENDING"], ["AWSPENDING"], ["AWSCURRENT"]]);
      const printed: string[] = [];
      const result = await rotateOne({ user: "app", secretArn: ROTATED.app }, FUNCTION_ARN, 60, { secrets: client, print: (l) => printed.push(l), ...clock(), pollMs: 3_000 });
      expect(result).toEqual({ user: "app", versionId: "v2", seconds: 6 });
      expect(rotateCalls()).toEqual([{ SecretId: ROTATED.app, RotateImmediately: true, ...(enabled ? {} : { RotationLambdaARN: FUNCTION_ARN }) }]);
      expect(printed).toEqual([
        "app: rotation started, new version v2 (createSecret, setSecret, testSecret, finishSecret run in shop-test-db-rotate)",
        "app: version v2 is AWSPENDING after 0 s",
        "app: version v2 is AWSCURRENT after 6 s",
      ]);
    }
  });

  it.each([
    [[["AWSPENDING"]], "app: version v2 is still AWSPENDING after 10 s: the rotation failed or is still being retried by Secrets Manager; read the log group /aws/lambda/shop-test-db-rotate (\"rotation failed at <step>: …\")"],
    [[["AWSPENDING"], undefined], "app: version v2 lost AWSPENDING without becoming AWSCURRENT (another rotation replaced it?); read the log group /aws/lambda/shop-test-db-rotate"],
  ])("fails with exit 5 when the rotation does not finish: %j", async (stages, message) => {
    const { client } = secretsManager(true, stages);
    const error = await rotateOne({ user: "app", secretArn: ROTATED.app }, FUNCTION_ARN, 10, { secrets: client, print: () => undefined, ...clock() }).catch((e: unknown) => e);
    expect([(error as ScriptError).exitCode, (error as Error).message]).toEqual([5, message]);
  });

  it("fails with exit 5 when Secrets Manager refuses to start a rotation", async () => {
    const { client } = secretsManager(true, [], new InvalidRequestException({ message: "A previous rotation isn't complete. That rotation will be reattempted.", $metadata: {} }));
    const error = await rotateOne({ user: "app", secretArn: ROTATED.app }, FUNCTION_ARN, 10, { secrets: client, print: () => undefined, ...clock() }).catch((e: unknown) => e);
    expect([(error as ScriptError).exitCode, (error as Error).message]).toEqual([5, "app: RotateSecret refused (InvalidRequestException: A previous rotation isn't complete. That rotation will be reattempted.); nothing was changed by this command"]);
  });
});

const noMoto = !motoAvailable();
if (noMoto) console.warn("\n!!! SKIPPED: npm run rotate against Secrets Manager's wire protocol — moto_server is not installed (pip install 'moto[server]')\n");

describe.skipIf(noMoto)("npm run rotate with Secrets Manager on the wire (moto_server)", () => {
  let moto: Awaited<ReturnType<typeof startMoto>>;
  let secrets: SecretsManagerClient;
  beforeAll(async () => {
    moto = await startMoto();
    secrets = new SecretsManagerClient({ region: "eu-west-1", endpoint: moto.endpoint, credentials: { accessKeyId: "AKIAEXAMPLEEXAMPLE00", secretAccessKey: "example-secret-not-real" } });
  }, 60_000);
  afterAll(async () => {
    secrets?.destroy();
    await moto?.stop();
  });

  it("RotateSecret is accepted on a secret with a schedule and the new version is waited for (moto finishes it without a function)", async () => {
    const secretArn = (await secrets.send(new CreateSecretCommand({ Name: "shop/test/database/app", SecretString: JSON.stringify({ username: "app", password: "x" }) }))).ARN!;
    await secrets.send(new RotateSecretCommand({ SecretId: secretArn, RotationRules: { AutomaticallyAfterDays: 30 } }));
    const file = join(dir, "wire-outputs.json");
    writeFileSync(file, JSON.stringify({ "test-proxy": { rotation_function_arn: FUNCTION_ARN, rotated_secrets: { app: secretArn } } }));
    const printed: string[] = [];
    const code = await runRotateCommand(["test", "--outputs", file], { secrets: () => secrets, print: (l) => printed.push(l), pollMs: 10 });
    expect(code).toBe(0);
    expect(printed[0]).toMatch(/^app: rotation started, new version [0-9a-f-]{36} /);
    expect(printed.at(-1)).toBe("rotated app");
  });
});
