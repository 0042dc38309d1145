import { afterEach, describe, expect, it } from "vitest";
import { Testing } from "cdktf";
import { DbInstance } from "@cdktf/provider-aws/lib/db-instance/index.js";
import { DbParameterGroup } from "@cdktf/provider-aws/lib/db-parameter-group/index.js";
import { RdsCluster } from "@cdktf/provider-aws/lib/rds-cluster/index.js";
import { RdsClusterInstance } from "@cdktf/provider-aws/lib/rds-cluster-instance/index.js";
import { RdsClusterParameterGroup } from "@cdktf/provider-aws/lib/rds-cluster-parameter-group/index.js";
import { Database } from "../../modules/database.ts";
import { ENGINE_CATALOG, RDS_PROXY_SUPPORT } from "../../modules/catalog/index.ts";
import { DATABASE_ENGINES, rdsProxyNeedsVersion, type DatabaseEngine } from "../../modules/database-engines.ts";
import { checkRdsProxySupport, resolveDatabaseSettings, validateDatabaseSettings, type DatabaseSettingsInput } from "../../modules/database-settings.ts";
import { Problems, formatProblem } from "../../modules/validation.ts";
import { resolveEnvironments, ValidationError } from "../../stacks/config.ts";
import { environments } from "../../stacks/environments.ts";
import type { SynthesizedStack } from "../helpers.ts";

const NOW = new Date("2026-12-06T12:00:00Z");
const AURORA_PG: DatabaseSettingsInput = { engine: "aurora-postgresql", engineVersion: "16.8", instanceClass: "db.r6g.large", databaseName: "shop", maxConnections: 500 };
const RDS_MYSQL: DatabaseSettingsInput = { engine: "mysql", engineVersion: "8.4.8", instanceClass: "db.t4g.medium", databaseName: "shop" };
const RDS_PG: DatabaseSettingsInput = { engine: "postgres", engineVersion: "16.8", instanceClass: "db.t4g.medium", databaseName: "shop" };
const MAJOR_17: Partial<DatabaseSettingsInput> = { engineVersion: "17.6", upgrade: { from: "16.8" }, originalMajorVersion: "16" };

function problemsOf(input: DatabaseSettingsInput, production = false, now = NOW): string[] {
  const problems = new Problems();
  validateDatabaseSettings(input, production, problems, now);
  return problems.all.map(formatProblem);
}

function synth(input: DatabaseSettingsInput): SynthesizedStack {
  return JSON.parse(Testing.synthScope((scope) => {
    new Database(scope, "database", {
      settings: resolveDatabaseSettings(input, false),
      identifier: "shop-test",
      region: "eu-west-1",
      availabilityZones: ["eu-west-1a", "eu-west-1b"],
      subnetGroupName: "shop-test-database",
      securityGroupId: "sg-0123456789abcdef0",
      kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/0b2d6a1e-1111-4c1d-9a4e-123456789abc",
    });
  })) as SynthesizedStack;
}

const only = (json: SynthesizedStack, type: string) => Object.values(json.resource[type] ?? {}) as Record<string, unknown>[];

describe("engine versions without a planned upgrade", () => {
  it("reads engineVersion as a least version: a newer minor AWS applied is never planned back, on the cluster or its instances", () => {
    // GIVEN a cluster on 16.8 WHEN it synthesizes without upgrade THEN terraform ignores engine_version drift
    const json = synth(AURORA_PG);
    expect(only(json, RdsCluster.tfResourceType)[0]).toMatchObject({ engine_version: "16.8", allow_major_version_upgrade: false, lifecycle: { ignore_changes: ["engine_version"] } });
    expect(only(json, RdsCluster.tfResourceType)[0]!.db_instance_parameter_group_name).toBeUndefined();
    for (const instance of only(json, RdsClusterInstance.tfResourceType)) expect(instance.lifecycle).toEqual({ ignore_changes: ["engine_version"] });
  });

  it("keeps the original parameter group names for the original major", () => {
    const json = synth(AURORA_PG);
    expect(only(json, RdsClusterParameterGroup.tfResourceType).map((g) => g.name)).toEqual(["shop-test-cluster"]);
    expect(only(json, DbParameterGroup.tfResourceType).map((g) => g.name)).toEqual(["shop-test-instance"]);
    expect(only(json, DbParameterGroup.tfResourceType)[0]!.lifecycle).toEqual({ create_before_destroy: true });
  });

  it("names the groups of any later major with their family, so two families never share a name", () => {
    const json = synth({ ...AURORA_PG, engineVersion: "17.6", originalMajorVersion: "16" });
    expect(only(json, RdsClusterParameterGroup.tfResourceType)[0]).toMatchObject({ name: "shop-test-cluster-aurora-postgresql17", family: "aurora-postgresql17" });
    expect(only(json, DbParameterGroup.tfResourceType)[0]).toMatchObject({ name: "shop-test-instance-aurora-postgresql17", family: "aurora-postgresql17" });
    const mysql = synth({ ...RDS_MYSQL, originalMajorVersion: "8.0" });
    expect(only(mysql, DbParameterGroup.tfResourceType)[0]).toMatchObject({ name: "shop-test-mysql8-4", family: "mysql8.4" });
  });
});

