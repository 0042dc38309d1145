import {
  AURORA_INSTANCE_CLASSES, CA_CERTIFICATES, DATABASE_ENGINES, DEFAULT_LOG_EXPORTS, LOG_EXPORTS, MONITORING_INTERVALS,
  RDS_INSTANCE_CLASSES, SERVERLESS_INSTANCE_CLASS, classNeedsVersion, currentVersions, defaultPortOf, engineFamilyOf,
  compareVersions, defaultAutoMinorVersionUpgrade, engineVersionFacts, featureMinimums, isAurora, isVersionShaped, majorVersionOf, parameterGroupFamilyOf,
  rdsProxyNeedsVersion, supportsPerformanceInsights, type DatabaseEngine, type EngineVersionFacts,
} from "./database-engines.ts";
import { BLUE_GREEN_LIMITATIONS, MAJOR_UPGRADE_PATHS, RDS_PROXY_CATALOG, creationBlockedFrom, lifecycleOn, PERFORMANCE_INSIGHTS_UNSUPPORTED } from "./catalog/index.ts";
import { LOG_RETENTION_DAYS } from "./aws-regions.ts";
import { databaseNameProblem, masterUserNameProblem } from "../scripts/lib/names/database-names.ts";
import { isRecord, Problems } from "./validation.ts";
import { readerCount, readerInstances, resolveReaderScaling, validateReaders, type ReaderInstanceInput, type ReaderScalingSettings, type ReadersInput } from "./reader-scaling.ts";

/**
 * What an environment says about its database. Every optional setting has a default; where the default
 * differs between production and other environments the doc says so. Safety settings (deletion protection,
 * final snapshot, IAM authentication, backups of at least 7 days) cannot be relaxed in production.
 */
