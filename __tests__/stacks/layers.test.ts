import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { App } from "cdktf";
import { resolveEnvironments } from "../../stacks/config.ts";
import { Environment } from "../../stacks/environment.ts";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
import { DbProxy } from "@cdktf/provider-aws/lib/db-proxy/index.js";
import { DbProxyTarget } from "@cdktf/provider-aws/lib/db-proxy-target/index.js";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group/index.js";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key/index.js";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { RdsCluster } from "@cdktf/provider-aws/lib/rds-cluster/index.js";
import { Vpc } from "@cdktf/provider-aws/lib/vpc/index.js";
import { CodebuildProject } from "@cdktf/provider-aws/lib/codebuild-project/index.js";
import { environments } from "../../stacks/environments.ts";
import { buildEnvironment, environment, fixtures, synthEnvironment, type SynthesizedStack } from "../helpers.ts";

const shipped = Object.fromEntries(environments.map((e) => [e.name, synthEnvironment(e)]));
const stackOf = (env: string, layer: string) => shipped[env]!.stacks[`${env}-${layer}`]!;
const remoteStates = (stack: SynthesizedStack) => Object.keys(stack.data?.terraform_remote_state ?? {}).sort();

/**
 * Both state layouts ship: dev and staging in a bucket of their own account, prod in the central bucket
 * of the state account reached through a role, which the backend and every remote-state read assume.
 */
const stateLocation: Record<string, Record<string, unknown>> = {
  dev: { bucket: "orders-terraform-state-111111111111" },
  staging: { bucket: "orders-terraform-state-222222222222" },
  prod: { bucket: "orders-terraform-state", assume_role: { role_arn: "arn:aws:iam::444444444444:role/orders-terraform-state", session_name: "dbstack-prod" } },
};

describe.each(Object.keys(shipped))("the %s environment's stacks", (name) => {
  const env = environments.find((e) => e.name === name)!;

  it("are the five layers of the articles plus the clients and monitoring layers", () => {
    expect(Object.keys(shipped[name]!.stacks)).toEqual(["network", "database", "proxy", "iam", "ecs-taskdef", "clients", "monitoring"].map((layer) => `${name}-${layer}`));
  });

  it.each(["network", "database", "proxy", "iam", "ecs-taskdef", "clients", "monitoring"])("%s keeps its own state in S3, encrypted and locked, under <prefix>/<env>/<layer>", (layer) => {
    expect(stackOf(name, layer).parsed.terraform.backend).toEqual({
      s3: { ...stateLocation[name], key: `dbstack/${name}/${layer}.tfstate`, region: "eu-west-1", encrypt: true, use_lockfile: true },
    });
  });

  it.each(["network", "database", "proxy", "iam", "ecs-taskdef", "clients", "monitoring"])("%s pins the provider to the account and tags everything", (layer) => {
    expect(stackOf(name, layer).json).toHaveProviderWithProperties(AwsProvider, {
      region: "eu-west-1", allowed_account_ids: [env.account],
      default_tags: [{ tags: { App: "orders", Environment: name, ManagedBy: "dbstack", ...env.tags } }],
    });
  });

  it("holds no password and no master_password argument in any stack", () => {
    for (const { json } of Object.values(shipped[name]!.stacks)) expect(json).not.toMatch(/master_password"|"password"\s*:/);
    expect(stackOf(name, "database").json).toMatch(/"manage_master_user_password": true/);
  });

  it("reads upstream values only through remote state of upstream layers", () => {
    expect(remoteStates(stackOf(name, "network").parsed)).toEqual([]);
    expect(remoteStates(stackOf(name, "database").parsed)).toEqual([`cross-stack-reference-input-${name}-network`]);
    expect(remoteStates(stackOf(name, "proxy").parsed)).toEqual([`cross-stack-reference-input-${name}-database`, `cross-stack-reference-input-${name}-network`]);
    expect(remoteStates(stackOf(name, "iam").parsed)).toEqual([`cross-stack-reference-input-${name}-database`, `cross-stack-reference-input-${name}-network`, `cross-stack-reference-input-${name}-proxy`]);
    const remote = stackOf(name, "iam").parsed.data!.terraform_remote_state![`cross-stack-reference-input-${name}-proxy`]!;
    expect(remote).toEqual({
      backend: "s3", workspace: "${terraform.workspace}",
      config: { ...stateLocation[name], key: `dbstack/${name}/proxy.tfstate`, region: "eu-west-1", encrypt: true },
    });
  });
});

describe("derived names", () => {
  it.each(Object.keys(shipped))("every name %s's config derives and validates is a name its stacks really give AWS", (name) => {
    const [config] = resolveEnvironments([environments.find((e) => e.name === name)!]);
    const names: [string, string][] = [];
    const collect = (value: unknown, path: string) => {
      if (typeof value === "string") names.push([path, value]);
      else if (Array.isArray(value)) value.forEach((v, i) => collect(v, `${path}[${i}]`));
      else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) collect(v, path ? `${path}.${k}` : k);
    };
    collect(config!.names, "");
    // The secrets' prefix is the start of their names, not a name of its own.
    const used = names.filter(([path]) => path !== "secrets.prefix");
    expect(used.length).toBeGreaterThan(40);
    expect(used.filter(([, value]) => !shipped[name]!.json.includes(JSON.stringify(value)))).toEqual([]);
  });
});

