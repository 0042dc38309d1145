import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
import { environments } from "../../stacks/environments.ts";
import { environment, fixtures, synthEnvironment } from "../helpers.ts";

const shipped = Object.fromEntries(environments.map((e) => [e.name, synthEnvironment(e)]));

describe.each(Object.keys(shipped))("the %s stack", (name) => {
  const { json, parsed } = shipped[name]!;

  it("keeps its state in S3, encrypted, with S3-native locking, under its own key", () => {
    expect(parsed.terraform.backend).toEqual({
      s3: { bucket: "orders-terraform-state", key: `dbstack/${name}.tfstate`, region: "eu-west-1", encrypt: true, use_lockfile: true },
    });
  });

  it("pins the provider to its account and tags everything", () => {
    const env = environments.find((e) => e.name === name)!;
    expect(json).toHaveProviderWithProperties(AwsProvider, {
      region: "eu-west-1",
      allowed_account_ids: [env.account],
      default_tags: [{ tags: { App: "orders", Environment: name, ManagedBy: "dbstack", ...env.tags } }],
    });
  });

  it("outputs what scripts and other stacks need", () => {
    const common = [
      "application_subnet_ids", "clients_security_group_id", "database_engine_family", "database_identifier", "database_name",
      "database_port", "database_reader_endpoint", "database_resource_id", "database_security_group_id", "database_subnet_ids",
      "database_users", "database_writer_endpoint", "ecs_execution_role_arn", "ecs_family", "ecs_log_group_name", "ecs_task_role_arn",
      "ecs_user_secret_arn", "kms_key_arn", "master_auth", "master_secret_arn", "master_username", "database_engine", "migrations_project_name", "proxy_arn", "proxy_endpoint", "proxy_name",
      "proxy_resource_id", "proxy_security_group_id", "ssm_parameter_path", "user_secret_arns", "vpc_id",
    ];
    const specific: Record<string, string[]> = {
      dev: ["ecs_task_definition_template", "lambda_function_name"],
      staging: ["ecs_task_definition_arn", "proxy_read_only_endpoint"],
      prod: ["ecs_task_definition_template", "pipeline_name", "proxy_read_only_endpoint"],
    };
    expect(Object.keys(parsed.output).sort()).toEqual([...common, ...specific[name]!].sort());
    expect(parsed.output.database_identifier!.value).toBe(`orders-${name}`);
    expect(parsed.output.proxy_resource_id!.value).toMatch(/^\$\{element\(split\(":", aws_db_proxy\.proxy_[0-9A-F]+\.arn\), 6\)\}$/);
  });

  it("holds no password and no master_password argument", () => {
    expect(json).not.toMatch(/master_password"|"password"\s*:/);
    expect(json).toMatch(/"manage_master_user_password": true/);
  });
});

describe("construct ids are a public contract", () => {
  it("keep the logical names of stateful resources stable (a rename here replaces the resource)", () => {
    const { parsed } = shipped.prod!;
    const names = (type: string) => Object.keys(parsed.resource[type] ?? {});
    expect(names("aws_rds_cluster")).toEqual(["database_cluster_FAF2FB92"]);
    expect(names("aws_rds_cluster_instance")).toEqual(["database_instance-1_95FDBD23", "database_instance-2_67AB9804", "database_instance-3_A4FBCB4D"]);
    expect(names("aws_rds_cluster_parameter_group")).toEqual(["database_cluster-parameters_B7F2D9B3"]);
    expect(names("aws_kms_key")).toEqual(["key_F64E54E4"]);
    expect(names("aws_vpc")).toEqual(["network_vpc_4E8F0223"]);
    expect(names("aws_db_subnet_group")).toEqual(["network_db-subnet-group_C930E3C6"]);
    expect(names("aws_security_group")).toEqual(["network_database-clients_039FB1E1", "network_database_13AE05D2", "network_proxy_5291ABF8"]);
  });
});

describe("stack variations", () => {
  it("uses a local state file when asked", () => {
    expect(synthEnvironment(environment()).parsed.terraform.backend).toEqual({ local: { path: "terraform.test.tfstate" } });
  });

  it("uses a key it is given instead of creating one", () => {
    const kmsKeyArn = "arn:aws:kms:eu-west-1:123456789012:key/0b2d6a1e-1111-4c1d-9a4e-123456789abc";
    const { parsed } = synthEnvironment(environment({ encryption: { kmsKeyArn } }));
    expect(parsed.resource.aws_kms_key).toBeUndefined();
    expect(Object.values(parsed.resource.aws_rds_cluster!)[0]!.kms_key_id).toBe(kmsKeyArn);
  });

  it.each(Object.keys(fixtures))("synthesizes the %s fixture without a reader endpoint output unless Aurora", (fixture) => {
    const { parsed } = synthEnvironment(fixtures[fixture]!);
    const aurora = fixture.startsWith("aurora") || fixture.startsWith("adopt");
    expect("database_reader_endpoint" in parsed.output).toBe(aurora);
  });

  it("fails fast, before any construct, listing every problem", () => {
    expect(() => synthEnvironment(environment({ region: "nowhere", account: "x" }))).toThrow(/2 problems/);
  });
});

describe("main.ts", () => {
  it("synthesizes one stack per environment, named after it", async () => {
    const { execFileSync } = await import("node:child_process");
    const { mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const outdir = mkdtempSync(join(tmpdir(), "dbstack-main-"));
    const printed = execFileSync(process.execPath, ["--import", "tsx", "main.ts"], { env: { ...process.env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: "1" }, encoding: "utf8" });
    expect(readdirSync(join(outdir, "stacks")).sort()).toEqual(["dev", "prod", "staging"]);
    const prod = readFileSync(join(outdir, "stacks", "prod", "cdk.tf.json"), "utf8");
    expect(prod).toContain('"cluster_identifier": "orders-prod"');
    // The budget table is printed, and budget and policy findings are written for the review report.
    expect(printed).toContain("connection budget prod: OK — demand 66 of 1527 (4 %), headroom 1461");
    const budget = JSON.parse(readFileSync(join(outdir, "dbstack", "prod", "budget.json"), "utf8"));
    expect(budget).toMatchObject({ supply: 1527, totalDemand: 66, status: "ok", maxConnections: { value: 1697 } });
    const devPolicy = JSON.parse(readFileSync(join(outdir, "dbstack", "dev", "policy.json"), "utf8"));
    expect(devPolicy.map((f: { rule: string }) => f.rule)).toEqual(["DBS3", "DBS4", "DBS5", "PRX2", "PRX3"]);
  }, 60_000);
});
