import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { countResources, mirrorCliConfig, offlineStack, plannedAdds } from "../../scripts/lib/terraform/terraform-offline.ts";
import { deletedAddresses, priorStateFromPlan } from "../../scripts/lib/terraform/prior-state.ts";
import { upstreamStacks } from "../../scripts/lib/terraform/stand-in-state.ts";
import { OfflineWorkspace, checkAll, offlineUnavailableReason, type OfflineCheck } from "../../scripts/lib/terraform/terraform-runner.ts";
import { environments } from "../../stacks/environments.ts";
import { Testing } from "cdktf";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { resolveEnvironments } from "../../stacks/config.ts";
import { LayerStack } from "../../stacks/layer-stack.ts";
import { serviceTrustPolicy } from "../../modules/iam.ts";
import { buildEnvironment, environment, fixtures, synthEnvironment, type SynthesizedStack } from "../helpers.ts";

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

type Json = Record<string, unknown>;
const asJson = (stack: SynthesizedStack) => stack as unknown as Json;

/** Every stack of every environment and fixture, plus the edge cases, checked in one batch so the two cores stay busy. */
function stacksToCheck(): Map<string, Json> {
  const stacks = new Map<string, Json>();
  const add = (synth: ReturnType<typeof synthEnvironment>) => {
    for (const [name, { parsed }] of Object.entries(synth.stacks)) stacks.set(name, asJson(parsed));
  };
  for (const env of environments) add(synthEnvironment(env));
  for (const [name, input] of Object.entries(fixtures)) if (name !== "rds-postgres") add(synthEnvironment(input));

  // Every kind of grant, written in a downstream stack as a client's would be, so their policies are planned
  // too: an extra iam layer beside the RDS PostgreSQL fixture's own layers.
  const rdspg = buildEnvironment(fixtures["rds-postgres"]!);
  const [config] = resolveEnvironments([fixtures["rds-postgres"]!]);
  const clients = new LayerStack(rdspg.network.node.scope!, config!, "iam");
  const role = new IamRole(clients, "client-role", { name: "client", assumeRolePolicy: serviceTrustPolicy("ecs-tasks.amazonaws.com") });
  rdspg.proxy.proxy.grantConnect(role, "app");
  rdspg.database.database.grantConnect(role, "etl");
  rdspg.database.users.grantReadSecret(role, "reporting");
  for (const stack of [...rdspg.stacks, clients]) stack.prepareStack();
  for (const stack of [...rdspg.stacks, clients]) stacks.set(stack.node.id, JSON.parse(Testing.synth(stack)) as Json);

  // Adopt mode reading ids from SSM: its plan would call AWS, so its network stack is validated only.
  add(synthEnvironment(environment({
    name: "adoptssm",
    network: {
      mode: "adopt", vpcId: { ssmParameter: "/network/vpc-id" },
      applicationSubnetIds: [{ ssmParameter: "/network/app-a" }],
      databaseSubnetIds: [{ ssmParameter: "/network/db-a" }, { ssmParameter: "/network/db-b" }],
    },
  })));

  // A database stack the provider must reject, to prove failures are reported and stop what depends on them.
  const broken = synthEnvironment(environment({ name: "broken" }));
  const database = broken.stacks["broken-database"]!.parsed;
  Object.values(database.resource.aws_rds_cluster!)[0]!.backup_retention_period = 99;
  // And a stack of it that terraform validates without planning, which fails validation among others that pass.
  const monitoring = broken.stacks["broken-monitoring"]!.parsed as unknown as { resource: Record<string, Record<string, Json>> };
  Object.values(monitoring.resource.aws_sns_topic!)[0]!.not_an_argument = true;
  add(broken);
  return stacks;
}

const VALIDATE_ONLY = new Map([["adoptssm-network", "adopt mode reads its ids from SSM parameters, which a plan must ask AWS for"]]);