describe("each layer alone", () => {
  it("network: the VPC, the DB subnet group and the four groups; outputs for every later layer", () => {
    const { json, parsed } = stackOf("prod", "network");
    expect(json).toHaveResource(Vpc);
    expect(json).toHaveResourceWithProperties(DbSubnetGroup, { name: "orders-prod-database" });
    expect(json).not.toHaveResource(RdsCluster);
    const own = Object.keys(parsed.output).filter((o) => !o.startsWith("cross-stack-output-")).sort();
    expect(own).toEqual(["application_subnet_ids", "clients_security_group_id", "database_security_group_id", "database_subnet_ids", "proxy_security_group_id", "setup_security_group_id", "vpc_id"]);
    expect(Object.keys(parsed.output).filter((o) => o.startsWith("cross-stack-output-")).length).toBeGreaterThan(0);
    expect(parsed.output["cross-stack-output-aws_vpcnetwork_vpc_4E8F0223id"]).toEqual({ value: "${aws_vpc.network_vpc_4E8F0223.id}", sensitive: true });
  });

  it("database: the key, the cluster in the network's subnet group and group, the user secrets", () => {
    const { json, parsed } = stackOf("prod", "database");
    expect(json).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true });
    expect(json).toHaveResourceWithProperties(RdsCluster, {
      cluster_identifier: "orders-prod",
      db_subnet_group_name: "${data.terraform_remote_state.cross-stack-reference-input-prod-network.outputs.cross-stack-output-aws_db_subnet_groupnetwork_db-subnet-group_C930E3C6name}",
      vpc_security_group_ids: ["${data.terraform_remote_state.cross-stack-reference-input-prod-network.outputs.cross-stack-output-aws_security_groupnetwork_database_13AE05D2id}"],
    });
    expect(json).not.toHaveResource(DbProxy);
    expect(Object.keys(parsed.output).filter((o) => !o.startsWith("cross-stack-output-")).sort()).toEqual([
      "database_engine", "database_engine_family", "database_identifier", "database_name", "database_port", "database_reader_endpoint",
      "database_resource_id", "database_users", "database_writer_endpoint", "kms_key_arn", "master_secret_arn", "master_username", "user_secret_arns",
    ]);
  });

  it("proxy: the proxy over the database's secrets, its target on the cluster, the SSM tree", () => {
    const { json, parsed } = stackOf("prod", "proxy");
    expect(json).toHaveResourceWithProperties(DbProxy, { name: "orders-prod", engine_family: "POSTGRESQL", require_tls: true });
    expect(json).toHaveResourceWithProperties(DbProxyTarget, { db_cluster_identifier: "orders-prod" });
    expect(json).not.toHaveResource(RdsCluster);
    expect(Object.keys(parsed.output).filter((o) => !o.startsWith("cross-stack-output-")).sort()).toEqual([
      "master_auth", "proxy_arn", "proxy_endpoint", "proxy_name", "proxy_read_only_endpoint", "proxy_resource_id", "rotated_secrets", "rotation_function_arn", "setup_function_name", "setup_input", "ssm_parameter_path",
    ]);
    expect(parsed.output.proxy_resource_id!.value).toMatch(/^\$\{element\(split\(":", aws_db_proxy\.proxy_[0-9A-F]+\.arn\), 6\)\}$/);
  });

  it("iam: the clients' roles, and their grants written here, reading the proxy's ARN from its state", () => {
    const { json, parsed } = stackOf("staging", "iam");
    expect(json).toHaveResourceWithProperties(IamRole, { name: "orders-staging-ecs-task" });
    expect(json).toHaveResourceWithProperties(IamRole, { name: "orders-staging-ecs-execution" });
    expect(json).toHaveResourceWithProperties(IamRole, { name: "orders-staging-migrate-codebuild" });
    const grant = Object.values(parsed.resource.aws_iam_role_policy!).find((p) => p.name === "connect-app-via-proxy")!;
    expect(JSON.parse(String(grant.policy)).Statement[0].Resource).toMatch(/^\$\{local\.service_task-role_connect-app-via-proxy-arn-prefix_[0-9A-F]+\}\/app$/);
    expect(Object.values(parsed.locals!).join(" ")).toContain("data.terraform_remote_state.cross-stack-reference-input-staging-proxy.outputs.cross-stack-output-aws_db_proxyproxy_5B0EBCF1arn");
    expect(Object.keys(parsed.output).filter((o) => !o.startsWith("cross-stack-output-")).sort()).toEqual(["ecs_execution_role_arn", "ecs_service_roles", "ecs_task_role_arn", "ecs_user_secret_arn"]);
  });

  it("ecs-taskdef: the task definition with the iam layer's roles, and its log group", () => {
    const { json } = stackOf("staging", "ecs-taskdef");
    expect(json).toHaveResourceWithProperties(EcsTaskDefinition, {
      family: "orders-staging",
      execution_role_arn: "${data.terraform_remote_state.cross-stack-reference-input-staging-iam.outputs.cross-stack-output-aws_iam_roleservice_execution-role_C3456AA3arn}",
      task_role_arn: "${data.terraform_remote_state.cross-stack-reference-input-staging-iam.outputs.cross-stack-output-aws_iam_roleservice_task-role_58F5AF4Farn}",
    });
    expect(json).not.toHaveResource(IamRole);
  });

  it("clients: the Lambda and the migration project, with roles from the iam layer", () => {
    const { json } = stackOf("dev", "clients");
    expect(json).toHaveResourceWithProperties(LambdaFunction, { function_name: "orders-dev-db-check", runtime: "nodejs22.x" });
    expect(json).toHaveResourceWithProperties(CodebuildProject, { name: "orders-dev-migrate" });
    expect(json).not.toHaveResource(IamRole);
  });
});

