import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countResources, mirrorCliConfig, offlineStack, plannedAdds } from "../../scripts/lib/terraform-offline.ts";
import { OfflineWorkspace, checkAll, offlineUnavailableReason, type OfflineCheck } from "../../scripts/lib/terraform-runner.ts";
import { environments } from "../../stacks/environments.ts";
import { Testing } from "cdktf";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { resolveEnvironments } from "../../stacks/config.ts";
import { DatabaseStack } from "../../stacks/database-stack.ts";
import { serviceTrustPolicy } from "../../modules/iam.ts";
import { environment, fixtures, synthEnvironment } from "../helpers.ts";

describe("offline stack preparation", () => {
  const stack = {
    terraform: { backend: { s3: { bucket: "b", key: "k", region: "eu-west-1", encrypt: true, use_lockfile: true } } },
    provider: { aws: [{ region: "eu-west-1", allowed_account_ids: ["123456789012"] }] },
    resource: { aws_vpc: { a: {} }, aws_subnet: { b: {}, c: {} } },
    data: { aws_ssm_parameter: { d: {} } },
  };

  it("drops the backend (local state by default) and stops the provider calling AWS, changing nothing else", () => {
    const offline = offlineStack(stack) as typeof stack & { provider: { aws: Record<string, unknown>[] } };
    expect(offline.terraform.backend).toBeUndefined();
    expect(offline.provider.aws[0]).toMatchObject({
      region: "eu-west-1", skip_credentials_validation: true, skip_requesting_account_id: true, skip_metadata_api_check: true,
    });
    expect(offline.provider.aws[0]!.allowed_account_ids).toBeUndefined();
    expect(offline.resource).toEqual(stack.resource);
    expect(stack.terraform.backend).toHaveProperty("s3");
  });

  it("refuses a stack without an aws provider", () => {
    expect(() => offlineStack({ terraform: {} })).toThrow("stack has no aws provider block");
  });

  it("counts resources but not data sources", () => {
    expect(countResources(stack)).toBe(3);
  });

  it("reads the number of additions from plan output", () => {
    expect(plannedAdds("...\nPlan: 36 to add, 0 to change, 0 to destroy.\n")).toBe(36);
    expect(plannedAdds("No changes.")).toBeUndefined();
  });

  it("installs the aws provider only from the mirror", () => {
    const config = mirrorCliConfig("/mirror");
    expect(config).toContain('path    = "/mirror"');
    expect(config).toContain('exclude = ["registry.terraform.io/hashicorp/aws"]');
  });
});

const unavailable = await offlineUnavailableReason();
if (unavailable) console.warn(`\n!!! SKIPPED: real terraform validate/plan of every stack — ${unavailable}\n`);

/** Every stack of the run, checked in one batch so the two cores stay busy. */
function stacksToCheck(): Map<string, Record<string, unknown>> {
  const stacks = new Map<string, Record<string, unknown>>();
  const json = (stack: DatabaseStack) => JSON.parse(Testing.synth(stack)) as Record<string, unknown>;
  for (const env of environments) stacks.set(env.name, synthEnvironment(env).parsed as unknown as Record<string, unknown>);
  for (const [name, input] of Object.entries(fixtures)) stacks.set(name, synthEnvironment(input).parsed as unknown as Record<string, unknown>);

  // Every kind of grant, so their policies are planned too.
  const grants = new DatabaseStack(Testing.app(), resolveEnvironments([environment({ name: "grants" })])[0]!);
  const role = new IamRole(grants, "client-role", { name: "client", assumeRolePolicy: serviceTrustPolicy("ecs-tasks.amazonaws.com") });
  grants.proxy.grantConnect(role, "app");
  grants.database.grantConnect(role, "etl");
  grants.users.grantReadSecret(role, "reporting");
  stacks.set("grants", json(grants));

  // Adopt mode reading ids from SSM: its plan would call AWS, so it is validated only.
  stacks.set("adoptssm", synthEnvironment(environment({
    name: "adoptssm",
    network: {
      mode: "adopt", vpcId: { ssmParameter: "/network/vpc-id" },
      applicationSubnetIds: [{ ssmParameter: "/network/app-a" }],
      databaseSubnetIds: [{ ssmParameter: "/network/db-a" }, { ssmParameter: "/network/db-b" }],
    },
  })).parsed as unknown as Record<string, unknown>);

  // A stack the provider must reject, to prove failures are reported.
  const broken = synthEnvironment(environment({ name: "broken" })).parsed as unknown as { resource: Record<string, Record<string, Record<string, unknown>>> };
  Object.values(broken.resource.aws_rds_cluster!)[0]!.backup_retention_period = 99;
  stacks.set("broken", broken as unknown as Record<string, unknown>);
  return stacks;
}

describe.skipIf(unavailable !== undefined)("real terraform, offline: every environment and fixture", () => {
  let workspace: OfflineWorkspace;
  let results: Map<string, OfflineCheck>;

  beforeAll(async () => {
    workspace = await OfflineWorkspace.create("5.100.0");
    results = new Map((await checkAll(workspace, stacksToCheck(), 2, new Set(["adoptssm"]))).map((r) => [r.stack, r]));
  }, 600_000);

  afterAll(async () => {
    await workspace?.dispose();
  });

  it.each([...environments.map((e) => e.name), ...Object.keys(fixtures), "grants"])("%s validates and plans every declared resource", (name) => {
    const result = results.get(name)!;
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.plannedResources).toBe(result.expectedResources);
    expect(result.expectedResources).toBeGreaterThan(10);
  });

  it("plans the resources each shipped environment is expected to have", () => {
    // dev: NAT (1) over 2 zones, 3 users, ECS template, Lambda, migrations;
    // staging: 7 endpoints, read-only proxy endpoint, managed task definition, migrations;
    // prod: NAT per AZ over 3 zones, 3 instances, 3 users, read-only proxy endpoint, ECS template, pipeline.
    expect(results.get("dev")!.plannedResources).toBe(68);
    expect(results.get("staging")!.plannedResources).toBe(68);
    expect(results.get("prod")!.plannedResources).toBe(93);
  });

  it("validates an adopt-mode stack that reads its ids from SSM (it cannot plan offline)", () => {
    const result = results.get("adoptssm")!;
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.plannedResources).toBeUndefined();
  });

  it("reports terraform's own error for a stack the provider rejects", () => {
    const result = results.get("broken")!;
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/terraform (validate|plan)/);
    expect(result.error).toMatch(/backup_retention_period/);
  });
});