export interface DatabaseSettingsInput {
  /** `aurora-postgresql` / `aurora-mysql` make an Aurora cluster; `postgres` / `mysql` an RDS instance. */
  readonly engine: DatabaseEngine;
  /**
   * The engine version, read as "at least": Aurora needs "<major>.<minor>", RDS also accepts a major alone
   * ("16"). Once the database exists, a newer minor AWS applied (automatic minor upgrades) is left alone
   * rather than planned as a downgrade, and changing this setting alone plans nothing (the review page says
   * so): a change of version is planned only together with `upgrade`.
   */
  readonly engineVersion: string;
  /**
   * Moves the database from the version it runs now to `engineVersion` (minor or major) in the next apply.
   * A major upgrade must be a path AWS performs in place (the catalog's upgrade table); its new parameter
   * groups are created before the database moves to them, and `allow_major_version_upgrade` is set for it
   * alone. Remove this once the apply has run.
   * @default no version change is planned
   */
  readonly upgrade?: DatabaseUpgradeInput;
  /**
   * The major whose parameter groups keep dbstack's original names (`<id>-cluster`, `<id>-instance`, `<id>`):
   * the major the database was created on. Groups of any other major carry their family
   * (`<id>-cluster-aurora-postgresql17`), so a major upgrade can create them beside the groups in use. Required
   * with a major `upgrade`, and kept afterwards: changing it renames, i.e. replaces, the parameter groups.
   * @default the major of `engineVersion`
   */
  readonly originalMajorVersion?: string;
  /**
   * RDS instance only: apply changes that replace or upgrade the instance (engine version, parameter group,
   * class) through an RDS blue/green deployment (`blue_green_update`), switching over when the green
   * instance is in sync. Refused while AWS's limitations exclude dbstack's databases (see the catalog).
   * @default false
   */
  readonly blueGreenUpdate?: boolean;
  /**
   * Aurora engine mode. Only `provisioned` (which includes Serverless v2) is accepted: Serverless v1
   * (`serverless`) cannot be fronted by RDS Proxy.
   * @default "provisioned"
   */
  readonly engineMode?: "provisioned" | "serverless";
  /** Instance class of every instance, e.g. "db.r6g.large". Required unless `serverless` is set. */
  readonly instanceClass?: string;
  /** Aurora Serverless v2 capacity range in ACUs; makes every instance `db.serverless`. Aurora only. */
  readonly serverless?: { readonly minCapacity: number; readonly maxCapacity: number };
  /**
   * Aurora reader instances besides the writer, spread over the availability zones: a count, one settings
   * entry per reader (instance class, promotion tier, zone), or `{ min, max, target }` to scale them with
   * Aurora Auto Scaling (provisioned classes; Terraform creates `min`). See modules/reader-scaling.ts.
   * @default 0
   */
  readonly readers?: ReadersInput;
  /**
   * RDS instance only: a synchronous standby in another availability zone.
   * @default true in production, false elsewhere
   */
  readonly multiAz?: boolean;
  /**
   * RDS instance only: storage, with storage autoscaling always on; RDS needs the autoscaling ceiling at
   * least 10 % above the allocated storage, and 65536 GiB at most.
   * @default 20 GiB gp3, autoscaling up to twice the allocation and at least 100 GiB (at most 65536)
   */
  readonly storage?: { readonly allocatedGiB?: number; readonly maxAllocatedGiB?: number; readonly type?: "gp2" | "gp3" };
  /**
   * Aurora only: I/O-Optimized storage (`aurora-iopt1`), cheaper when I/O exceeds ~25 % of the bill.
   * @default false
   */
  readonly ioOptimized?: boolean;
  /** The application database the bootstrap script creates; clients connect to it. */
  readonly databaseName: string;
  /**
   * Master user; its password is generated and kept by RDS in Secrets Manager, never seen by Terraform.
   * @default "dbadmin"
   */
  readonly masterUsername?: string;
  /** @default 5432 for PostgreSQL, 3306 for MySQL */
  readonly port?: number;
  /** IAM database authentication on the database itself. @default true */
  readonly iamAuthentication?: boolean;
  /** @default true */
  readonly deletionProtection?: boolean;
  /** Skip the snapshot RDS takes when the database is destroyed; refused in production. @default false */
  readonly skipFinalSnapshot?: boolean;
  /** Days of automated backups (point-in-time recovery), 1..35. @default 14 in production, 1 elsewhere */
  readonly backupRetentionDays?: number;
  /** Daily backup window in UTC, "hh:mm-hh:mm", at least 30 minutes. @default "03:00-04:00" */
  readonly backupWindow?: string;
  /** Weekly maintenance window in UTC, "ddd:hh:mm-ddd:hh:mm", at least 30 minutes, not overlapping backups. @default "sun:04:30-sun:05:30" */
  readonly maintenanceWindow?: string;
  /** @default true */
  readonly copyTagsToSnapshot?: boolean;
  /** Log types exported to CloudWatch Logs. @default the server log (PostgreSQL) or error + slow query logs (MySQL) */
  readonly logExports?: readonly string[];
  /** Retention of the exported logs' groups, a value CloudWatch Logs accepts. @default 365 in production, 30 elsewhere */
  readonly logRetentionDays?: number;
  /** Performance Insights, encrypted with the environment key. @default on (where the class supports it), 7 days */
  readonly performanceInsights?: { readonly enabled?: boolean; readonly retentionDays?: number };
  /** Enhanced Monitoring interval in seconds (0, 1, 5, 10, 15, 30, 60); 0 turns it off. @default 60 */
  readonly monitoringIntervalSeconds?: number;
  /**
   * RDS applies new minor versions in the maintenance window; `engineVersion` is a least version, so such an
   * upgrade never shows as a change to undo.
   * @default true, except on Aurora MySQL's long-term support minors (3.04, 3.10), where AWS recommends off
   */
  readonly autoMinorVersionUpgrade?: boolean;
  /** Certificate authority of the server certificate. @default "rds-ca-rsa2048-g1" */
  readonly caCertificate?: CaCertificate;
  /** Apply changes now rather than in the maintenance window. @default false in production, true elsewhere */
  readonly applyImmediately?: boolean;
  /**
   * An explicit max_connections (10..16000) instead of the engine's memory-based default; set in the
   * instance parameter group (PostgreSQL applies it at the next reboot). @default the engine's formula
   */
  readonly maxConnections?: number;
}

/** A planned version change, from what runs now to `engineVersion`. */
export interface DatabaseUpgradeInput {
  /** The version the database runs now, as `aws rds describe-db-clusters` / `describe-db-instances` report it. */
  readonly from: string;
  /**
   * The acknowledgement of a major upgrade, "<from major>-><target major>" (e.g. "16->17"); required in
   * production, checked wherever it is given.
   */
  readonly allowMajor?: string;
}

/** Settings with every default filled in. */
export interface DatabaseSettings {
  readonly engine: DatabaseEngine;
  readonly engineVersion: string;
  readonly parameterGroupFamily: string;
  /** The planned version change; undefined: `engineVersion` is a least version and drift upward is left alone. */
  readonly upgrade?: { readonly from: string; readonly major: boolean; readonly fromParameterGroupFamily: string };
  /**
   * Appended to the parameter groups' names: "" for the original major's family, "-<family>" (dots as
   * hyphens) for any other, so two families' groups never share a name.
   */
  readonly parameterGroupNameSuffix: string;
  readonly originalMajorVersion: string;
  readonly blueGreenUpdate: boolean;
  /** The class of every instance: a provisioned class or `db.serverless`. */
  readonly instanceClass: string;
  readonly serverless?: { readonly minCapacity: number; readonly maxCapacity: number };
  /** Readers Terraform creates (with scaling: `min`). */
  readonly readers: number;
  /** Settings of the readers Terraform creates, first to last, where given. */
  readonly readerInstances: readonly ReaderInstanceInput[];
  /** Aurora Auto Scaling of the readers. */
  readonly readerScaling?: ReaderScalingSettings;
  /** RDS instance only. */
  readonly multiAz?: boolean;
  /** RDS instance only. */
  readonly storage?: { readonly allocatedGiB: number; readonly maxAllocatedGiB: number; readonly type: "gp2" | "gp3" };
  readonly ioOptimized: boolean;
  readonly databaseName: string;
  readonly masterUsername: string;
  readonly port: number;
  readonly iamAuthentication: boolean;
  readonly deletionProtection: boolean;
  readonly skipFinalSnapshot: boolean;
  readonly backupRetentionDays: number;
  readonly backupWindow: string;
  readonly maintenanceWindow: string;
  readonly copyTagsToSnapshot: boolean;
  readonly logExports: readonly string[];
  readonly logRetentionDays: number;
  readonly performanceInsights: { readonly enabled: boolean; readonly retentionDays: number };
  readonly monitoringIntervalSeconds: number;
  readonly autoMinorVersionUpgrade: boolean;
  readonly caCertificate: CaCertificate;
  readonly applyImmediately: boolean;
  readonly maxConnections?: number;
}

