import { describe, expect, it } from "vitest";
import { Testing } from "cdktf";
import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy/index.js";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target/index.js";
import { RdsClusterInstance } from "@cdktf/provider-aws/lib/rds-cluster-instance/index.js";
import { Database } from "../../modules/database.ts";
import { resolveDatabaseSettings, type DatabaseSettingsInput } from "../../modules/database-settings.ts";
import { resolveEnvironments } from "../../stacks/config.ts";
import { environment, resourcesOf, type SynthesizedStack } from "../helpers.ts";

const KEY = "arn:aws:kms:eu-west-1:123456789012:key/0b2d6a1e-1111-4c1d-9a4e-123456789abc";
const aurora: DatabaseSettingsInput = { engine: "aurora-postgresql", engineVersion: "16.8", instanceClass: "db.r6g.large", databaseName: "shop" };

function synthDatabase(input: DatabaseSettingsInput) {
  const json = Testing.synthScope((scope) => {
    new Database(scope, "database", {
      settings: resolveDatabaseSettings(input, false), identifier: "shop-test", region: "eu-west-1",
      availabilityZones: ["eu-west-1a", "eu-west-1b"], subnetGroupName: "shop-test-database", securityGroupId: "sg-0123456789abcdef0", kmsKeyArn: KEY,
    });
  });
  return { json, parsed: JSON.parse(json) as SynthesizedStack };
}

describe("readers that scale", () => {
  const { json, parsed } = synthDatabase({ ...aurora, readers: { min: 2, max: 6, target: { metric: "connections", value: 500 }, scaleOutCooldownSeconds: 120 } });

  it("creates min readers with Terraform, so the configured readers exist before any load (rds-aurora#355, #297)", () => {
    expect(Object.values(resourcesOf(parsed, "aws_rds_cluster_instance")).map((i) => i.identifier)).toEqual(["shop-test-1", "shop-test-2", "shop-test-3"]);
  });

  it("registers the replica count of the cluster as a scalable target, once the cluster and its readers exist", () => {
    expect(json).toHaveResourceWithProperties(AppautoscalingTarget, {
      service_namespace: "rds", scalable_dimension: "rds:cluster:ReadReplicaCount", resource_id: "cluster:shop-test", min_capacity: 2, max_capacity: 6,
    });
    const target = Object.values(resourcesOf(parsed, "aws_appautoscaling_target"))[0]!;
    expect(target.depends_on).toEqual([expect.stringMatching(/^aws_rds_cluster\.database_cluster_/), ...[1, 2, 3].map((n) => expect.stringMatching(new RegExp(`^aws_rds_cluster_instance\\.database_instance-${n}_`)))]);
  });

  it("tracks the readers' average connections with the cool-downs", () => {
    expect(json).toHaveResourceWithProperties(AppautoscalingPolicy, {
      name: "shop-test-readers-connections", policy_type: "TargetTrackingScaling",
      target_tracking_scaling_policy_configuration: {
        predefined_metric_specification: { predefined_metric_type: "RDSReaderAverageDatabaseConnections" }, target_value: 500, scale_in_cooldown: 300, scale_out_cooldown: 120,
      },
    });
  });

  it("tracks CPU when asked", () => {
    const cpu = synthDatabase({ ...aurora, readers: { min: 1, max: 3, target: { metric: "cpu", value: 55.5 } } });
    expect(cpu.json).toHaveResourceWithProperties(AppautoscalingPolicy, {
      target_tracking_scaling_policy_configuration: { predefined_metric_specification: { predefined_metric_type: "RDSReaderAverageCPUUtilization" }, target_value: 55.5 },
    });
  });

  it("creates no scaling for a fixed count", () => {
    expect(synthDatabase({ ...aurora, readers: 2 }).json).not.toHaveResource(AppautoscalingTarget);
  });
});

describe("per-reader settings", () => {
  it("set a reader's class, promotion tier and zone; the others follow the writer", () => {
    const { json, parsed } = synthDatabase({ ...aurora, readers: [{ instanceClass: "db.r6g.xlarge", promotionTier: 0, availabilityZone: "eu-west-1a" }, {}] });
    expect(json).toHaveResourceWithProperties(RdsClusterInstance, { identifier: "shop-test-2", instance_class: "db.r6g.xlarge", promotion_tier: 0, availability_zone: "eu-west-1a" });
    expect(json).toHaveResourceWithProperties(RdsClusterInstance, { identifier: "shop-test-3", instance_class: "db.r6g.large", promotion_tier: 2, availability_zone: "eu-west-1a" });
    expect(json).toHaveResourceWithProperties(RdsClusterInstance, { identifier: "shop-test-1", instance_class: "db.r6g.large", promotion_tier: 0, availability_zone: "eu-west-1a" });
    expect(Object.keys(resourcesOf(parsed, "aws_rds_cluster_instance"))).toHaveLength(3);
  });

  it("apply to the readers Terraform creates when they scale", () => {
    const { json } = synthDatabase({ ...aurora, readers: { min: 1, max: 2, target: { metric: "cpu", value: 70 }, instances: [{ promotionTier: 1 }] } });
    expect(json).toHaveResourceWithProperties(RdsClusterInstance, { identifier: "shop-test-2", promotion_tier: 1 });
  });
});

