import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { resolveEnvironments } from "../../stacks/config.ts";
import type { LambdaClientSettingsInput } from "../../modules/clients.ts";
import { localSources } from "../../modules/lambda-bundle.ts";
import { zipSingleFile } from "../../modules/zip.ts";
import { buildEnvironment, environment, resourcesOf, synthEnvironment, type SynthesizedStack } from "../helpers.ts";
import { Testing } from "cdktf";

const withLambda = (lambda: Partial<LambdaClientSettingsInput> = {}) => environment({ clients: { functions: { "db-check": { legacyNames: true, user: "app", ...lambda } } } });
const statementsOf = (policy: Record<string, unknown>) => (JSON.parse(String(policy.policy)) as { Statement: Record<string, unknown>[] }).Statement;

describe("LambdaClient", () => {
  const { json, parsed } = synthEnvironment(withLambda({ reservedConcurrency: 10, memoryMb: 512 }));
  const fn = Object.values(resourcesOf(parsed, "aws_lambda_function"))[0]!;

  it("runs in the private application subnets with the database-clients group, traced, with an encrypted environment", () => {
    expect(json).toHaveResourceWithProperties(LambdaFunction, {
      function_name: "shop-test-db-check", runtime: "nodejs22.x", handler: "index.handler", architectures: ["arm64"],
      memory_size: 512, timeout: 30, reserved_concurrent_executions: 10, tracing_config: { mode: "Active" },
    });
    const vpc = fn.vpc_config as { subnet_ids: string[]; security_group_ids: string[] };
    expect(vpc.subnet_ids).toEqual([expect.stringMatching(/network_application-subnet-0_/), expect.stringMatching(/network_application-subnet-1_/)]);
    expect(vpc.security_group_ids).toEqual([expect.stringMatching(/network_database-clients_/)]);
    expect(fn.kms_key_arn).toMatch(/aws_kms_keykey_/);
  });

  it("gets the proxy endpoint and user but no secret in its environment", () => {
    const variables = (fn.environment as { variables: Record<string, string> }).variables;
    expect(Object.keys(variables).sort()).toEqual(["DB_ENGINE_FAMILY", "DB_HOST", "DB_NAME", "DB_PORT", "DB_REGION", "DB_USER"]);
    expect(variables).toMatchObject({ DB_USER: "app", DB_NAME: "shop", DB_PORT: "5432", DB_ENGINE_FAMILY: "POSTGRESQL", DB_REGION: "eu-west-1" });
    expect(variables.DB_HOST).toMatch(/cross-stack-output-aws_db_proxyproxy_[0-9A-F]+endpoint/);
  });

  it("has a role that may connect as its user, write its own log group and traces, nothing more", () => {
    const rolePolicies = Object.values(resourcesOf(parsed, "aws_iam_role_policy")).filter((p) => String(p.role).includes("lambda_function-role_"));
    expect(rolePolicies.map((p) => p.name).sort()).toEqual(["connect-app-via-proxy", "vpc-logs-traces"]);
    const basics = statementsOf(rolePolicies.find((p) => p.name === "vpc-logs-traces")!);
    expect(basics.map((s) => s.Sid)).toEqual(["WriteOwnLogGroup", "ManageFunctionNetworkInterfaces", "WriteTraces"]);
    // The role is made in the iam layer before the log group exists, so the group's ARN is derived from its name.
    expect(basics[0]!.Resource).toBe("arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/shop-test-db-check:*");
    expect(fn.depends_on).toEqual([expect.stringMatching(/^aws_cloudwatch_log_group\.lambda_log-group_/)]);
    expect(fn.role).toMatch(/cross-stack-output-aws_iam_rolelambda_function-role_[0-9A-F]+arn/);
  });

  it("ships the bundled handler as a zip asset whose index.js loads and exports the handler", () => {
    const env = buildEnvironment(withLambda({ reservedConcurrency: 5 }));
    const outdir = Testing.fullSynth(env.clients!);
    const synthesized = JSON.parse(readFileSync(join(outdir, "stacks", "test-clients", "cdk.tf.json"), "utf8")) as SynthesizedStack;
    const lambda = Object.values(resourcesOf(synthesized, "aws_lambda_function"))[0]!;
    expect(lambda.filename).toMatch(/^assets\/lambda_code_[0-9A-F]+\/[0-9A-F]+\/db-check\.zip$/);
    expect(lambda.source_code_hash).toMatch(/^[0-9A-F]{32}$/);
    const unpacked = mkdtempSync(join(tmpdir(), "dbstack-lambda-zip-"));
    execFileSync("unzip", ["-q", join(outdir, "stacks", "test-clients", String(lambda.filename)), "-d", unpacked]);
    const loaded = execFileSync(process.execPath, ["-e", `const m = require(${JSON.stringify(join(unpacked, "index.js"))}); console.log(typeof m.handler, typeof m.createHandler)`], { encoding: "utf8" });
    expect(loaded.trim()).toBe("function function");
  });

  it("keys the bundle cache on the handler and every project file it imports", () => {
    const sources = [...localSources(join(process.cwd(), "scripts/lambda/db-check.ts"))].map((f) => f.replace(`${process.cwd()}/`, ""));
    expect(sources).toEqual(["scripts/lambda/db-check.ts", "scripts/lib/connection/mysql-cleartext.ts", "scripts/lib/connection/tls.ts"]);
  });

  it("zips the same code to the same bytes, so the asset hash only moves when the code does", () => {
    const content = Buffer.from("exports.handler = async () => 1;\n");
    expect(zipSingleFile("index.js", content).equals(zipSingleFile("index.js", content))).toBe(true);
    expect(zipSingleFile("index.js", content).readUInt32LE(0)).toBe(0x04034b50);
  });

  it.each([
    [{ user: "reporting" }, 'test.clients.functions.db-check.user: "reporting" — must be an auth: "iam" user: the function signs a token instead of holding a password'],
    [{ user: "ghost" }, 'test.clients.functions.db-check.user: "ghost" — must be one of the environment\'s users (app, reporting, dbadmin)'],
    [{ memoryMb: 64 }, "test.clients.functions.db-check.memoryMb: 64 — must be a whole number from 128 to 10240"],
    [{ timeoutSeconds: 901 }, "test.clients.functions.db-check.timeoutSeconds: 901 — must be a whole number from 1 to 900"],
    [{ reservedConcurrency: 0 }, "test.clients.functions.db-check.reservedConcurrency: 0 — must be a whole number from 1 to 1000"],
  ])("fails on %j", (lambda, expected) => {
    expect(() => resolveEnvironments([withLambda(lambda)])).toThrow(expected);
  });
});