export type CaCertificate = (typeof CA_CERTIFICATES)[number];

export const DEFAULT_MASTER_USERNAME = "dbadmin";
const DEFAULT_BACKUP_WINDOW = "03:00-04:00";
const DEFAULT_MAINTENANCE_WINDOW = "sun:04:30-sun:05:30";
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
const MINUTES_PER_DAY = 24 * 60;
const BACKUP_WINDOW = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/;
const MAINTENANCE_WINDOW = /^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)$/;
const PERFORMANCE_INSIGHTS_RETENTION = [7, ...Array.from({ length: 23 }, (_, i) => (i + 1) * 31), 731];

/** Largest storage (GiB) RDS for PostgreSQL and MySQL allow on gp2/gp3, and so the autoscaling ceiling's limit. */
const MAX_STORAGE_GIB = 65536;
/** The largest allocation that still leaves room for a ceiling 10 % above it. */
const MAX_AUTOSCALED_ALLOCATION_GIB = Math.floor((MAX_STORAGE_GIB * 10) / 11);

/** RDS refuses an autoscaling ceiling less than 10 % above the allocated storage. */
function minimumMaxAllocatedGiB(allocatedGiB: number): number {
  return Math.ceil((allocatedGiB * 11) / 10);
}

function defaultMaxAllocatedGiB(allocatedGiB: number): number {
  return Math.min(MAX_STORAGE_GIB, Math.max(100, allocatedGiB * 2));
}

/** The classes an engine refuses Performance Insights on, as a sentence. */
function performanceInsightsClasses(engine: DatabaseEngine): string {
  const { families, classes } = PERFORMANCE_INSIGHTS_UNSUPPORTED[engine];
  return `not on ${[...families.map((family) => `${family}.*`), ...classes].join(", ")}`;
}

/** Fills the defaults; call `validateDatabaseSettings` on the input first. */
export function resolveDatabaseSettings(input: DatabaseSettingsInput, production: boolean): DatabaseSettings {
  const facts = engineVersionFacts(input.engine, input.engineVersion);
  const instanceClass = input.serverless ? SERVERLESS_INSTANCE_CLASS : (input.instanceClass ?? "");
  const allocatedGiB = input.storage?.allocatedGiB ?? 20;
  const family = "parameterGroupFamily" in facts ? facts.parameterGroupFamily : "";
  const originalMajor = input.originalMajorVersion ?? majorVersionOf(input.engine, input.engineVersion);
  const upgrade = input.upgrade === undefined ? undefined : (() => {
    const fromParameterGroupFamily = parameterGroupFamilyOf(input.engine, majorVersionOf(input.engine, input.upgrade.from));
    return { from: input.upgrade.from, major: fromParameterGroupFamily !== family, fromParameterGroupFamily };
  })();
  return {
    engine: input.engine,
    engineVersion: input.engineVersion,
    parameterGroupFamily: family,
    ...(upgrade ? { upgrade } : {}),
    // An unknown version has no family (it is reported at engineVersion): no suffix rather than a stray "-".
    parameterGroupNameSuffix: family === "" || family === parameterGroupFamilyOf(input.engine, originalMajor) ? "" : `-${family.replace(/\./g, "-")}`,
    originalMajorVersion: originalMajor,
    blueGreenUpdate: input.blueGreenUpdate ?? false,
    instanceClass,
    ...(input.serverless ? { serverless: { ...input.serverless } } : {}),
    readers: readerCount(input.readers),
    readerInstances: readerInstances(input.readers),
    ...(resolveReaderScaling(input.readers) ? { readerScaling: resolveReaderScaling(input.readers) } : {}),
    ...(isAurora(input.engine) ? {} : {
      multiAz: input.multiAz ?? production,
      storage: {
        allocatedGiB,
        maxAllocatedGiB: input.storage?.maxAllocatedGiB ?? defaultMaxAllocatedGiB(allocatedGiB),
        type: input.storage?.type ?? "gp3",
      },
    }),
    ioOptimized: input.ioOptimized ?? false,
    databaseName: input.databaseName,
    masterUsername: input.masterUsername ?? DEFAULT_MASTER_USERNAME,
    port: input.port ?? defaultPortOf(input.engine),
    iamAuthentication: input.iamAuthentication ?? true,
    deletionProtection: input.deletionProtection ?? true,
    skipFinalSnapshot: input.skipFinalSnapshot ?? false,
    backupRetentionDays: input.backupRetentionDays ?? (production ? 14 : 1),
    backupWindow: input.backupWindow ?? DEFAULT_BACKUP_WINDOW,
    maintenanceWindow: input.maintenanceWindow ?? DEFAULT_MAINTENANCE_WINDOW,
    copyTagsToSnapshot: input.copyTagsToSnapshot ?? true,
    logExports: [...(Array.isArray(input.logExports) ? input.logExports : DEFAULT_LOG_EXPORTS[input.engine])],
    logRetentionDays: input.logRetentionDays ?? (production ? 365 : 30),
    performanceInsights: {
      enabled: input.performanceInsights?.enabled ?? supportsPerformanceInsights(input.engine, instanceClass),
      retentionDays: input.performanceInsights?.retentionDays ?? 7,
    },
    monitoringIntervalSeconds: input.monitoringIntervalSeconds ?? 60,
    autoMinorVersionUpgrade: input.autoMinorVersionUpgrade ?? defaultAutoMinorVersionUpgrade(input.engine, input.engineVersion),
    caCertificate: input.caCertificate ?? "rds-ca-rsa2048-g1",
    applyImmediately: input.applyImmediately ?? !production,
    ...(input.maxConnections !== undefined ? { maxConnections: input.maxConnections } : {}),
  };
}

