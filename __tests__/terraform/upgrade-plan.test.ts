import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OfflineWorkspace, offlineUnavailableReason } from "../../scripts/lib/terraform/terraform-runner.ts";
import { countResources } from "../../scripts/lib/terraform/terraform-offline.ts";
import type { DatabaseSettingsInput } from "../../modules/database-settings.ts";
import { environment, synthEnvironment } from "../helpers.ts";
import { appliedState, planSideBySide, type ShownPlan } from "../support/resource-state.ts";

const unavailable = await offlineUnavailableReason();
if (unavailable) console.warn(`\n!!! SKIPPED: offline plans of major engine upgrades — ${unavailable}\n`);

type Json = Record<string, unknown>;

const AURORA_16: DatabaseSettingsInput = { engine: "aurora-postgresql", engineVersion: "16.8", instanceClass: "db.r6g.large", readers: 1, databaseName: "shop", maxConnections: 500 };
const AURORA_17: DatabaseSettingsInput = { ...AURORA_16, engineVersion: "17.6", upgrade: { from: "16.8" }, originalMajorVersion: "16" };
const MYSQL_84: DatabaseSettingsInput = { engine: "mysql", engineVersion: "8.4.8", instanceClass: "db.t4g.medium", databaseName: "shop", upgrade: { from: "8.0.42" }, originalMajorVersion: "8.0" };

/** The stacks of one environment with this database, by layer. */
function stacksOf(name: string, database: DatabaseSettingsInput): { network: Json; database: Json } {
  const synth = synthEnvironment(environment({ name, database }));
  return { network: synth.stacks[`${name}-network`]!.parsed as unknown as Json, database: synth.stacks[`${name}-database`]!.parsed as unknown as Json };
}

/**
 * The database stack as it was synthesized before the upgrade: RDS MySQL 8.0 is refused for new databases
 * since 2026-07, so config validation cannot make it any more; the running one is the 8.4 stack with the
 * version, family and original group name it was created with.
 */
function asDeployedOnMysql80(upgraded: Json): Json {
  const stack = structuredClone(upgraded) as { resource: Record<string, Record<string, Json>> };
  for (const instance of Object.values(stack.resource.aws_db_instance!)) {
    instance.engine_version = "8.0.42";
    instance.allow_major_version_upgrade = false;
    instance.lifecycle = { ignore_changes: ["engine_version"] };
  }
  for (const group of Object.values(stack.resource.aws_db_parameter_group!)) {
    group.family = "mysql8.0";
    group.name = String(group.name).replace(/-mysql8-4$/, "");
  }
  return stack as unknown as Json;
}

const changesOf = (plan: ShownPlan) => Object.fromEntries(plan.resource_changes.filter((c) => c.mode === "managed").map((c) => [c.address, c.change]));
const actionsOf = (plan: ShownPlan) => Object.fromEntries(Object.entries(changesOf(plan)).map(([address, change]) => [address, change.actions.join(",")]));

