import { describe, expect, it } from "vitest";
import { Testing } from "cdktf";
import { cloudwatchAlarmName, deriveNames, LONGEST_ALARM_KEY, s3BucketName, ssmArnPrefix, ssmParameterNameProblem, validateNames, type NameInputs } from "../../modules/names.ts";
import { Network } from "../../modules/network.ts";
import { artifactBucketName, migrationProjectName } from "../../modules/migrations.ts";
import { functionLogGroupName } from "../../modules/clients.ts";
import { serviceLogGroupName } from "../../modules/ecs-taskdef.ts";
import { MODULE_TAGS } from "../../stacks/config.ts";
import { Problems } from "../../modules/validation.ts";

const inputs = (changes: Partial<NameInputs> = {}): NameInputs => ({
  app: "orders", name: "prod", account: "333333333333", region: "eu-west-1", partition: "aws",
  database: { cluster: true, readers: 2, logExports: ["postgresql"], instanceParameterGroup: true, parameterGroupNameSuffix: "", finalSnapshot: true, monitoring: true },
  users: ["app", "migrator"],
  network: { sharedProxyAndDatabaseGroup: false, endpoints: true },
  readOnlyEndpoint: true,
  additionalParameters: [],
  clients: { services: [{ name: "api", legacyNames: true }, { name: "worker", legacyNames: false }], functions: ["db-check"], migrations: true, pipeline: true },
  setup: true,
  ...changes,
});

describe("derived names", () => {
  it("agree with the names the constructs build", () => {
    const names = deriveNames(inputs());
    expect(names.migrations!.project).toBe(migrationProjectName("orders-prod"));
    expect(names.migrations!.pipeline!.artifactsBucket).toBe(artifactBucketName("orders-prod", "333333333333", "eu-west-1"));
    expect(names.functions["db-check"]).toEqual({ functionName: "orders-prod-db-check", logGroup: functionLogGroupName("orders-prod-db-check"), role: "orders-prod-db-check-lambda" });
    expect(names.setup).toEqual({ functionName: "orders-prod-db-setup", logGroup: functionLogGroupName("orders-prod-db-setup"), role: "orders-prod-db-setup-lambda" });
    expect(names.network.securityGroups["database-setup"]).toBe("orders-prod-database-setup");
    expect(names.services.api).toEqual({ family: "orders-prod", logGroup: serviceLogGroupName("orders-prod"), executionRole: "orders-prod-ecs-execution", taskRole: "orders-prod-ecs-task" });
    expect(names.services.worker).toEqual({ family: "orders-prod-worker", logGroup: serviceLogGroupName("orders-prod-worker"), executionRole: "orders-prod-worker-ecs-execution", taskRole: "orders-prod-worker-ecs-task" });
    expect(names.database.instances).toEqual(["orders-prod-1", "orders-prod-2", "orders-prod-3"]);
    expect(names.database.parameterGroups).toEqual(["orders-prod-cluster", "orders-prod-instance"]);
    expect(names.network.securityGroups).toEqual({
      "database-clients": "orders-prod-database-clients", proxy: "orders-prod-proxy", database: "orders-prod-database", endpoints: "orders-prod-endpoints",
      "database-setup": "orders-prod-database-setup",
    });
    expect(names.proxy.readOnlyEndpoint).toBe("orders-prod-ro");
  });

  it("name the parameter groups of a major other than the original one with their family", () => {
    const names = deriveNames(inputs({ database: { cluster: true, readers: 0, logExports: [], instanceParameterGroup: true, parameterGroupNameSuffix: "-aurora-postgresql17", finalSnapshot: false, monitoring: false } }));
    expect(names.database.parameterGroups).toEqual(["orders-prod-cluster-aurora-postgresql17", "orders-prod-instance-aurora-postgresql17"]);
  });

  it("name an RDS instance by its identifier alone", () => {
    const names = deriveNames(inputs({ database: { cluster: false, readers: 0, logExports: ["postgresql", "upgrade"], instanceParameterGroup: false, parameterGroupNameSuffix: "", finalSnapshot: false, monitoring: false } }));
    expect(names.database).toEqual({
      identifier: "orders-prod", instances: ["orders-prod"], parameterGroups: ["orders-prod"],
      logGroups: ["/aws/rds/instance/orders-prod/postgresql", "/aws/rds/instance/orders-prod/upgrade"],
    });
  });

  it("name the monitoring topic, dashboard, alarms and event subscriptions (a cluster has one for itself)", () => {
    expect(deriveNames(inputs()).monitoring).toEqual({
      topic: "orders-prod-alarms", dashboard: "orders-prod-data-path", alarmPrefix: "orders-prod",
      eventSubscriptions: ["orders-prod-cluster-events", "orders-prod-instance-events", "orders-prod-proxy-events"],
    });
    const instance = deriveNames(inputs({ database: { cluster: false, readers: 0, logExports: [], instanceParameterGroup: false, parameterGroupNameSuffix: "", finalSnapshot: false, monitoring: false } }));
    expect(instance.monitoring.eventSubscriptions).toEqual(["orders-prod-instance-events", "orders-prod-proxy-events"]);
  });

  it("pass every rule for the longest app and name in every region", () => {
    const problems = new Problems();
    for (const region of ["ap-southeast-7", "us-gov-west-1", "cn-northwest-1"]) {
      const longest = inputs({ app: "a".repeat(24), name: "b".repeat(12), region, clients: { services: [{ name: "api", legacyNames: true }], functions: ["db-check"], migrations: true, pipeline: false } });
      validateNames(deriveNames(longest), { partition: "aws", region, account: "333333333333", additionalParameters: [] }, problems);
    }
    expect(problems.all).toEqual([]);
  });
});

