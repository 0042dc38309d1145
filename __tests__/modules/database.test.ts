import { describe, expect, it } from "vitest";
import { Testing } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { DbInstance } from "@cdktf/provider-aws/lib/db-instance/index.js";
import { DbParameterGroup } from "@cdktf/provider-aws/lib/db-parameter-group/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js";
import { RdsCluster } from "@cdktf/provider-aws/lib/rds-cluster/index.js";
import { RdsClusterParameterGroup } from "@cdktf/provider-aws/lib/rds-cluster-parameter-group/index.js";
import { Database } from "../../modules/database.ts";
import { resolveDatabaseSettings, type DatabaseSettingsInput } from "../../modules/database-settings.ts";
import { thrownMessage, type SynthesizedStack } from "../helpers.ts";

const KEY = "arn:aws:kms:eu-west-1:123456789012:key/0b2d6a1e-1111-4c1d-9a4e-123456789abc";

function synthDatabase(input: DatabaseSettingsInput, production = false) {
  let database: Database | undefined;
  const json = Testing.synthScope((scope) => {
    database = new Database(scope, "database", {
      settings: resolveDatabaseSettings(input, production),
      identifier: "shop-test",
      region: "eu-west-1",
      availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
      subnetGroupName: "shop-test-database",
      securityGroupId: "sg-0123456789abcdef0",
      kmsKeyArn: KEY,
    });
  });
  return { json, parsed: JSON.parse(json) as SynthesizedStack, database: database! };
}

const aurora: DatabaseSettingsInput = { engine: "aurora-postgresql", engineVersion: "16.6", instanceClass: "db.r6g.large", readers: 2, databaseName: "shop" };