/**
 * Records every way the settings would be refused by RDS (or, with `production`, by dbstack's production
 * rules). Paths are relative to the settings object. With `now`, versions AWS no longer creates databases
 * on (from the month before their end of standard support) are refused and those within 90 days of that
 * are warned about (`problems.warnings`).
 */
export function validateDatabaseSettings(input: DatabaseSettingsInput, production: boolean, problems: Problems, now?: Date): void {
  if (!problems.oneOf("engine", input.engine, DATABASE_ENGINES)) return;
  const engine = input.engine;
  const aurora = isAurora(engine);
  const family = engineFamilyOf(engine);

  const facts = engineVersionFacts(engine, input.engineVersion);
  if ("allowed" in facts) problems.add("engineVersion", input.engineVersion, facts.allowed);
  else {
    if (now) checkVersionLifecycle(engine, input.engineVersion, facts, now, problems);
    checkRdsProxySupport(engine, input.engineVersion, facts.label, problems);
    if (input.instanceClass !== undefined && !input.serverless) {
      const minimums = classNeedsVersion(engine, input.engineVersion, input.instanceClass);
      if (minimums) problems.add("instanceClass", input.instanceClass, `needs ${facts.label} ${minimums} or later; engineVersion is ${input.engineVersion}`);
    }
    if (aurora && input.ioOptimized === true && !facts.supportsIoOptimized) {
      problems.add("ioOptimized", true, `Aurora I/O-Optimized needs ${facts.label} ${featureMinimums(engine, "ioOptimized")} or later; engineVersion is ${input.engineVersion}`);
    }
  }

  if (!("allowed" in facts)) validateVersionChange(input, production, problems);

  if (input.engineMode !== undefined && input.engineMode !== "provisioned") {
    problems.add("engineMode", input.engineMode, input.engineMode === "serverless"
      ? 'Aurora Serverless v1 is refused: RDS Proxy cannot front it; use serverless: { minCapacity, maxCapacity } (Serverless v2) with engineMode "provisioned"'
      : 'must be "provisioned"');
  }

  if (aurora) validateAuroraCapacity(input, facts, problems);
  else validateInstanceCapacity(input, problems);

  // One set of name rules for the config and the bootstrap (scripts/lib/names/database-names.ts): bytes, not
  // characters, reserved names and prefixes, and the group roles derived from the database name.
  const databaseProblem = typeof input.databaseName === "string" ? databaseNameProblem(input.databaseName, family) : "must be a database name";
  if (databaseProblem) problems.add("databaseName", input.databaseName, databaseProblem);
  if (input.masterUsername !== undefined) {
    const masterProblem = typeof input.masterUsername === "string" ? masterUserNameProblem(input.masterUsername, family) : "must be a user name";
    if (masterProblem) problems.add("masterUsername", input.masterUsername, masterProblem);
  }
  if (input.port !== undefined) problems.integer("port", input.port, 1150, 65535);

  if (input.backupRetentionDays !== undefined && problems.integer("backupRetentionDays", input.backupRetentionDays, 1, 35)) {
    problems.check(!production || input.backupRetentionDays >= 7, "backupRetentionDays", input.backupRetentionDays,
      "must be at least 7 in production");
  }
  const backupWindow = input.backupWindow ?? DEFAULT_BACKUP_WINDOW;
  const maintenanceWindow = input.maintenanceWindow ?? DEFAULT_MAINTENANCE_WINDOW;
  const backup = parseBackupWindow(backupWindow, problems);
  const maintenance = parseMaintenanceWindow(maintenanceWindow, problems);
  if (backup && maintenance && windowsOverlap(backup, maintenance)) {
    problems.add("maintenanceWindow", maintenanceWindow, `must not overlap the backup window ${backupWindow} on any day`);
  }

  problems.booleans({
    multiAz: input.multiAz, ioOptimized: input.ioOptimized, iamAuthentication: input.iamAuthentication, deletionProtection: input.deletionProtection,
    skipFinalSnapshot: input.skipFinalSnapshot, copyTagsToSnapshot: input.copyTagsToSnapshot, autoMinorVersionUpgrade: input.autoMinorVersionUpgrade,
    applyImmediately: input.applyImmediately, "performanceInsights.enabled": input.performanceInsights?.enabled, blueGreenUpdate: input.blueGreenUpdate,
  });
  if (input.blueGreenUpdate === true) {
    if (aurora) problems.add("blueGreenUpdate", true, "applies to RDS instances only; for Aurora run `npm run blue-green -- <env> --to <version> --release-managed-master-password`");
    else {
      const refusal = blueGreenRefusal();
      if (refusal) problems.add("blueGreenUpdate", true, refusal);
    }
  }
  if (production) {
    const mustBe = (path: keyof DatabaseSettingsInput, value: unknown, expected: boolean) =>
      problems.check(value === undefined || value === expected, path, value, `must be ${expected} in production`);
    mustBe("deletionProtection", input.deletionProtection, true);
    mustBe("skipFinalSnapshot", input.skipFinalSnapshot, false);
    mustBe("iamAuthentication", input.iamAuthentication, true);
  }

  if (input.logExports !== undefined) {
    const allowed = LOG_EXPORTS[engine];
    if (problems.check(Array.isArray(input.logExports), "logExports", input.logExports, `must be a list drawn from ${allowed.join(", ")}`)) {
      input.logExports.forEach((type, i) => problems.oneOf(`logExports[${i}]`, type, allowed));
      problems.check(new Set(input.logExports).size === input.logExports.length, "logExports", input.logExports, "must not repeat a log type");
      problems.check(!production || input.logExports.length > 0, "logExports", input.logExports, "must export at least one log type in production");
    }
  }
  if (input.logRetentionDays !== undefined) problems.oneOf("logRetentionDays", input.logRetentionDays, LOG_RETENTION_DAYS);

  const pi = input.performanceInsights;
  if (pi?.retentionDays !== undefined) {
    problems.check(PERFORMANCE_INSIGHTS_RETENTION.includes(pi.retentionDays), "performanceInsights.retentionDays", pi.retentionDays,
      "must be 7, 731, or a multiple of 31 up to 713 (months)");
  }
  if (pi?.enabled === true && typeof input.instanceClass === "string" && !input.serverless && DATABASE_ENGINES.includes(input.engine)
    && !supportsPerformanceInsights(input.engine, input.instanceClass)) {
    problems.add("performanceInsights.enabled", true, `is not available on ${input.instanceClass} with ${input.engine} (${performanceInsightsClasses(input.engine)}); use another class, or turn it off`);
  }
  if (input.monitoringIntervalSeconds !== undefined) problems.oneOf("monitoringIntervalSeconds", input.monitoringIntervalSeconds, MONITORING_INTERVALS);
  if (input.caCertificate !== undefined) problems.oneOf("caCertificate", input.caCertificate, CA_CERTIFICATES);
  if (input.maxConnections !== undefined) problems.integer("maxConnections", input.maxConnections, 10, 16000);
}