describe.skipIf(unavailable !== undefined)("real terraform, offline: every stack of every environment and fixture", () => {
  let workspace: OfflineWorkspace;
  let results: Map<string, OfflineCheck>;
  let checked: Map<string, Json>;
  const planned = [...environments.map((e) => e.name), ...Object.values(fixtures).map((f) => f.name)];

  beforeAll(async () => {
    workspace = await OfflineWorkspace.create("5.100.0");
    checked = stacksToCheck();
    results = new Map((await checkAll(workspace, checked, 1, VALIDATE_ONLY)).map((r) => [r.stack, r]));
  }, 900_000);

  afterAll(async () => {
    await workspace?.dispose();
  });

  it.each(planned)("every stack of %s validates and plans exactly the resources it declares", (env) => {
    const ofEnv = [...results.values()].filter((r) => r.stack.startsWith(`${env}-`));
    expect(ofEnv.map((r) => r.stack)).toContain(`${env}-network`);
    for (const result of ofEnv) {
      expect(result.error, result.stack).toBeUndefined();
      expect(result.status, result.stack).toBe("planned");
      expect(result.plannedResources, result.stack).toBe(result.expectedResources);
      expect(result.expectedResources, result.stack).toBeGreaterThan(0);
    }
  });

  /**
   * The client layers (and prod's database) as they were synthesized with the single-client layout
   * (__tests__/fixtures/single-client-stacks.json), planned into a stand-in state; today's stacks planned
   * against it: an environment deployed then destroys nothing, and gains only the new resources.
   */
  it("plans no destroy for an environment deployed with the single-client layout", async () => {
    const before = JSON.parse(readFileSync(join(import.meta.dirname, "../fixtures/single-client-stacks.json"), "utf8")) as Record<string, Json>;
    const entries = (stacks: Record<string, Json>) => Object.entries(stacks).map(([name, json]) => ({ name, json, upstreamStates: new Map(upstreamStacks(json).map((u) => [u, workspace.standInPath(u)])) }));
    const deployed = await workspace.planModules("single-client", entries(before));
    const contextOf = (module: string) => {
      const provider = ((before[module.replace(/^module\./, "")]!.provider as Json).aws as Json[])[0]!;
      return { region: String(provider.region), account: String((provider.allowed_account_ids as string[])[0]) };
    };
    const state = priorStateFromPlan(deployed, await workspace.resourceSchemas(), contextOf, (module) => before[module.replace(/^module\./, "")]!);
    expect((state.resources as unknown[]).length).toBe(Object.values(before).reduce((sum, stack) => sum + countResources(stack), 0));
    const plan = await workspace.planModules("named-clients", entries(Object.fromEntries(Object.keys(before).map((name) => [name, checked.get(name)!]))), state);
    expect(deletedAddresses(plan)).toEqual([]);
    const created = (plan.resource_changes ?? []).filter((r) => r.mode === "managed" && r.change.actions?.includes("create")).map((r) => r.address.replace(/_[0-9A-F]{8}$/, "")).sort();
    expect(created).toEqual([
      "module.prod-database.aws_appautoscaling_policy.database_reader-scaling_policy", "module.prod-database.aws_appautoscaling_target.database_reader-scaling_target",
      "module.staging-ecs-taskdef.aws_cloudwatch_log_group.service-worker_log-group", "module.staging-ecs-taskdef.aws_ecs_task_definition.service-worker_task-definition",
      "module.staging-iam.aws_iam_role.service-worker_execution-role", "module.staging-iam.aws_iam_role.service-worker_task-role",
      "module.staging-iam.aws_iam_role_policy.service-worker_execution-role-policy", "module.staging-iam.aws_iam_role_policy.service-worker_execution-role_read-secret-worker",
      "module.staging-iam.aws_iam_role_policy.service-worker_task-role_connect-worker-via-proxy",
    ]);
  }, 600_000);

  it("plans downstream stacks against stand-in states of exactly their upstream stacks", () => {
    expect(results.get("prod-network")!.upstream).toEqual([]);
    expect(results.get("prod-database")!.upstream).toEqual(["prod-network"]);
    expect(results.get("prod-proxy")!.upstream).toEqual(["prod-database", "prod-network"]);
    expect(results.get("prod-iam")!.upstream).toEqual(["prod-database", "prod-network", "prod-proxy"]);
    expect(results.get("prod-clients")!.upstream).toEqual(["prod-database", "prod-iam", "prod-network", "prod-proxy"]);
    expect(results.get("rdspg-iam")!.upstream).toEqual(["rdspg-database", "rdspg-proxy"]);
    // Monitoring watches by derived name; only the key ARN crosses stacks.
    expect(results.get("prod-monitoring")!.upstream).toEqual(["prod-database"]);
  });

  it("plans the resources each shipped environment's layers are expected to have", () => {
    const counts = (env: string) => Object.fromEntries([...results.values()].filter((r) => r.stack.startsWith(`${env}-`)).map((r) => [r.stack.slice(env.length + 1), r.plannedResources]));
    // dev: NAT (1) over 2 zones, 3 users, ECS template, Lambda, migrations;
    // staging: 7 endpoints, read-only proxy endpoint, two managed task definitions (api, worker on its own user), migrations;
    // prod: NAT per AZ over 3 zones, 3 instances and reader auto scaling (target, policy), 3 users, read-only proxy endpoint, ECS template, pipeline.
    // Each: the setup function's group and rules (network), its function, role, policies, log group and invocation (proxy);
    // the rotation function, role, policies, log group and one permission per password user (proxy), and in prod a
    // schedule per user secret and one on the master secret;
    // monitoring: topic and policy, subscriptions, alarms of its shape, event subscriptions, dashboard.
    expect(counts("dev")).toEqual({ network: 34, database: 11, proxy: 29, iam: 11, "ecs-taskdef": 1, clients: 4, monitoring: 28 });
    expect(counts("staging")).toEqual({ network: 38, database: 12, proxy: 31, iam: 13, "ecs-taskdef": 4, clients: 2, monitoring: 35 });
    expect(counts("prod")).toEqual({ network: 48, database: 15, proxy: 35, iam: 8, "ecs-taskdef": 1, clients: 14, monitoring: 36 });
  });

  it("validates an adopt-mode network that reads its ids from SSM, says why it was not planned, and leaves its downstream unplanned", () => {
    const network = results.get("adoptssm-network")!;
    expect(network).toMatchObject({ status: "validated", ok: true, note: VALIDATE_ONLY.get("adoptssm-network") });
    expect(network.plannedResources).toBeUndefined();
    const database = results.get("adoptssm-database")!;
    expect(database).toMatchObject({ status: "validated", ok: false, note: "upstream stack adoptssm-network did not plan, so there is no stand-in state to plan against" });
  });

  it("reports terraform's own error for a stack the provider rejects, and never passes what depends on it", () => {
    const result = results.get("broken-database")!;
    expect(result.status).toBe("failed");
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/terraform (validate|plan)/);
    expect(result.error).toMatch(/backup_retention_period/);
    expect(results.get("broken-proxy")).toMatchObject({ status: "validated", ok: false, note: expect.stringContaining("upstream stack broken-database did not plan") });
    expect(results.get("broken-network")!.status).toBe("planned");
  });

  it("blames a failed validation on its own stack when stacks are validated together, and passes the others", () => {
    const monitoring = results.get("broken-monitoring")!;
    expect(monitoring).toMatchObject({ status: "failed", ok: false });
    expect(monitoring.error).toMatch(/^terraform validate: [\s\S]*broken-monitoring\/cdk.tf.json[\s\S]*No argument or block type is named "not_an_argument"/);
    expect(results.get("adoptssm-monitoring")).toMatchObject({ status: "validated" });
    expect(results.get("adoptssm-proxy")).toMatchObject({ status: "validated" });
  });
});