describe("Database as an Aurora cluster", () => {
  it("encrypts with the key, lets RDS manage the master password and enables IAM auth", () => {
    const { json } = synthDatabase(aurora, true);
    expect(json).toHaveResourceWithProperties(RdsCluster, {
      cluster_identifier: "shop-test",
      engine: "aurora-postgresql",
      engine_mode: "provisioned",
      engine_version: "16.6",
      master_username: "dbadmin",
      manage_master_user_password: true,
      master_user_secret_kms_key_id: KEY,
      storage_encrypted: true,
      kms_key_id: KEY,
      iam_database_authentication_enabled: true,
      deletion_protection: true,
      skip_final_snapshot: false,
      final_snapshot_identifier: "shop-test-final",
      backup_retention_period: 14,
      preferred_backup_window: "03:00-04:00",
      preferred_maintenance_window: "sun:04:30-sun:05:30",
      copy_tags_to_snapshot: true,
      enabled_cloudwatch_logs_exports: ["postgresql"],
      vpc_security_group_ids: ["sg-0123456789abcdef0"],
      db_subnet_group_name: "shop-test-database",
      port: 5432,
      apply_immediately: false,
      allow_major_version_upgrade: false,
    });
    expect(json).not.toMatch(/master_password"/);
  });

  it("spreads the writer and readers over the zones with ordinal names and promotion tiers", () => {
    const { parsed } = synthDatabase(aurora);
    const instances = Object.values(parsed.resource.aws_rds_cluster_instance!);
    expect(instances.map((i) => [i.identifier, i.availability_zone, i.promotion_tier])).toEqual([
      ["shop-test-1", "eu-west-1a", 0], ["shop-test-2", "eu-west-1b", 1], ["shop-test-3", "eu-west-1c", 2],
    ]);
    for (const instance of instances) {
      expect(instance).toMatchObject({
        instance_class: "db.r6g.large", publicly_accessible: false, auto_minor_version_upgrade: true,
        ca_cert_identifier: "rds-ca-rsa2048-g1", monitoring_interval: 60, performance_insights_enabled: true,
        performance_insights_kms_key_id: KEY, performance_insights_retention_period: 7,
      });
    }
  });

  it("forces TLS through the cluster parameter group", () => {
    const { json } = synthDatabase(aurora);
    expect(json).toHaveResourceWithProperties(RdsClusterParameterGroup, {
      name: "shop-test-cluster", family: "aurora-postgresql16", parameter: [{ name: "rds.force_ssl", value: "1" }],
    });
  });

  it("makes every instance db.serverless with the scaling range for Serverless v2", () => {
    const { json, parsed } = synthDatabase({ engine: "aurora-postgresql", engineVersion: "16.6", serverless: { minCapacity: 0.5, maxCapacity: 2 }, databaseName: "shop" });
    expect(json).toHaveResourceWithProperties(RdsCluster, { serverlessv2_scaling_configuration: { min_capacity: 0.5, max_capacity: 2 } });
    expect(Object.values(parsed.resource.aws_rds_cluster_instance!).map((i) => i.instance_class)).toEqual(["db.serverless"]);
  });

  it("turns on what MySQL needs for the logs it exports, and requires secure transport", () => {
    const { json } = synthDatabase({ engine: "aurora-mysql", engineVersion: "8.0.mysql_aurora.3.08.0", instanceClass: "db.r6g.large", databaseName: "shop", logExports: ["audit", "slowquery"] });
    expect(json).toHaveResourceWithProperties(RdsClusterParameterGroup, {
      family: "aurora-mysql8.0",
      parameter: [
        { name: "require_secure_transport", value: "ON" },
        { name: "slow_query_log", value: "1" },
        { name: "long_query_time", value: "2" },
        { name: "log_output", value: "FILE" },
        { name: "server_audit_logging", value: "1" },
        { name: "server_audit_events", value: "CONNECT,QUERY_DCL,QUERY_DDL" },
      ],
    });
  });

  it("creates the exported logs' groups with retention and the key before the cluster", () => {
    const { json, parsed } = synthDatabase(aurora);
    expect(json).toHaveResourceWithProperties(CloudwatchLogGroup, { name: "/aws/rds/cluster/shop-test/postgresql", retention_in_days: 30, kms_key_id: KEY });
    const cluster = Object.values(parsed.resource.aws_rds_cluster!)[0]!;
    expect(cluster.depends_on).toEqual([expect.stringMatching(/^aws_cloudwatch_log_group\.database_log-group-postgresql_/)]);
  });

  it("gives Enhanced Monitoring a role only RDS monitoring can assume", () => {
    const { json } = synthDatabase(aurora);
    expect(json).toHaveResourceWithProperties(IamRole, { name: "shop-test-monitoring" });
    expect(json).toHaveResourceWithProperties(IamRolePolicyAttachment, { policy_arn: "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole" });
    const { parsed } = synthDatabase(aurora);
    const trust = JSON.parse(String(Object.values(parsed.resource.aws_iam_role!)[0]!.assume_role_policy));
    expect(trust.Statement).toEqual([{ Effect: "Allow", Principal: { Service: "monitoring.rds.amazonaws.com" }, Action: "sts:AssumeRole" }]);
    const off = synthDatabase({ ...aurora, monitoringIntervalSeconds: 0 });
    expect(off.parsed.resource.aws_iam_role).toBeUndefined();
  });

  it("exposes endpoints, identifiers and the master secret as outputs", () => {
    const { database } = synthDatabase(aurora);
    expect(database.engineFamily).toBe("POSTGRESQL");
    expect(database.isCluster).toBe(true);
    expect(database.hasReaders).toBe(true);
    expect(database.port).toBe(5432);
    for (const token of [database.writerEndpoint, database.readerEndpoint, database.resourceId, database.masterSecretArn]) {
      expect(token).toMatch(/\$\{TfToken/);
    }
  });
});

describe("Database as an RDS instance", () => {
  const mysql: DatabaseSettingsInput = { engine: "mysql", engineVersion: "8.0.40", instanceClass: "db.t3.micro", databaseName: "shop" };

  it("creates an encrypted instance with managed password, storage autoscaling and no public access", () => {
    const { json, database } = synthDatabase(mysql);
    expect(json).toHaveResourceWithProperties(DbInstance, {
      identifier: "shop-test", engine: "mysql", engine_version: "8.0.40", instance_class: "db.t3.micro",
      allocated_storage: 20, max_allocated_storage: 100, storage_type: "gp3", storage_encrypted: true, kms_key_id: KEY,
      username: "dbadmin", manage_master_user_password: true, master_user_secret_kms_key_id: KEY, port: 3306,
      multi_az: false, availability_zone: "eu-west-1a", publicly_accessible: false, iam_database_authentication_enabled: true,
      performance_insights_enabled: false, enabled_cloudwatch_logs_exports: ["error", "slowquery"],
    });
    expect(json).toHaveResourceWithProperties(DbParameterGroup, { family: "mysql8.0", parameter: [
      { name: "require_secure_transport", value: "ON" }, { name: "slow_query_log", value: "1" },
      { name: "long_query_time", value: "2" }, { name: "log_output", value: "FILE" },
    ] });
    expect(json).toHaveResourceWithProperties(CloudwatchLogGroup, { name: "/aws/rds/instance/shop-test/slowquery" });
    expect(database.readerEndpoint).toBeUndefined();
    expect(database.hasReaders).toBe(false);
  });

  it("lets RDS choose the zone of a Multi-AZ instance", () => {
    const { parsed } = synthDatabase({ engine: "postgres", engineVersion: "16", instanceClass: "db.t4g.medium", databaseName: "shop" }, true);
    const instance = Object.values(parsed.resource.aws_db_instance!)[0]!;
    expect(instance).toMatchObject({ multi_az: true, engine_version: "16" });
    expect(instance.availability_zone).toBeUndefined();
  });
});

describe("Database validation", () => {
  it("fails for settings RDS would refuse, naming the prop", () => {
    const message = thrownMessage(() => synthDatabase({ ...aurora, readers: 20, monitoringIntervalSeconds: 7 }));
    expect(message).toContain("Database database: 2 problems");
    expect(message).toContain("readers: 20 — must be a whole number from 0 to 15");
    expect(message).toContain("monitoringIntervalSeconds: 7 — must be one of 0, 1, 5, 10, 15, 30, 60");
  });
});