/**
 * A version change (`upgrade`) and the parameter group names (`originalMajorVersion`): the target must be
 * newer than what runs; a major upgrade must be a path in the catalog's upgrade table, name the major the
 * groups were first named for, and be acknowledged in production.
 */
function validateVersionChange(input: DatabaseSettingsInput, production: boolean, problems: Problems): void {
  const engine = input.engine;
  const target = input.engineVersion;
  const targetMajor = majorVersionOf(engine, target);
  const familyOf = (version: string) => parameterGroupFamilyOf(engine, majorVersionOf(engine, version));
  const original = input.originalMajorVersion;
  if (original !== undefined) {
    const shaped = typeof original === "string" && /^\d+(\.\d+)?$/.test(original) && majorVersionOf(engine, original) === original;
    if (problems.check(shaped, "originalMajorVersion", original, `must be a major version of ${engine} written as engineVersion's major is ("${targetMajor}")`)) {
      problems.check(compareVersions(engine, original, targetMajor) <= 0 || engine === "aurora-mysql", "originalMajorVersion", original,
        `must not be newer than engineVersion's major (${targetMajor}): it is the major the database was created on`);
    }
  }
  const upgrade = input.upgrade;
  if (upgrade === undefined) return;
  if (!problems.check(isRecord(upgrade), "upgrade", upgrade, 'must be { from, allowMajor? }')) return;
  if (!problems.check(isVersionShaped(engine, upgrade.from), "upgrade.from", upgrade.from,
    `must be the version the database runs now, written as ${engine} versions are (e.g. what describe-db-clusters / describe-db-instances report)`)) return;
  const from = upgrade.from;
  const fromMajor = majorVersionOf(engine, from);
  if (!problems.check(compareVersions(engine, target, from) > 0, "engineVersion", target,
    `must be newer than upgrade.from (${from}): RDS does not downgrade an engine; remove upgrade to leave the version alone`)) return;
  if (familyOf(from) === familyOf(target)) {
    problems.check(upgrade.allowMajor === undefined, "upgrade.allowMajor", upgrade.allowMajor, `acknowledges a major upgrade; ${from} -> ${target} is a minor one`);
    return;
  }
  const paths = MAJOR_UPGRADE_PATHS[engine] ?? {};
  const targets = paths[from] ?? paths[fromMajor] ?? [];
  problems.check(targets.includes(target), "engineVersion", target, targets.length > 0
    ? `is not a major upgrade target of ${from} AWS performs in place: ${targets.join(", ")} (catalog of upgrade paths; refresh with npm run catalog -- --check)`
    : `is not a major upgrade target of ${from} in the catalog of upgrade paths (none recorded for ${from}; recorded sources: ${Object.keys(paths).join(", ") || "none"}); ` +
      "check AWS's targets with npm run catalog -- --check");
  const acknowledgement = `${fromMajor}->${targetMajor}`;
  if (upgrade.allowMajor !== undefined || production) {
    problems.check(upgrade.allowMajor === acknowledgement, "upgrade.allowMajor", upgrade.allowMajor, production && upgrade.allowMajor === undefined
      ? `must be "${acknowledgement}" in production: a major upgrade takes the database down and cannot be undone in place`
      : `must be "${acknowledgement}", the major upgrade this config plans`);
  }
  // The new family's groups replace the old ones in the same apply; deferred to the maintenance window, the
  // database would still use the old groups when Terraform deletes them, which RDS refuses. (That reasoning is
  // dbstack's.) AWS's fact behind it: ModifyDBCluster and ModifyDBInstance say of EngineVersion that the change
  // "is applied during the next maintenance window unless ApplyImmediately is enabled" (Amazon RDS API Reference,
  // ModifyDBCluster / ModifyDBInstance, EngineVersion and ApplyImmediately; AWS SDK docs read 2026-12-07; older
  // ModifyDBCluster text said all but a few changes applied immediately regardless, so a deferred upgrade is not
  // something to rely on either way). hashicorp/terraform-provider-aws PR #47121 (2026-03, closed, fix not
  // confirmed merged) reports the same trap from the other side: a PostgreSQL 16 -> 17 upgrade with
  // apply_immediately = false defers the engine but not the new-family parameter group, which fails with
  // "InvalidParameterCombination: The parameter group ... with DBParameterGroupFamily postgres17 can't be used
  // for this instance" and drifts on every plan.
  problems.check(input.applyImmediately ?? !production, "applyImmediately", input.applyImmediately ?? false,
    "must be true with a major upgrade: the parameter groups of the old family are deleted in the same apply, so the upgrade must happen then, not in the maintenance window; " +
    "run the apply when you mean the upgrade to happen");
  problems.check(original !== undefined, "originalMajorVersion", original,
    `must be set with a major upgrade: the major the database was created on (likely "${fromMajor}"), whose parameter groups keep their names; keep it after the upgrade`);
}