describe("automatic minor upgrades", () => {
  it("are on by default, and off on Aurora MySQL's long-term support minors, where AWS recommends it", () => {
    expect(resolveDatabaseSettings(AURORA_PG, true).autoMinorVersionUpgrade).toBe(true);
    expect(resolveDatabaseSettings(RDS_MYSQL, true).autoMinorVersionUpgrade).toBe(true);
    const auroraMysql = (engineVersion: string) => resolveDatabaseSettings({ engine: "aurora-mysql", engineVersion, instanceClass: "db.r6g.large", databaseName: "shop" }, true);
    expect(auroraMysql("8.0.mysql_aurora.3.10.4").autoMinorVersionUpgrade).toBe(false);
    expect(auroraMysql("8.0.mysql_aurora.3.04.2").autoMinorVersionUpgrade).toBe(false);
    expect(auroraMysql("8.0.mysql_aurora.3.13.0").autoMinorVersionUpgrade).toBe(true);
    expect(resolveDatabaseSettings({ engine: "aurora-mysql", engineVersion: "8.0.mysql_aurora.3.10.4", instanceClass: "db.r6g.large", databaseName: "shop", autoMinorVersionUpgrade: true }, true).autoMinorVersionUpgrade).toBe(true);
  });
});

describe("a planned upgrade", () => {
  it("plans a minor upgrade as a version change alone: no major flag, no parameter group change", () => {
    const json = synth({ ...AURORA_PG, engineVersion: "16.10", upgrade: { from: "16.8" } });
    const cluster = only(json, RdsCluster.tfResourceType)[0]!;
    expect(cluster).toMatchObject({ engine_version: "16.10", allow_major_version_upgrade: false, db_cluster_parameter_group_name: expect.stringMatching(/^\$\{aws_rds_cluster_parameter_group\.database_cluster-parameters_[A-F0-9]+\.name\}$/) });
    expect(cluster.lifecycle).toBeUndefined();
    expect(only(json, RdsClusterParameterGroup.tfResourceType)[0]!.name).toBe("shop-test-cluster");
  });

  it("plans a major Aurora upgrade: the new family's groups, created before they are used, named on the cluster with the major flag", () => {
    const json = synth({ ...AURORA_PG, ...MAJOR_17 });
    const cluster = only(json, RdsCluster.tfResourceType)[0]!;
    expect(cluster).toMatchObject({ engine_version: "17.6", allow_major_version_upgrade: true });
    expect(cluster.db_instance_parameter_group_name).toMatch(/^\$\{aws_db_parameter_group\.database_instance-parameters_[A-F0-9]+\.name\}$/);
    expect(cluster.lifecycle).toBeUndefined();
    expect(only(json, RdsClusterParameterGroup.tfResourceType)[0]).toMatchObject({
      name: "shop-test-cluster-aurora-postgresql17", family: "aurora-postgresql17", lifecycle: { create_before_destroy: true },
    });
    expect(only(json, DbParameterGroup.tfResourceType)[0]).toMatchObject({ name: "shop-test-instance-aurora-postgresql17", lifecycle: { create_before_destroy: true } });
  });

  it("plans a major RDS MySQL upgrade with the major flag and the 8.4 group", () => {
    const json = synth({ ...RDS_MYSQL, engineVersion: "8.4.8", upgrade: { from: "8.0.42" }, originalMajorVersion: "8.0" });
    expect(only(json, DbInstance.tfResourceType)[0]).toMatchObject({ engine_version: "8.4.8", allow_major_version_upgrade: true });
    expect(only(json, DbParameterGroup.tfResourceType)[0]).toMatchObject({ name: "shop-test-mysql8-4", family: "mysql8.4" });
  });
});