describe("layers that are not needed are not made", () => {
  it("an environment without clients has network, database, proxy and monitoring only", () => {
    expect(buildEnvironment(environment()).stacks.map((s) => s.node.id)).toEqual(["test-network", "test-database", "test-proxy", "test-monitoring"]);
  });

  it("an environment with only a Lambda client has no ecs-taskdef layer", () => {
    expect(buildEnvironment(environment({ clients: { functions: { reports: { user: "app" } } } })).stacks.map((s) => s.node.id))
      .toEqual(["test-network", "test-database", "test-proxy", "test-iam", "test-clients", "test-monitoring"]);
  });
});

describe("stack variations", () => {
  it("writes the state key and the whole assume_role block (external id too) into the backend and every remote-state read", () => {
    const assumeRole = { roleArn: "arn:aws:iam::444444444444:role/state/dbstack-state", externalId: "orders-ci:2026", sessionName: "dbstack-test" };
    const kmsKeyArn = "arn:aws:kms:eu-west-1:444444444444:key/0b2d6a1e-1111-4c1d-9a4e-123456789abc";
    const { stacks } = synthEnvironment(environment({ stateBackend: { type: "s3", bucket: "shop-state", keyPrefix: "teams/shop", region: "eu-west-1", kmsKeyArn, assumeRole } }));
    const block = { role_arn: assumeRole.roleArn, external_id: assumeRole.externalId, session_name: assumeRole.sessionName };
    expect(stacks["test-proxy"]!.parsed.terraform.backend).toEqual({
      s3: { bucket: "shop-state", key: "teams/shop/test/proxy.tfstate", region: "eu-west-1", encrypt: true, kms_key_id: kmsKeyArn, use_lockfile: true, assume_role: block },
    });
    for (const upstream of ["network", "database"]) {
      expect(stacks["test-proxy"]!.parsed.data!.terraform_remote_state![`cross-stack-reference-input-test-${upstream}`]!.config).toEqual({
        bucket: "shop-state", key: `teams/shop/test/${upstream}.tfstate`, region: "eu-west-1", encrypt: true, kms_key_id: kmsKeyArn, assume_role: block,
      });
    }
  });

  it("keeps local state per stack at the project root, the same file for the stack and its readers", () => {
    const { stacks } = synthEnvironment(environment());
    expect(stacks["test-network"]!.parsed.terraform.backend).toEqual({ local: { path: "../../../terraform.test-network.tfstate" } });
    expect(stacks["test-database"]!.parsed.data!.terraform_remote_state!["cross-stack-reference-input-test-network"]).toMatchObject({
      backend: "local", config: { path: "../../../terraform.test-network.tfstate" },
    });
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

  it.each(Object.keys(fixtures))("passes a real synth (what cdktf synth runs: error findings fail it) for the %s fixture", (fixture) => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), "dbstack-fixture-")), stackTraces: false });
    new Environment(app, resolveEnvironments([fixtures[fixture]!])[0]!);
    expect(() => app.synth()).not.toThrow();
  });

  it("fails fast, before any construct, listing every problem", () => {
    expect(() => synthEnvironment(environment({ region: "nowhere", account: "x" }))).toThrow(/2 problems/);
  });
});