/**
 * dbstack always fronts the database with RDS Proxy: a version the proxy cannot front is refused, whether it
 * is a new database's version or an upgrade's target (both are `engineVersion`).
 */
export function checkRdsProxySupport(engine: DatabaseEngine, version: string, label: string, problems: Problems): void {
  const needs = rdsProxyNeedsVersion(engine, version);
  if (needs === undefined) return;
  problems.add("engineVersion", version, `is not supported by RDS Proxy, which dbstack always puts in front of the database: ` +
    `RDS Proxy fronts ${label} ${needs} (catalog of ${RDS_PROXY_CATALOG.name}, ${RDS_PROXY_CATALOG.asOf})`);
}

/**
 * Why the provider's blue/green flow (`blue_green_update`) would fail on a dbstack instance, or undefined:
 * it cannot hand the RDS-managed master password off for the deployment, so CreateBlueGreenDeployment
 * fails; `npm run blue-green` does the hand-off.
 */
export function blueGreenRefusal(): string | undefined {
  const limitation = BLUE_GREEN_LIMITATIONS.find((l) => l.appliesToDbstack);
  return limitation ? `${limitation.limitation} (${limitation.source}); ${limitation.why}. The provider's blue_green_update cannot hand the password off ` +
    "for the deployment, so it would fail at CreateBlueGreenDeployment: run `npm run blue-green -- <env> --to <version> --release-managed-master-password`, " +
    "which hands it off for the run and back after it (or upgrade in place with database.upgrade)" : undefined;
}