describe("reader validation", () => {
  const withReaders = (readers: unknown, database: Partial<DatabaseSettingsInput> = {}) => environment({ database: { ...aurora, ...database, readers: readers as never } });
  const scaling = { min: 1, max: 3, target: { metric: "cpu", value: 60 } };
  it.each([
    ["a count over AWS's 15 replicas", 16, "test.database.readers: 16 — must be a whole number from 0 to 15"],
    ["more than 15 listed readers", Array.from({ length: 16 }, () => ({})), 'test.database.readers: "16 readers" — must list at most 15 readers: an Aurora cluster has at most 15 Aurora Replicas'],
    ["something else", "two", 'test.database.readers: "two" — must be a count (0..15), a list of { instanceClass?, promotionTier?, availabilityZone? }, or { min, max, target }'],
    ["max over 15", { ...scaling, max: 16 }, "test.database.readers.max: 16 — must be a whole number from 1 to 15"],
    ["min of 0", { ...scaling, min: 0 }, "test.database.readers.min: 0 — must be a whole number from 1 to 15"],
    ["min above max", { ...scaling, min: 4 }, "test.database.readers.min: 4 — must not exceed max (3)"],
    ["an unknown metric", { ...scaling, target: { metric: "memory", value: 1 } }, 'test.database.readers.target.metric: "memory" — must be one of "cpu", "connections"'],
    ["a CPU target over 100 %", { ...scaling, target: { metric: "cpu", value: 120 } }, "test.database.readers.target.value: 120 — must be a CPU percentage: more than 0, at most 100"],
    ["a connections target over one reader's max_connections", { ...scaling, target: { metric: "connections", value: 5000 } },
      "test.database.readers.target.value: 5000 — must be a whole number of connections per reader, at least 1 and at most one reader's max_connections (1697: LEAST(DBInstanceClassMemory/9531392, 5000) for db.r6g.large (16 GiB))"],
    ["a missing target", { min: 1, max: 2 }, 'test.database.readers.target: (not set) — must be { metric: "cpu" | "connections", value }'],
    ["a cool-down over a day", { ...scaling, scaleInCooldownSeconds: 90000 }, "test.database.readers.scaleInCooldownSeconds: 90000 — must be a whole number from 0 to 86400"],
    ["more reader settings than min", { ...scaling, instances: [{}, {}] }, 'test.database.readers.instances: "2 entries" — must have at most min (1) entries: they set up the readers Terraform creates'],
    ["an unknown reader class", [{ instanceClass: "db.m1.small" }], 'test.database.readers[0].instanceClass: "db.m1.small" — must be an Aurora instance class'],
    ["a promotion tier over 15", [{ promotionTier: 16 }], "test.database.readers[0].promotionTier: 16 — must be a whole number from 0 to 15"],
    ["a zone the environment does not use", [{ availabilityZone: "eu-west-1c" }], "test.database.readers[0].availabilityZone: \"eu-west-1c\" — must be one of the environment's availabilityZones (eu-west-1a, eu-west-1b): only those have database subnets"],
  ])("fails on %s", (_case, readers, message) => {
    expect(() => resolveEnvironments([withReaders(readers)])).toThrow(message);
  });

  it("fails on scaling readers of Serverless v2, whose instances scale their own capacity", () => {
    expect(() => resolveEnvironments([withReaders(scaling, { instanceClass: undefined, serverless: { minCapacity: 0.5, maxCapacity: 4 } })])).toThrow(
      'test.database.readers: "(scaling)" — Aurora Auto Scaling of readers applies to provisioned instance classes here; Serverless v2 readers scale their own capacity (serverless.maxCapacity)');
  });

  it("fails on readers of an RDS instance, which has none", () => {
    expect(() => resolveEnvironments([withReaders(scaling, { engine: "postgres", engineVersion: "16", instanceClass: "db.t4g.medium" })])).toThrow(
      "test.database.readers: {\"min\":1,\"max\":3,\"target\":{\"metric\":\"cpu\",\"value\":60}} — applies to Aurora only; for read scaling use an Aurora engine");
  });

  it("accepts a connections target up to an explicit max_connections", () => {
    expect(() => resolveEnvironments([withReaders({ ...scaling, target: { metric: "connections", value: 3000 } }, { maxConnections: 4000 })])).not.toThrow();
  });
});