describe("upgrade validation", () => {
  it("accepts a minor upgrade, and a major one on a path AWS performs with its acknowledgement in production", () => {
    expect(problemsOf({ ...AURORA_PG, engineVersion: "16.10", upgrade: { from: "16.8" } }, true)).toEqual([]);
    expect(problemsOf({ ...AURORA_PG, ...MAJOR_17, upgrade: { from: "16.8", allowMajor: "16->17" }, applyImmediately: true }, true)).toEqual([]);
    expect(problemsOf({ ...RDS_MYSQL, engineVersion: "8.4.8", upgrade: { from: "8.0.42" }, originalMajorVersion: "8.0" })).toEqual([]);
  });

  it("takes a version AWS no longer creates as the source of an upgrade, while refusing it for a new database", () => {
    // RDS for MySQL 8.0.46 came out on 8 May 2026, two months before AWS stopped creating 8.0 databases.
    expect(problemsOf({ ...RDS_MYSQL, engineVersion: "8.0.46" })[0]).toMatch(/^engineVersion: "8.0.46" — is refused for new databases since 2026-07-01/);
    expect(problemsOf({ ...RDS_MYSQL, engineVersion: "8.4.9", upgrade: { from: "8.0.46" }, originalMajorVersion: "8.0" })).toEqual([]);
    expect(problemsOf({ ...RDS_MYSQL, engineVersion: "8.4.8", upgrade: { from: "8.0.46" }, originalMajorVersion: "8.0" })).toEqual([
      'engineVersion: "8.4.8" — is not a major upgrade target of 8.0.46 AWS performs in place: 8.4, 8.4.9, 8.4.10, 8.4.11 (catalog of upgrade paths; refresh with npm run catalog -- --check)',
    ]);
  });

  it("takes Aurora PostgreSQL from 16 straight to 18, as AWS's table lists", () => {
    expect(problemsOf({ ...AURORA_PG, engineVersion: "18.3", upgrade: { from: "16.8", allowMajor: "16->18" }, originalMajorVersion: "16", applyImmediately: true }, true)).toEqual([]);
  });

  it("fails when the target is not newer than what runs", () => {
    expect(problemsOf({ ...AURORA_PG, engineVersion: "16.8", upgrade: { from: "16.9" } })).toEqual([
      'engineVersion: "16.8" — must be newer than upgrade.from (16.9): RDS does not downgrade an engine; remove upgrade to leave the version alone',
    ]);
  });

  it("fails when upgrade.from is not a version of the engine", () => {
    expect(problemsOf({ ...AURORA_PG, engineVersion: "16.10", upgrade: { from: "sixteen" } })).toEqual([
      'upgrade.from: "sixteen" — must be the version the database runs now, written as aurora-postgresql versions are (e.g. what describe-db-clusters / describe-db-instances report)',
    ]);
  });

  it("fails when a major upgrade is not a path in the catalog, naming the targets AWS offers", () => {
    // AWS's table lists 17.7 as a target of 16.4–16.10, but not of 16.11, whose lowest 17 is 17.9.
    expect(problemsOf({ ...AURORA_PG, ...MAJOR_17, engineVersion: "17.7", upgrade: { from: "16.11" } })).toEqual([
      'engineVersion: "17.7" — is not a major upgrade target of 16.11 AWS performs in place: 17.9, 17.10, 18.3, 18.4 (catalog of upgrade paths; refresh with npm run catalog -- --check)',
    ]);
    expect(problemsOf({ ...AURORA_PG, ...MAJOR_17, engineVersion: "17.7" })).toEqual([]);
    // The table's 14.6 row was not read: nothing is recorded for it, and the message says so.
    expect(problemsOf({ ...AURORA_PG, upgrade: { from: "14.6" }, originalMajorVersion: "14" })[0]).toMatch(new RegExp(
      '^engineVersion: "16.8" — is not a major upgrade target of 14.6 in the catalog of upgrade paths \\(none recorded for 14.6; recorded sources: 14.15, 14.17, .*, 17.9\\); ' +
        "check AWS's targets with npm run catalog -- --check$",
    ));
  });

  // Targets such as 17.6 and 16.10 left standard support in 2026 (AWS stopped creating them the month before):
  // these cases are checked on a day they were still created.
  const TABLE_CURRENT = new Date("2026-03-02T12:00:00Z");

  it("accepts RDS for PostgreSQL major upgrades on AWS's paths, skipping majors where AWS does", () => {
    expect(problemsOf({ ...RDS_PG, engineVersion: "17.6", upgrade: { from: "16.8" }, originalMajorVersion: "16" }, false, TABLE_CURRENT)).toEqual([]);
    expect(problemsOf({ ...RDS_PG, engineVersion: "16.10", upgrade: { from: "15.14" }, originalMajorVersion: "15" }, false, TABLE_CURRENT)).toEqual([]);
    expect(problemsOf({ ...RDS_PG, engineVersion: "17.6", upgrade: { from: "13.22" }, originalMajorVersion: "13" }, false, TABLE_CURRENT)).toEqual([]);
  });

  it("fails when an RDS for PostgreSQL upgrade target is past the day AWS stops creating it, though the path is in the table", () => {
    expect(problemsOf({ ...RDS_PG, engineVersion: "17.6", upgrade: { from: "16.8" }, originalMajorVersion: "16" })).toEqual([
      'engineVersion: "17.6" — is refused for new databases since 2026-10-01: AWS stops creating RDS for PostgreSQL 17.6 databases in the month before ' +
        "its end of standard support (2026-10-31); use a version it still offers: 15, 15.18, 15.19, 16, 16.14, 16.15, 17, 17.10, 17.11, 18, 18.4, 18.6",
    ]);
  });

  it("fails when an RDS for PostgreSQL major upgrade is not on AWS's path: a major alone, or a target older than the source's", () => {
    expect(problemsOf({ ...RDS_PG, engineVersion: "17", upgrade: { from: "16.8" }, originalMajorVersion: "16" }, false, TABLE_CURRENT)).toEqual([
      'engineVersion: "17" — is not a major upgrade target of 16.8 AWS performs in place: 17.5, 17.6, 17.7, 17.8, 17.9, 17.10, 17.11, 18.1, 18.2, 18.3, 18.4, 18.6 ' +
        "(catalog of upgrade paths; refresh with npm run catalog -- --check)",
    ]);
    expect(problemsOf({ ...RDS_PG, engineVersion: "16.8", upgrade: { from: "15.14" }, originalMajorVersion: "15" }, false, TABLE_CURRENT)).toEqual([
      'engineVersion: "16.8" — is not a major upgrade target of 15.14 AWS performs in place: 16.10, 16.11, 16.12, 16.13, 16.14, 16.15, 17.6, 17.7, 17.8, 17.9, 17.10, 17.11, ' +
        "18.1, 18.2, 18.3, 18.4, 18.6 (catalog of upgrade paths; refresh with npm run catalog -- --check)",
    ]);
  });

  it("fails when a major upgrade would wait for the maintenance window, leaving the old groups in use when terraform deletes them", () => {
    expect(problemsOf({ ...AURORA_PG, ...MAJOR_17, upgrade: { from: "16.8", allowMajor: "16->17" } }, true)).toEqual([
      "applyImmediately: false — must be true with a major upgrade: the parameter groups of the old family are deleted in the same apply, so the upgrade must happen then, " +
        "not in the maintenance window; run the apply when you mean the upgrade to happen",
    ]);
    expect(problemsOf({ ...AURORA_PG, ...MAJOR_17, applyImmediately: false })[0]).toMatch(/^applyImmediately: false — must be true with a major upgrade/);
    expect(problemsOf({ ...AURORA_PG, engineVersion: "16.10", upgrade: { from: "16.8" } }, true)).toEqual([]);
  });

  it("fails when production does not acknowledge a major upgrade, or an acknowledgement names another one", () => {
    expect(problemsOf({ ...AURORA_PG, ...MAJOR_17, applyImmediately: true }, true)).toEqual([
      "upgrade.allowMajor: (not set) — must be \"16->17\" in production: a major upgrade takes the database down and cannot be undone in place",
    ]);
    expect(problemsOf({ ...AURORA_PG, ...MAJOR_17, upgrade: { from: "16.8", allowMajor: "15->17" } })).toEqual([
      'upgrade.allowMajor: "15->17" — must be "16->17", the major upgrade this config plans',
    ]);
    expect(problemsOf({ ...AURORA_PG, engineVersion: "16.10", upgrade: { from: "16.8", allowMajor: "16->16" } })).toEqual([
      'upgrade.allowMajor: "16->16" — acknowledges a major upgrade; 16.8 -> 16.10 is a minor one',
    ]);
  });

  it("fails when a major upgrade does not record the original major, and when that major is newer than the target", () => {
    expect(problemsOf({ ...AURORA_PG, engineVersion: "17.6", upgrade: { from: "16.8" } })).toEqual([
      'originalMajorVersion: (not set) — must be set with a major upgrade: the major the database was created on (likely "16"), whose parameter groups keep their names; keep it after the upgrade',
    ]);
    expect(problemsOf({ ...AURORA_PG, originalMajorVersion: "17" })).toEqual([
      'originalMajorVersion: "17" — must not be newer than engineVersion\'s major (16): it is the major the database was created on',
    ]);
    expect(problemsOf({ ...AURORA_PG, originalMajorVersion: "16.8" })).toEqual([
      'originalMajorVersion: "16.8" — must be a major version of aurora-postgresql written as engineVersion\'s major is ("16")',
    ]);
  });

  it("refuses what the target version cannot do: Serverless v2 limits come from the target's facts", () => {
    const serverless = { ...AURORA_PG, instanceClass: undefined, maxConnections: undefined, serverless: { minCapacity: 0.5, maxCapacity: 2 } };
    expect(problemsOf({ ...serverless, ...MAJOR_17 })).toEqual([]);
  });

  it("fails when blue/green is asked for: AWS refuses it with RDS-managed master passwords, which every dbstack database has", () => {
    expect(problemsOf({ ...RDS_MYSQL, blueGreenUpdate: true })).toEqual([
      "blueGreenUpdate: true — RDS blue/green deployments do not support master user passwords managed with AWS Secrets Manager " +
        "(Amazon RDS User Guide, Limitations for blue/green deployments, read 2026-12-06); dbstack always lets RDS manage the master password " +
        "(manage_master_user_password), so no password ever reaches config or state. The provider's blue_green_update cannot hand the password off for the deployment, " +
        "so it would fail at CreateBlueGreenDeployment: run `npm run blue-green -- <env> --to <version> --release-managed-master-password`, " +
        "which hands it off for the run and back after it (or upgrade in place with database.upgrade)",
    ]);
    expect(problemsOf({ ...AURORA_PG, blueGreenUpdate: true })).toEqual([
      "blueGreenUpdate: true — applies to RDS instances only; for Aurora run `npm run blue-green -- <env> --to <version> --release-managed-master-password`",
    ]);
  });
});