/**
 * AWS stops creating databases on a version in the month before its end of standard support: refuse it from
 * then (`creationBlockedFrom`), warn 90 days before.
 */
function checkVersionLifecycle(engine: DatabaseEngine, version: string, facts: EngineVersionFacts, now: Date, problems: Problems): void {
  const end = `${facts.endOfStandardSupport}${facts.estimated ? " (estimated date)" : ""}`;
  const blocked = creationBlockedFrom(facts.endOfStandardSupport);
  const life = lifecycleOn(blocked, now);
  if (life.status === "retired") {
    const refused = facts.majorOnly
      ? `is refused for new databases since ${blocked}, the month before its end of standard support (${end}): AWS then creates ` +
        `${facts.label} ${version} databases only under paid RDS Extended Support, which dbstack does not opt into`
      : `is refused for new databases since ${blocked}: AWS stops creating ${facts.label} ${version} databases in the month before ` +
        `its end of standard support (${end})`;
    problems.add("engineVersion", version, `${refused}; use a version it still offers: ${offeredVersions(engine, now).join(", ") || "none in the catalog"}`);
  } else if (life.status === "expiring") {
    problems.warn("engineVersion", version, `AWS stops creating ${facts.label} ${version} databases on ${blocked}, in ${life.daysLeft} days ` +
      `(the month before its end of standard support, ${end}, when it also upgrades running ones); move to a newer version`);
  }
}

/** Versions still offered on `now` and not due to be refused within 90 days, for messages. */
function offeredVersions(engine: DatabaseEngine, now: Date): string[] {
  return currentVersions(engine, now).filter((version) => {
    const facts = engineVersionFacts(engine, version);
    return "endOfStandardSupport" in facts && lifecycleOn(creationBlockedFrom(facts.endOfStandardSupport), now).status === "current";
  });
}

function validateAuroraCapacity(input: DatabaseSettingsInput, facts: ReturnType<typeof engineVersionFacts>, problems: Problems): void {
  if (input.serverless !== undefined) {
    if (!problems.check(isRecord(input.serverless), "serverless", input.serverless, "must be { minCapacity, maxCapacity }")) return;
    problems.check(input.instanceClass === undefined || input.instanceClass === SERVERLESS_INSTANCE_CLASS, "instanceClass", input.instanceClass,
      "must not be set with serverless (Serverless v2 instances are db.serverless)");
    const { minCapacity, maxCapacity } = input.serverless;
    const halfSteps = (v: unknown) => typeof v === "number" && Number.isInteger(v * 2);
    const minOk = problems.check(halfSteps(minCapacity) && minCapacity >= 0.5 && minCapacity <= 256, "serverless.minCapacity", minCapacity,
      "must be 0.5..256 in steps of 0.5 (dbstack does not offer 0-ACU auto-pause)");
    const maxOk = problems.check(halfSteps(maxCapacity) && maxCapacity >= 1 && maxCapacity <= 256, "serverless.maxCapacity", maxCapacity,
      "must be 1..256 in steps of 0.5");
    if (minOk && maxOk) problems.check(minCapacity <= maxCapacity, "serverless.minCapacity", minCapacity, `must not exceed serverless.maxCapacity (${maxCapacity})`);
    if ("supportsServerlessV2" in facts && !facts.supportsServerlessV2) {
      problems.add("engineVersion", input.engineVersion,
        `does not support Serverless v2 (${facts.label} needs ${featureMinimums(input.engine, "serverlessV2")} or later)`);
    } else if ("serverlessV2MaxCapacity" in facts && maxOk && maxCapacity > facts.serverlessV2MaxCapacity) {
      problems.add("serverless.maxCapacity", maxCapacity, `must be at most ${facts.serverlessV2MaxCapacity} on ${facts.label} ${input.engineVersion}: ` +
        `256 ACUs need ${featureMinimums(input.engine, "serverlessV2Max256")} or later`);
    }
  } else {
    problems.check(input.instanceClass !== undefined && input.instanceClass in AURORA_INSTANCE_CLASSES, "instanceClass", input.instanceClass,
      `must be an Aurora instance class (${Object.keys(AURORA_INSTANCE_CLASSES).slice(0, 6).join(", ")}, …) or omitted with serverless set`);
  }
  validateReaders(input.readers, {
    engine: input.engine,
    serverless: input.serverless !== undefined,
    ...(input.serverless === undefined && typeof input.instanceClass === "string" && input.instanceClass in AURORA_INSTANCE_CLASSES ? { instanceClass: input.instanceClass } : {}),
    ...(typeof input.maxConnections === "number" ? { maxConnectionsOverride: input.maxConnections } : {}),
  }, problems);
  problems.check(input.multiAz === undefined, "multiAz", input.multiAz, "applies to RDS instances only; Aurora gets availability from readers in other zones");
  problems.check(input.storage === undefined, "storage", input.storage, "applies to RDS instances only; Aurora storage grows by itself");
}

