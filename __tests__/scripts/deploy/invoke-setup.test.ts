/**
 * `npm run setup`: the CLI as its own process (help, usage errors before any call, the dry-run payload, an
 * invocation refused on the wire by moto's Lambda), and its core in-process against a mocked Lambda: what
 * it sends, what it prints, and how each function failure becomes an exit code. (`npm run rotate` goes
 * through Secrets Manager's rotation now: __tests__/scripts/deploy/rotate-secrets.test.ts.)
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { beforeAll, afterAll, describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { InvokeCommand, LambdaClient, ResourceNotFoundException } from "@aws-sdk/client-lambda";
import { ScriptError } from "../../../scripts/lib/cli.ts";
import { EXIT_OF_STEP, formatSummary, invokeSetup, parseInvocationArgs, runInvocationCommand, setupInvocation } from "../../../scripts/lib/deploy/invoke-setup.ts";
import { SETUP_STEPS, type SetupSummary } from "../../../scripts/lib/setup/run-setup.ts";
import type { SetupInput } from "../../../scripts/lib/setup/event.ts";
import { motoAvailable, startMoto } from "../../support/moto.ts";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const arn = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbCdEf`;
const SETUP_INPUT: SetupInput = {
  dialect: "postgresql", host: "shop-test.cluster-abc123.eu-west-1.rds.amazonaws.com", port: 5432, database: "shop", engine: "aurora-postgresql",
  proxyHost: "shop-test.proxy-abc123.eu-west-1.rds.amazonaws.com", masterSecretArn: arn("rds!cluster-master"), proxyMasterAuth: "iam", waitSeconds: 600,
  users: [
    { name: "migrator", privileges: "owner", login: "password", secretArn: arn("shop/test/database/migrator") },
    { name: "app", privileges: "readwrite", login: "password", secretArn: arn("shop/test/database/app") },
    { name: "etl", privileges: "readonly", login: "iam", secretArn: arn("shop/test/database/etl"), secretHost: "shop-test.cluster-abc123.eu-west-1.rds.amazonaws.com" },
  ],
};
const OUTPUTS = {
  "test-database": { database_name: "shop" },
  "test-proxy": { proxy_endpoint: SETUP_INPUT.proxyHost, setup_function_name: "shop-test-setup", setup_input: SETUP_INPUT },
};

const dir = mkdtempSync(join(tmpdir(), "dbstack-invoke-setup-"));
writeFileSync(join(dir, "test-outputs.json"), JSON.stringify(OUTPUTS));
writeFileSync(join(dir, "no-function.json"), JSON.stringify({ "test-proxy": { setup_input: SETUP_INPUT } }));
writeFileSync(join(dir, "bad-input.json"), JSON.stringify({ "test-proxy": { setup_function_name: "shop-test-setup", setup_input: { ...SETUP_INPUT, port: "5432" } } }));
const credentials = { AWS_ACCESS_KEY_ID: "AKIAEXAMPLEEXAMPLE00", AWS_SECRET_ACCESS_KEY: "example-secret-not-real", AWS_EC2_METADATA_DISABLED: "true" };

/** A CLI in its own process, from `cwd` (default outputs file: <env>-outputs.json there); AWS points nowhere unless `env` says so. */
function run(script: "setup", args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ["--import", TSX, join(ROOT, `scripts/${script}.ts`), ...args], {
    cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH!, HOME: tmpdir(), ...credentials, AWS_ENDPOINT_URL: "http://127.0.0.1:1", ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
const setup = (args: string[], env: Record<string, string> = {}) => run("setup", args, env);
/** The first line of stderr that is the script's own (not a Node or SDK warning). */
const firstError = (stderr: string) => stderr.split("\n").filter((l) => !/NodeVersionSupport|node >=22|^$/.test(l))[0];

describe("npm run setup as a process", () => {
  it("prints its help with the exit codes and exits 0", () => {
    const { code, stdout } = setup(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: npm run setup -- <env> \[options\]\n/);
    expect(stdout).toContain("terraform-plugin-sdk#476");
    expect(stdout).toContain("Exit codes:\n  0  done");
    expect(stdout).toContain("  2  usage: bad flags, unreadable outputs, a setup input the function would refuse (nothing was called)");
    expect(stdout).toContain("  6  a SQL statement failed in the function");
    expect(stdout).not.toContain("--user");
  });

  it.each([
    [[], /^error: name one environment, e\.g\. npm run setup -- staging \(got none\)/],
    [["test", "prod"], /^error: name one environment, e\.g\. npm run setup -- staging \(got "test" "prod"\)/],
    [["test", "--user", "app"], /^error: Unknown option '--user'/],
    [["test", "--output", "xml"], /^error: --output must be text or json, not xml/],
    [["staging"], /^error: cannot read outputs file staging-outputs\.json: ENOENT/],
    [["test", "--outputs", "no-function.json"], /^error: stack output "setup_function_name" is missing/],
    [["test", "--outputs", "bad-input.json"], /^error: stack output "setup_input" is not what the setup function accepts: invalid setup event: port: must be a whole number from 1 to 65535/],
  ])("fails with exit 2 before any call: %j", (args, message) => {
    const { code, stderr } = setup(args);
    expect(firstError(stderr)).toMatch(message);
    expect(code).toBe(2);
  });

  it("--dry-run prints the function, its region and the payload: the stack's setup input as is, which the function applies", () => {
    const text = setup(["test", "--dry-run"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(`dry run: would invoke shop-test-setup in eu-west-1 with\n${JSON.stringify(SETUP_INPUT, null, 2)}\n`);
    const json = setup(["test", "--dry-run", "--output", "json", "--region", "eu-central-1"]);
    expect(JSON.parse(json.stdout)).toEqual({ functionName: "shop-test-setup", region: "eu-central-1", payload: SETUP_INPUT });
  });
});

const noMoto = !motoAvailable();
if (noMoto) console.warn("\n!!! SKIPPED: npm run setup against Lambda's wire protocol — moto_server is not installed (pip install 'moto[server]')\n");

describe.skipIf(noMoto)("npm run setup with Lambda on the wire (moto_server)", () => {
  let moto: Awaited<ReturnType<typeof startMoto>>;
  beforeAll(async () => {
    moto = await startMoto();
  }, 60_000);
  afterAll(async () => {
    await moto?.stop();
  });

  it("npm run setup exits 5 with Lambda's own error when the function does not exist", () => {
    const { code, stdout, stderr } = run("setup", ["test"], { AWS_ENDPOINT_URL: moto.endpoint });
    expect(stdout).toBe("invoking shop-test-setup in eu-west-1 (waits for the function to finish)\n");
    expect(stderr).toMatch(/^error: cannot invoke shop-test-setup in eu-west-1: ResourceNotFoundException: /m);
    expect(code).toBe(5);
  }, 60_000);
});

describe("the core of npm run setup", () => {
  const applied: SetupSummary = {
    action: "apply", changes: 3, statements: ["CREATE ROLE \"billing\" WITH LOGIN PASSWORD '********'", "GRANT \"shop_readwrite\" TO \"billing\""], secretsWritten: ["billing"], warnings: [], proxyCheck: "ok",
  };
  const invocation = setupInvocation({ setup_function_name: "shop-test-setup", setup_input: SETUP_INPUT });
  const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
  /** A Lambda client that answers Invoke with `payload`, and what it was sent. */
  const answering = (payload: unknown, functionError?: string) => {
    const lambda = new LambdaClient({ region: "eu-west-1" });
    const mock = mockClient(lambda);
    mock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode(payload) as never, ...(functionError ? { FunctionError: functionError } : {}) });
    const sent = () => mock.commandCalls(InvokeCommand).map((call) => {
      const input = call.args[0].input;
      return { ...input, Payload: JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array)) };
    });
    return { lambda, sent };
  };

  it("parses each command line: the environment first, repeated --outputs, defaults", () => {
    expect(parseInvocationArgs(["dev", "--outputs", "a.json", "--outputs", "b.json", "--region", "eu-west-1", "--dry-run", "--output", "json"])).toEqual({
      environment: "dev", outputs: ["a.json", "b.json"], region: "eu-west-1", dryRun: true, output: "json",
    });
    expect(parseInvocationArgs(["dev", "--dry-run"])).toEqual({ environment: "dev", outputs: ["dev-outputs.json"], dryRun: true, output: "text" });
    expect(() => parseInvocationArgs(["dev", "--user", "app"])).toThrow("Unknown option '--user'");
    expect(parseInvocationArgs(["--help"])).toBe("help");
  });

  it("apply: sends the stack's setup input (also as JSON text) without tf or rotate, which the function reads as apply; an environment of IAM users only is fine", () => {
    const apply = setupInvocation({ setup_function_name: "shop-test-setup", setup_input: JSON.stringify({ ...SETUP_INPUT, tf: { action: "update", prev_input: null }, rotate: {} }) });
    expect(apply).toEqual({ functionName: "shop-test-setup", region: "eu-west-1", payload: SETUP_INPUT });
    const iamOnly = { ...SETUP_INPUT, users: [SETUP_INPUT.users[2]!] };
    expect(setupInvocation({ setup_function_name: "f", setup_input: iamOnly }).payload).toEqual(iamOnly);
    expect(() => setupInvocation({ setup_function_name: "f", setup_input: { ...SETUP_INPUT, proxyHost: "" } }))
      .toThrow('stack output "setup_input" is not what the setup function accepts: invalid setup event: proxyHost: must be a host name');
    expect(() => setupInvocation({ setup_function_name: "f" })).toThrow('stack output "setup_input" is missing');
  });

  it("invokes synchronously with the payload and returns the function's summary", async () => {
    const { lambda, sent } = answering(applied);
    expect(await invokeSetup(lambda, invocation)).toEqual(applied);
    expect(sent()).toEqual([{ FunctionName: "shop-test-setup", InvocationType: "RequestResponse", Payload: SETUP_INPUT }]);
  });

  it("npm run setup: invokes once with the stack's input and prints what was applied; --output json prints the summary", async () => {
    const outputsFile = join(dir, "test-outputs.json");
    for (const [output, expected] of [
      ["text", [
        "invoking shop-test-setup in eu-west-1 (waits for the function to finish)",
        "applied 2 statement(s), 1 secret(s) written (billing)\n  CREATE ROLE \"billing\" WITH LOGIN PASSWORD '********'\n  GRANT \"shop_readwrite\" TO \"billing\"\nproxy check: ok",
      ]],
      ["json", [JSON.stringify(applied, null, 2)]],
    ] as const) {
      const { lambda, sent } = answering(applied);
      const printed: string[] = [];
      const regions: string[] = [];
      const code = await runInvocationCommand(["test", "--outputs", outputsFile, "--output", output], {
        lambda: (region) => (regions.push(region), lambda), print: (text) => printed.push(text),
      });
      expect([code, printed, regions]).toEqual([0, expected, ["eu-west-1"]]);
      expect(sent()).toEqual([{ FunctionName: "shop-test-setup", InvocationType: "RequestResponse", Payload: SETUP_INPUT }]);
    }
  });

  it("npm run setup: a function failure is the exit code of its step, and nothing is printed after the invoking line", async () => {
    const { lambda } = answering({ errorType: "SetupError", errorMessage: "setup failed at wait: the database at h:5432 did not accept connections within 580 s", trace: [] }, "Unhandled");
    const printed: string[] = [];
    const error = await runInvocationCommand(["test", "--outputs", join(dir, "test-outputs.json")], { lambda: () => lambda, print: (text) => printed.push(text) }).catch((e: unknown) => e);
    expect([(error as ScriptError).exitCode, (error as Error).message]).toEqual([3, "shop-test-setup: setup failed at wait: the database at h:5432 did not accept connections within 580 s"]);
    expect(printed).toEqual(["invoking shop-test-setup in eu-west-1 (waits for the function to finish)"]);
  });

  it.each([
    ["setup failed at event: invalid setup event: rotate.users: names no configured user: \"bob\"", 2],
    ["setup failed at secrets: cannot read secret arn:… (AWSCURRENT): AccessDeniedException", 5],
    ["setup failed at wait: the database at h:5432 did not accept connections within 580 s (12 attempts; last: connect ETIMEDOUT)", 3],
    ["setup failed at login: the database refused the master user master: password authentication failed for user \"master\"", 4],
    ["setup failed at sql: statement 1 failed (ALTER ROLE \"app\" WITH LOGIN PASSWORD '********'): permission denied", 6],
    ["setup failed at proxy check: SELECT 1 through the proxy p:5432 as master did not succeed within 30 s", 3],
    ["Task timed out after 900.00 seconds", 1],
  ])("fails with the function's message and the exit code of its step: %s", async (errorMessage, exitCode) => {
    const { lambda } = answering({ errorType: "SetupError", errorMessage, trace: [] }, "Unhandled");
    const error = await invokeSetup(lambda, invocation).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScriptError);
    expect([(error as ScriptError).exitCode, (error as Error).message]).toEqual([exitCode, `shop-test-setup: ${errorMessage}`]);
  });

  it("maps every step the function can name to an exit code", () => {
    expect(Object.keys(EXIT_OF_STEP).sort()).toEqual([...SETUP_STEPS].sort());
  });

  it("fails with exit 5 when the invocation itself is refused", async () => {
    const lambda = new LambdaClient({ region: "eu-west-1" });
    mockClient(lambda).on(InvokeCommand).rejects(new ResourceNotFoundException({ message: "Function not found: shop-test-setup", $metadata: {} }));
    const error = await invokeSetup(lambda, invocation).catch((e: unknown) => e);
    expect([(error as ScriptError).exitCode, (error as Error).message]).toEqual([5, "cannot invoke shop-test-setup in eu-west-1: ResourceNotFoundException: Function not found: shop-test-setup"]);
  });

  it("prints what was applied, each warning, and the proxy check", () => {
    expect(formatSummary("shop-test-setup", { ...applied, warnings: ["app: the database's password differs from the one in its secret; setting the secret's"] })).toEqual([
      "applied 2 statement(s), 1 secret(s) written (billing)",
      "  CREATE ROLE \"billing\" WITH LOGIN PASSWORD '********'",
      "  GRANT \"shop_readwrite\" TO \"billing\"",
      "  warning: app: the database's password differs from the one in its secret; setting the secret's",
      "proxy check: ok",
    ]);
    expect(formatSummary("shop-test-setup", { action: "apply", changes: 0, statements: [], secretsWritten: [], warnings: [], proxyCheck: "skipped: proxyHost is the writer endpoint, which the apply already used" })).toEqual([
      "shop-test-setup: nothing to do, the database and secrets already match",
      "proxy check: skipped: proxyHost is the writer endpoint, which the apply already used",
    ]);
  });
});