describe("name rules", () => {
  it("fails when an alarm name is empty, too long or holds a control character", () => {
    expect(cloudwatchAlarmName("")).toBe("must be 1..255 characters (it is 0) printable ASCII characters (Amazon CloudWatch API Reference, PutMetricAlarm AlarmName)");
    expect(cloudwatchAlarmName("a".repeat(256))).toBe("must be 1..255 characters (it is 256) printable ASCII characters (Amazon CloudWatch API Reference, PutMetricAlarm AlarmName)");
    expect(cloudwatchAlarmName("orders\tprod")).toBe("must be printable ASCII characters (Amazon CloudWatch API Reference, PutMetricAlarm AlarmName)");
    expect(cloudwatchAlarmName(`orders-prod-${LONGEST_ALARM_KEY}`)).toBeUndefined();
  });


  it.each([
    ["ab", "must be 3..63 characters (it is 2) (Amazon S3 User Guide, General purpose bucket naming rules)"],
    ["192.168.5.4", "must not look like an IP address (Amazon S3 User Guide, General purpose bucket naming rules)"],
    ["my..bucket", 'must be lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit, without ".." (Amazon S3 User Guide, General purpose bucket naming rules)'],
    ["amzn-s3-demo-bucket", 'must not start with "amzn-s3-demo-", a prefix S3 reserves (Amazon S3 User Guide, General purpose bucket naming rules)'],
    ["data-s3alias", 'must not end with "-s3alias", a suffix S3 reserves (Amazon S3 User Guide, General purpose bucket naming rules)'],
  ])("fails when a bucket is named %s", (name, expected) => {
    expect(s3BucketName(name)).toBe(expected);
  });

  it("fails when an SSM parameter name is too deep, too long or reserved", () => {
    const prefix = ssmArnPrefix("aws", "eu-west-1", "123456789012");
    expect(ssmParameterNameProblem(`/${Array.from({ length: 16 }, (_, i) => `p${i}`).join("/")}`, prefix)).toMatch(/^must be at most 15 levels deep \(it is 16\)/);
    expect(ssmParameterNameProblem(`/a/${"x".repeat(966)}`, prefix)).toMatch(/^must be at most 1011 characters counting its ARN \(it is 1013\)/);
    expect(ssmParameterNameProblem("/SSM-config/x", prefix)).toMatch(/^must not start with "aws" or "ssm"/);
    expect(ssmParameterNameProblem("/orders/prod/database/host", prefix)).toBeUndefined();
  });

  it("reports a derived name at names.<group>.<name>, saying where it comes from", () => {
    const problems = new Problems("test");
    validateNames(deriveNames(inputs({ app: "sg" })), { partition: "aws", region: "eu-west-1", account: "333333333333", additionalParameters: [] }, problems);
    expect(problems.all.map((p) => p.path)).toEqual([
      "test.names.network.securityGroups.database-clients", "test.names.network.securityGroups.proxy",
      "test.names.network.securityGroups.database", "test.names.network.securityGroups.endpoints",
      "test.names.network.securityGroups.database-setup",
    ]);
  });
});

describe("tags the modules add", () => {
  it("are at most MODULE_TAGS on any one network resource", () => {
    const parsed = JSON.parse(Testing.synthScope((scope) => {
      new Network(scope, "network", {
        settings: {
          mode: "create", vpcCidr: "10.0.0.0/16", applicationSubnetCidrs: ["10.0.0.0/20", "10.0.16.0/20"], databaseSubnetCidrs: ["10.0.128.0/24", "10.0.129.0/24"],
          egress: { type: "nat", gateways: "per-az", publicSubnetCidrs: ["10.0.240.0/24", "10.0.241.0/24"] },
        },
        namePrefix: "shop-test", region: "eu-west-1", availabilityZones: ["eu-west-1a", "eu-west-1b"], databasePort: 5432,
      });
    })) as { resource: Record<string, Record<string, { tags?: Record<string, string> }>> };
    const keySets = Object.values(parsed.resource).flatMap((byName) => Object.values(byName)).map((r) => Object.keys(r.tags ?? {}));
    for (const keys of keySets) expect(MODULE_TAGS).toEqual(expect.arrayContaining(keys));
    expect(Math.max(...keySets.map((k) => k.length))).toBe(MODULE_TAGS.length);
  });
});