function validateInstanceCapacity(input: DatabaseSettingsInput, problems: Problems): void {
  problems.check(input.serverless === undefined, "serverless", input.serverless, "applies to Aurora engines only");
  problems.check(input.instanceClass !== undefined && input.instanceClass in RDS_INSTANCE_CLASSES, "instanceClass", input.instanceClass,
    `must be an RDS instance class (${Object.keys(RDS_INSTANCE_CLASSES).slice(0, 6).join(", ")}, …)`);
  problems.check(input.readers === undefined || input.readers === 0, "readers", input.readers,
    "applies to Aurora only; for read scaling use an Aurora engine");
  problems.check(input.ioOptimized === undefined || input.ioOptimized === false, "ioOptimized", input.ioOptimized, "applies to Aurora only");
  const storage = input.storage;
  if (storage === undefined) return;
  const allocated = storage.allocatedGiB ?? 20;
  const allocatedOk = storage.allocatedGiB === undefined || problems.integer("storage.allocatedGiB", storage.allocatedGiB, 20, MAX_STORAGE_GIB);
  if (storage.maxAllocatedGiB !== undefined) {
    if (problems.integer("storage.maxAllocatedGiB", storage.maxAllocatedGiB, 20, MAX_STORAGE_GIB) && allocatedOk) {
      problems.check(storage.maxAllocatedGiB >= minimumMaxAllocatedGiB(allocated), "storage.maxAllocatedGiB", storage.maxAllocatedGiB,
        `must be at least 10 % above storage.allocatedGiB (${allocated}): ${minimumMaxAllocatedGiB(allocated)} or more — RDS storage autoscaling refuses a lower ceiling`);
    }
  } else if (allocatedOk) {
    problems.check(allocated <= MAX_AUTOSCALED_ALLOCATION_GIB, "storage.allocatedGiB", allocated,
      `must be at most ${MAX_AUTOSCALED_ALLOCATION_GIB}: storage autoscaling (always on) needs a ceiling 10 % above it, and RDS storage ends at ${MAX_STORAGE_GIB} GiB`);
  }
  if (storage.type !== undefined) problems.oneOf("storage.type", storage.type, ["gp2", "gp3"]);
}

/** A window as minute ranges within the week, so daily and weekly windows can be compared. */
type WeekRanges = readonly (readonly [number, number])[];

function parseBackupWindow(window: string, problems: Problems): WeekRanges | undefined {
  const m = BACKUP_WINDOW.exec(window);
  if (!problems.check(m !== null, "backupWindow", window, 'must be "hh:mm-hh:mm" in UTC, e.g. "03:00-04:00"')) return undefined;
  const start = Number(m![1]) * 60 + Number(m![2]);
  const end = Number(m![3]) * 60 + Number(m![4]);
  const length = (end - start + MINUTES_PER_DAY) % MINUTES_PER_DAY;
  if (!problems.check(length >= 30, "backupWindow", window, "must be at least 30 minutes long")) return undefined;
  return DAYS.map((_, day) => [day * MINUTES_PER_DAY + start, day * MINUTES_PER_DAY + start + length] as const);
}

function parseMaintenanceWindow(window: string, problems: Problems): WeekRanges | undefined {
  const m = MAINTENANCE_WINDOW.exec(window);
  if (!problems.check(m !== null, "maintenanceWindow", window, 'must be "ddd:hh:mm-ddd:hh:mm" in UTC, e.g. "sun:04:30-sun:05:30"')) return undefined;
  const at = (day: string, h: string, min: string) => DAYS.indexOf(day as (typeof DAYS)[number]) * MINUTES_PER_DAY + Number(h) * 60 + Number(min);
  const start = at(m![1]!, m![2]!, m![3]!);
  const end = at(m![4]!, m![5]!, m![6]!);
  const week = 7 * MINUTES_PER_DAY;
  const length = (end - start + week) % week;
  if (!problems.check(length >= 30, "maintenanceWindow", window, "must be at least 30 minutes long")) return undefined;
  return [[start, start + length]];
}

function windowsOverlap(a: WeekRanges, b: WeekRanges): boolean {
  const week = 7 * MINUTES_PER_DAY;
  // Ranges may run past the end of the week; compare each against b shifted by a week either way.
  return a.some(([s1, e1]) => b.some(([s2, e2]) => [-week, 0, week].some((shift) => s1 < e2 + shift && s2 + shift < e1)));
}