describe("RDS Proxy support of the version", () => {
  const proxyProblems = (engine: DatabaseEngine, version: string) => {
    const problems = new Problems();
    checkRdsProxySupport(engine, version, ENGINE_CATALOG[engine].label, problems);
    return problems.all.map(formatProblem);
  };
  const auroraPostgresMinimums = (RDS_PROXY_SUPPORT["aurora-postgresql"] as { minimums: Record<string, string> }).minimums;
  const original = { ...auroraPostgresMinimums };
  afterEach(() => Object.assign(auroraPostgresMinimums, original));

  it("fails when an Aurora MySQL version is older than RDS Proxy fronts, or of a major it does not list", () => {
    expect(proxyProblems("aurora-mysql", "8.0.mysql_aurora.3.00.9")).toEqual([
      'engineVersion: "8.0.mysql_aurora.3.00.9" — is not supported by RDS Proxy, which dbstack always puts in front of the database: ' +
        "RDS Proxy fronts Aurora MySQL 3.01.0 or later (catalog of RDS Proxy engine support, 2026-12-07)",
    ]);
    expect(proxyProblems("aurora-mysql", "8.0.mysql_aurora.4.00.0")[0]).toMatch(/^engineVersion: "8.0.mysql_aurora.4.00.0" — is not supported by RDS Proxy/);
    expect(proxyProblems("aurora-mysql", "8.0.mysql_aurora.3.01.0")).toEqual([]);
  });

  it("fails when an Aurora PostgreSQL version is older than RDS Proxy fronts: 13.3, the first Aurora 13, predates the proxy's 13.4", () => {
    expect(proxyProblems("aurora-postgresql", "13.3")).toEqual([
      'engineVersion: "13.3" — is not supported by RDS Proxy, which dbstack always puts in front of the database: ' +
        "RDS Proxy fronts Aurora PostgreSQL 12.8, 13.4, 14.3, 15.2, 16.1, 17.4, 18.3 or later (catalog of RDS Proxy engine support, 2026-12-07)",
    ]);
    expect(proxyProblems("aurora-postgresql", "13.4")).toEqual([]);
    expect(proxyProblems("aurora-postgresql", "18.3")).toEqual([]);
    // Aurora PostgreSQL 11 ("11.9 and 11.13 and higher") is not recorded; 19 is not in the table yet.
    expect(proxyProblems("aurora-postgresql", "11.13")).toHaveLength(1);
    expect(proxyProblems("aurora-postgresql", "19.1")).toHaveLength(1);
  });

  it("fails when an RDS version is of a major the proxy table does not list, and accepts every version of those it lists", () => {
    expect(proxyProblems("postgres", "19.1")).toEqual([
      'engineVersion: "19.1" — is not supported by RDS Proxy, which dbstack always puts in front of the database: ' +
        "RDS Proxy fronts RDS for PostgreSQL versions of 10, 11, 12, 13, 14, 15, 16, 17, 18 (every minor of each) (catalog of RDS Proxy engine support, 2026-12-07)",
    ]);
    expect(proxyProblems("mysql", "9.4.0")).toEqual([
      'engineVersion: "9.4.0" — is not supported by RDS Proxy, which dbstack always puts in front of the database: ' +
        "RDS Proxy fronts RDS for MySQL versions of 5.7, 8.0, 8.4 (every minor of each) (catalog of RDS Proxy engine support, 2026-12-07)",
    ]);
    for (const version of ["10.1", "16.1", "18", "18.6"]) expect(proxyProblems("postgres", version), version).toEqual([]);
    for (const version of ["5.7.44", "8.0.28", "8.4", "8.4.11"]) expect(proxyProblems("mysql", version), version).toEqual([]);
  });

  it("checks every engine, and accepts every version the catalog offers", () => {
    expect(Object.keys(RDS_PROXY_SUPPORT).sort()).toEqual([...DATABASE_ENGINES].sort());
    for (const engine of DATABASE_ENGINES) {
      const catalog = ENGINE_CATALOG[engine];
      for (const version of [...catalog.versions.map((row) => row.version), ...Object.keys(catalog.majors ?? {})]) {
        expect(rdsProxyNeedsVersion(engine, version), `${engine} ${version}`).toBeUndefined();
      }
    }
  });

  it("refuses the version through config validation, as for a new database so for an upgrade's target", () => {
    // No version the catalog offers is below the proxy's minimums, so the 16 minimum is raised for this test.
    auroraPostgresMinimums["16"] = "16.9";
    expect(problemsOf(AURORA_PG).filter((p) => p.includes("RDS Proxy"))).toEqual([
      'engineVersion: "16.8" — is not supported by RDS Proxy, which dbstack always puts in front of the database: ' +
        "RDS Proxy fronts Aurora PostgreSQL 12.8, 13.4, 14.3, 15.2, 16.9, 17.4, 18.3 or later (catalog of RDS Proxy engine support, 2026-12-07)",
    ]);
    auroraPostgresMinimums["17"] = "17.7";
    expect(problemsOf({ ...AURORA_PG, ...MAJOR_17 }).filter((p) => p.includes("RDS Proxy"))).toEqual([
      expect.stringMatching(/^engineVersion: "17.6" — is not supported by RDS Proxy, .*17\.7, 18\.3 or later/),
    ]);
  });
});

describe("the shipped production environment", () => {
  const prod = environments.find((e) => e.name === "prod")!;
  const upgraded = (upgrade: DatabaseSettingsInput["upgrade"]) => ({ ...prod, database: { ...prod.database, engineVersion: "17.6", originalMajorVersion: "16", applyImmediately: true, upgrade } });

  it("takes a major upgrade with its acknowledgement, and names the setting in full without it", () => {
    expect(() => resolveEnvironments([upgraded({ from: "16.8", allowMajor: "16->17" })], { now: NOW })).not.toThrow();
    let error: unknown;
    try {
      resolveEnvironments([upgraded({ from: "16.8" })], { now: NOW });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems.map(formatProblem)).toEqual([
      'prod.database.upgrade.allowMajor: (not set) — must be "16->17" in production: a major upgrade takes the database down and cannot be undone in place',
    ]);
  });
});
