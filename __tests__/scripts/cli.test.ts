import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { buildEnvironment, environment } from "../helpers.ts";

/** Runs a script the way users do, in its own process, with fake credentials and no AWS reachable. */
function run(script: string, args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ["--import", "tsx", `scripts/${script}.ts`, ...args], {
    encoding: "utf8",
    timeout: 60_000,
    env: {
      PATH: process.env.PATH!, HOME: tmpdir(), AWS_ACCESS_KEY_ID: "AKIAEXAMPLEEXAMPLE00", AWS_SECRET_ACCESS_KEY: "example-secret-not-real",
      AWS_REGION: "eu-west-1", AWS_EC2_METADATA_DISABLED: "true", ...env,
    },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function outputsFile(values: Record<string, unknown>): string {
  const file = join(mkdtempSync(join(tmpdir(), "dbstack-outputs-")), "outputs.json");
  writeFileSync(file, JSON.stringify({ test: values }));
  return file;
}

const outputs = {
  proxy_endpoint: "127.0.0.1", database_port: "1", master_secret_arn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:master-AbCdEf",
  master_username: "dbadmin", master_auth: "iam", database_engine_family: "POSTGRESQL", database_name: "shop", database_engine: "aurora-postgresql",
  database_users: { app: { auth: "iam", privileges: "readwrite" } }, user_secret_arns: { app: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-AbCdEf" },
};

describe("scripts as processes", () => {
  it.each(["bootstrap-database", "register-task-definition", "db-token", "migrate"])("%s --help prints usage and the exit codes, exit 0", (script) => {
    const { code, stdout } = run(script, ["--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: /);
    expect(stdout).toContain("4  the database refused the credentials");
  });

  it("bootstrap without its required flags exits 2", () => {
    const { code, stderr } = run("bootstrap-database", []);
    expect(code).toBe(2);
    expect(stderr).toBe("error: --outputs and --stack are required (see --help)\n");
  });

  it("bootstrap with an unknown flag exits 2", () => {
    expect(run("bootstrap-database", ["--outputs", "x", "--stack", "y", "--yolo"]).code).toBe(2);
  });

  it("bootstrap exits 3 with a clear message when the database never answers", () => {
    const { code, stdout, stderr } = run("bootstrap-database", ["--outputs", outputsFile(outputs), "--stack", "test", "--wait-seconds", "1", "--tls", "require"]);
    expect(code).toBe(3);
    expect(stdout).toContain("waiting for 127.0.0.1:1 (up to 1 s)");
    expect(stdout).toMatch(/attempt 1: connect ECONNREFUSED 127\.0\.0\.1:1; retrying in/);
    expect(stderr).toMatch(/^error: the database at 127\.0\.0\.1:1 did not accept connections within 1 s \(\d+ attempts; last: connect ECONNREFUSED/m);
    expect(`${stdout}${stderr}`).not.toContain("X-Amz-Signature");
  });

  it("bootstrap reads an environment's layers from several terraform output -json files, merged", () => {
    const file = (values: Record<string, unknown>) => {
      const path = join(mkdtempSync(join(tmpdir(), "dbstack-tf-outputs-")), "outputs.json");
      writeFileSync(path, JSON.stringify(Object.fromEntries(Object.entries(values).map(([k, value]) => [k, { value, type: "string", sensitive: false }]))));
      return path;
    };
    const { database_users, user_secret_arns, ...proxyLayer } = outputs;
    // The users come from one file, the endpoint from the other: the refused name proves both were read.
    const { code, stderr } = run("bootstrap-database", [
      "--outputs", file(proxyLayer), "--outputs", file({ database_users: { ...database_users, rds_iam: { auth: "iam", privileges: "readonly" } }, user_secret_arns: { ...user_secret_arns, rds_iam: "arn:rds_iam" } }),
      "--stack", "test", "--wait-seconds", "1", "--tls", "require",
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain('database_users.rds_iam: "rds_iam"');
  });

  it("bootstrap names a missing stack output", () => {
    const { code, stderr } = run("bootstrap-database", ["--outputs", outputsFile({ ...outputs, proxy_endpoint: undefined }), "--stack", "test"]);
    expect(code).toBe(2);
    expect(stderr).toBe([
      "error: stack outputs of test: 1 problem",
      "  - proxy_endpoint: (not set) — must be a non-empty string (is the stack deployed, and the outputs file current?)",
      "",
    ].join("\n"));
  });

  it("bootstrap exits 2, naming each field, before any connection or AWS call, for names the config would refuse", () => {
    // Any call would fail differently: nothing listens on port 1, and AWS calls go to a closed port.
    const hostile = {
      ...outputs, master_auth: "iam", database_name: "x".repeat(54),
      database_users: { rds_iam: { auth: "iam", privileges: "readwrite" }, pg_monitor: { auth: "password", privileges: "readonly" }, dbadmin: { auth: "iam", privileges: "owner" }, "bücher_über_lange_namen_äöü_ßßßßßßßßßßßßßßßßßßßßßß": { auth: "password", privileges: "superuser" } },
      user_secret_arns: Object.fromEntries(["rds_iam", "pg_monitor", "dbadmin", "bücher_über_lange_namen_äöü_ßßßßßßßßßßßßßßßßßßßßßß"].map((name) => [name, `arn:${name}`])),
    };
    const { code, stdout, stderr } = run("bootstrap-database", ["--outputs", outputsFile(hostile), "--stack", "test", "--assume-role", "arn:aws:iam::123456789012:role/x"],
      { AWS_ENDPOINT_URL: "http://127.0.0.1:1" });
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr.split("\n").map((line) => line.split(" — ")[0])).toEqual([
      "error: stack outputs of test: 6 problems",
      `  - database_name: "${"x".repeat(54)}"`,
      '  - database_users.rds_iam: "rds_iam"',
      '  - database_users.pg_monitor: "pg_monitor"',
      '  - database_users.dbadmin: "dbadmin"',
      '  - database_users.bücher_über_lange_namen_äöü_ßßßßßßßßßßßßßßßßßßßßßß: "bücher_über_lange_namen_äöü_ßßßßßßßßßßßßßßßßßßßßßß"',
      '  - database_users.bücher_über_lange_namen_äöü_ßßßßßßßßßßßßßßßßßßßßßß.privileges: "superuser"',
      "",
    ]);
    expect(stderr).toContain('database name must be at most 53 bytes in UTF-8, not 54: the group role "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx_readwrite" derived from it would be 64 bytes, and PostgreSQL keeps 63');
    expect(stderr).toContain("user name must be at most 63 bytes in UTF-8, not 77: PostgreSQL would truncate or refuse it");
    expect(stderr).toContain("user name must differ from the master user, which the proxy already serves");
  });

  it("bootstrap exits 2, before any call, for a --rotate-user that is not a password user", () => {
    const { code, stdout, stderr } = run("bootstrap-database", ["--outputs", outputsFile(outputs), "--stack", "test", "--rotate-user", "nobody"], { AWS_ENDPOINT_URL: "http://127.0.0.1:1" });
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe('error: invalid input: 1 problem\n  - --rotate-user: "nobody" — must name a password user (app)\n');
  });

  it("register-task-definition --dry-run prints the rendered input from a real synth", () => {
    const input = environment({ clients: { services: { api: { legacyNames: true, user: "app", mode: "template", container: { imageRepository: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop", imageTag: "seed", cpu: 256, memory: 512 } } } } });
    const outdir = Testing.fullSynth(buildEnvironment(input).ecsTaskdef!);
    const file = outputsFile({
      ecs_task_definition_template: JSON.parse(readFileSync(join(outdir, "stacks", "test-ecs-taskdef", "cdk.tf.json"), "utf8")).output.ecs_task_definition_template.value,
      ecs_execution_role_arn: "arn:aws:iam::123456789012:role/e", ecs_task_role_arn: "arn:aws:iam::123456789012:role/t",
      ecs_user_secret_arn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-AbCdEf", ecs_log_group_name: "/ecs/shop-test",
    });
    const { code, stdout } = run("register-task-definition", ["--outputs", file, "--stack", "test", "--outdir", outdir, "--image", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:abc123", "--dry-run"]);
    expect(code).toBe(0);
    const rendered = JSON.parse(stdout);
    expect(rendered).toMatchObject({ family: "shop-test", executionRoleArn: "arn:aws:iam::123456789012:role/e", containerDefinitions: [{ image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:abc123" }] });
  });

  it("register-task-definition --service fills the template of that service from the named outputs", () => {
    const container = { imageRepository: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop", imageTag: "seed", cpu: 256, memory: 512 };
    const input = environment({ clients: { services: { api: { user: "app", mode: "template", container }, worker: { user: "reporting", mode: "template", container: { ...container, cpu: 512, memory: 1024 } } } } });
    const outdir = Testing.fullSynth(buildEnvironment(input).ecsTaskdef!);
    const services = JSON.parse(readFileSync(join(outdir, "stacks", "test-ecs-taskdef", "cdk.tf.json"), "utf8")).output.ecs_services.value as Record<string, { task_definition_template: string }>;
    const roles = (name: string) => ({ execution_role_arn: `arn:aws:iam::123456789012:role/${name}-e`, task_role_arn: `arn:aws:iam::123456789012:role/${name}-t`, user_secret_arn: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbCdEf` });
    const file = outputsFile({
      ecs_services: Object.fromEntries(Object.entries(services).map(([name, s]) => [name, { ...s, family: `shop-test-${name}`, log_group_name: `/ecs/shop-test-${name}` }])),
      ecs_service_roles: { api: roles("api"), worker: roles("worker") },
    });
    const args = ["--outputs", file, "--stack", "test", "--outdir", outdir, "--image", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:abc123", "--dry-run"];
    const { code, stdout } = run("register-task-definition", [...args, "--service", "worker"]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ family: "shop-test-worker", cpu: "512", executionRoleArn: "arn:aws:iam::123456789012:role/worker-e", taskRoleArn: "arn:aws:iam::123456789012:role/worker-t" });
    const without = run("register-task-definition", args);
    expect(without.code).toBe(2);
    expect(without.stderr).toContain("--service is required: the environment has services api, worker");
  });

  it("register-task-definition exits 2 when the template was not synthesized", () => {
    const file = outputsFile({ ecs_task_definition_template: "missing.json" });
    const { code, stderr } = run("register-task-definition", ["--outputs", file, "--stack", "test", "--image", "shop"]);
    expect(code).toBe(2);
    expect(stderr).toContain("error: cannot read the template");
  });

  it("db-token prints only a token signed for the host and user", () => {
    const { code, stdout, stderr } = run("db-token", ["--host", "shop.proxy-abc.eu-west-1.rds.amazonaws.com", "--user", "app"]);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    expect(stdout.trim()).toMatch(/^shop\.proxy-abc\.eu-west-1\.rds\.amazonaws\.com:5432\/\?Action=connect&DBUser=app&X-Amz-Algorithm=AWS4-HMAC-SHA256&\S+$/);
  });

  it("migrate names the missing setting with exit 2", () => {
    const { code, stderr } = run("migrate", [], { DB_HOST: "h" });
    expect(code).toBe(2);
    expect(stderr).toBe("error: environment variable DB_ENGINE_FAMILY is not set\n");
  });
});