describe.skipIf(unavailable !== undefined)("real terraform, offline: a major upgrade planned against the state of the old version", () => {
  let workspace: OfflineWorkspace;
  const plans: Record<string, ShownPlan> = {};

  beforeAll(async () => {
    workspace = await OfflineWorkspace.create("5.100.0");
    const aurora16 = stacksOf("upgpg", AURORA_16);
    const aurora17 = stacksOf("upgpg", AURORA_17);
    const mysql84 = stacksOf("upgmy", MYSQL_84);
    // The networks' stand-in states, from their own offline plan (one terraform run for both).
    const checks = await workspace.checkGroup(([["upgpg-network", aurora16.network], ["upgmy-network", mysql84.network]] as const).map(([name, json]) => ({ name, json, upstreamStates: new Map(), standIn: true })));
    expect(checks?.map((c) => [c.stack, c.status, c.error])).toEqual([["upgpg-network", "planned", undefined], ["upgmy-network", "planned", undefined]]);
    const upstream = (env: string) => new Map([[`${env}-network`, workspace.standInPath(`${env}-network`)]]);
    // Each database as first deployed, planned from nothing (and so validated), side by side in one run.
    const created = await planSideBySide(workspace, "created", [
      { name: "pg", stack: aurora16.database, upstreamStates: upstream("upgpg") },
      { name: "my", stack: asDeployedOnMysql80(mysql84.database), upstreamStates: upstream("upgmy") },
    ]);
    for (const [name, stack] of [["pg", aurora16.database], ["my", mysql84.database]] as const) {
      expect(created[name]!.resource_changes.filter((c) => c.mode === "managed" && c.change.actions.includes("create")).length, name).toBe(countResources(stack));
    }
    const deployedPg = () => appliedState(created.pg!, "eu-west-1", "123456789012");
    // AWS applied 16.9 in a maintenance window: the state says so, the config still says 16.8.
    const upgradedByAws = deployedPg() as { resources: { type: string; instances: { attributes: Json }[] }[] };
    for (const r of upgradedByAws.resources) if (r.type === "aws_rds_cluster" || r.type === "aws_rds_cluster_instance") r.instances[0]!.attributes.engine_version = "16.9";
    // Every change against its deployed state, again in one run.
    Object.assign(plans, await planSideBySide(workspace, "changes", [
      { name: "pg", stack: aurora17.database, upstreamStates: upstream("upgpg"), state: deployedPg() },
      { name: "pgUnchanged", stack: aurora16.database, upstreamStates: upstream("upgpg"), state: deployedPg() },
      { name: "my", stack: mysql84.database, upstreamStates: upstream("upgmy"), state: appliedState(created.my!, "eu-west-1", "123456789012") },
      { name: "pgDrift", stack: aurora16.database, upstreamStates: upstream("upgpg"), state: upgradedByAws as unknown as Json },
    ]));
  }, 900_000);

  afterAll(async () => {
    await workspace?.dispose();
  });

  it("the stand-in state is the old version itself: planning the old config against it changes nothing that matters", () => {
    const actions = Object.values(actionsOf(plans.pgUnchanged!));
    expect(actions.filter((a) => a.includes("delete"))).toEqual([]);
    const cluster = Object.entries(changesOf(plans.pgUnchanged!)).find(([address]) => address.startsWith("aws_rds_cluster."))![1];
    // Attributes AWS would have filled in are null in the stand-in, so the provider may plan to set them; never the version.
    expect(cluster.before).toMatchObject({ engine_version: "16.8", db_cluster_parameter_group_name: "shop-upgpg-cluster" });
    expect(cluster.after).toMatchObject({ engine_version: "16.8", allow_major_version_upgrade: false, db_cluster_parameter_group_name: "shop-upgpg-cluster" });
  });

  it("a minor upgrade AWS applied behind terraform's back is never planned as a downgrade, on the cluster or its instances", () => {
    const changes = Object.entries(changesOf(plans.pgDrift!)).filter(([address]) => /^aws_rds_cluster(_instance)?\./.test(address));
    expect(changes).toHaveLength(3);
    for (const [address, change] of changes) {
      expect(change.before?.engine_version, address).toBe("16.9");
      expect(change.after?.engine_version, address).toBe("16.9");
    }
  });

  it("Aurora PostgreSQL 16 -> 17: both families' groups exist during the upgrade, the cluster moves in place with the major flag, nothing else is replaced", () => {
    const changes = changesOf(plans.pg!);
    const byType = (type: string) => Object.entries(changes).filter(([address]) => address.startsWith(`${type}.`));
    const [[, clusterGroup]] = byType("aws_rds_cluster_parameter_group") as [[string, (typeof changes)[string]]];
    // create_before_destroy: the 17 group is created, the cluster moves to it, then the 16 group goes.
    expect(clusterGroup.actions).toEqual(["create", "delete"]);
    expect(clusterGroup.before).toMatchObject({ name: "shop-upgpg-cluster", family: "aurora-postgresql16" });
    expect(clusterGroup.after).toMatchObject({ name: "shop-upgpg-cluster-aurora-postgresql17", family: "aurora-postgresql17" });
    const [[, instanceGroup]] = byType("aws_db_parameter_group") as [[string, (typeof changes)[string]]];
    expect(instanceGroup.actions).toEqual(["create", "delete"]);
    expect(instanceGroup.after).toMatchObject({ name: "shop-upgpg-instance-aurora-postgresql17", family: "aurora-postgresql17" });

    const [[, cluster]] = byType("aws_rds_cluster") as [[string, (typeof changes)[string]]];
    expect(cluster.actions).toEqual(["update"]);
    expect(cluster.before).toMatchObject({ engine_version: "16.8", allow_major_version_upgrade: false, db_cluster_parameter_group_name: "shop-upgpg-cluster" });
    // One ModifyDBCluster: the version, the flag, the new cluster group, and the instances' new group (#17357).
    expect(cluster.after).toMatchObject({
      engine_version: "17.6", allow_major_version_upgrade: true,
      db_cluster_parameter_group_name: "shop-upgpg-cluster-aurora-postgresql17", db_instance_parameter_group_name: "shop-upgpg-instance-aurora-postgresql17",
    });

    const replacedOrDeleted = Object.entries(actionsOf(plans.pg!)).filter(([, a]) => a.includes("delete")).map(([address]) => address.split(".")[0]);
    expect(replacedOrDeleted.sort()).toEqual(["aws_db_parameter_group", "aws_rds_cluster_parameter_group"]);
    for (const [, instance] of byType("aws_rds_cluster_instance")) expect(instance.actions).not.toContain("delete");
  });

  it("RDS MySQL 8.0 -> 8.4: the 8.4 group is created before the instance moves to it, the instance is modified in place", () => {
    const changes = changesOf(plans.my!);
    const entry = (type: string) => Object.entries(changes).find(([address]) => address.startsWith(`${type}.`))![1];
    expect(entry("aws_db_parameter_group")).toMatchObject({ actions: ["create", "delete"], before: { name: "shop-upgmy", family: "mysql8.0" }, after: { name: "shop-upgmy-mysql8-4", family: "mysql8.4" } });
    expect(entry("aws_db_instance").actions).toEqual(["update"]);
    expect(entry("aws_db_instance").before).toMatchObject({ engine_version: "8.0.42", allow_major_version_upgrade: false });
    expect(entry("aws_db_instance").after).toMatchObject({ engine_version: "8.4.8", allow_major_version_upgrade: true });
    const replacedOrDeleted = Object.entries(actionsOf(plans.my!)).filter(([, a]) => a.includes("delete")).map(([address]) => address.split(".")[0]);
    expect(replacedOrDeleted).toEqual(["aws_db_parameter_group"]);
  });
});
