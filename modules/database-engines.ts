/**
 * What RDS and Aurora accept, per engine: versions (read from the dated catalog), instance classes, log
 * types, TLS parameters. Kept as data so config validation, the database construct and the connection
 * budget agree.
 */
import { ENGINE_CATALOG, ENGINE_VERSIONS_CATALOG, PERFORMANCE_INSIGHTS_UNSUPPORTED, RDS_PROXY_SUPPORT, creationBlockedFrom, lifecycleOn, type Minimums } from "./catalog/index.ts";

export const DATABASE_ENGINES = ["aurora-postgresql", "aurora-mysql", "postgres", "mysql"] as const;
export type DatabaseEngine = (typeof DATABASE_ENGINES)[number];

/** RDS Proxy's engine family; the proxy derives it from the database, it is never configured twice. */
export type EngineFamily = "POSTGRESQL" | "MYSQL";

export function isAurora(engine: DatabaseEngine): boolean {
  return engine.startsWith("aurora-");
}

export function engineFamilyOf(engine: DatabaseEngine): EngineFamily {
  return engine === "aurora-postgresql" || engine === "postgres" ? "POSTGRESQL" : "MYSQL";
}

export function defaultPortOf(engine: DatabaseEngine): number {
  return engineFamilyOf(engine) === "POSTGRESQL" ? 5432 : 3306;
}

// ---------------------------------------------------------------------------------------------------------
// Versions: data in modules/catalog/engine-versions.ts; here, how to read it
// ---------------------------------------------------------------------------------------------------------

/** How each engine writes a version, what its major is, and which parts order it. */
const VERSION_SHAPES: Record<DatabaseEngine, { pattern: RegExp; example: string; family: (major: string) => string }> = {
  "aurora-postgresql": { pattern: /^(\d+)\.(\d+)$/, example: '"<major>.<minor>", e.g. "16.8"', family: (m) => `aurora-postgresql${m}` },
  "aurora-mysql": { pattern: /^8\.0\.mysql_aurora\.((\d+)\.(\d+)\.(\d+))$/, example: '"8.0.mysql_aurora.3.<minor>.<patch>", e.g. "8.0.mysql_aurora.3.10.0"', family: () => "aurora-mysql8.0" },
  postgres: { pattern: /^(\d+)(?:\.(\d+))?$/, example: '"<major>" or "<major>.<minor>", e.g. "16" or "16.10"', family: (m) => `postgres${m}` },
  mysql: { pattern: /^(\d+\.\d+)(?:\.(\d+))?$/, example: '"<major>" or "<major>.<patch>", e.g. "8.4" or "8.4.8"', family: (m) => `mysql${m}` },
};

/** The major a version belongs to in the catalog's feature tables: "16", "3" (Aurora MySQL 3), "8.4". */
function majorOf(engine: DatabaseEngine, version: string): string {
  if (engine === "aurora-mysql") return version.replace(/^8\.0\.mysql_aurora\./, "").split(".")[0]!;
  if (engine === "mysql") return version.split(".").slice(0, 2).join(".");
  return version.split(".")[0]!;
}

/** The major of a version as config writes it: "16" (PostgreSQL), "8.4" (RDS MySQL), "3" (Aurora MySQL version 3). */
export function majorVersionOf(engine: DatabaseEngine, version: string): string {
  return majorOf(engine, version);
}

/** The parameter group family of a major (`majorVersionOf`), e.g. "aurora-postgresql17", "mysql8.4". */
export function parameterGroupFamilyOf(engine: DatabaseEngine, major: string): string {
  return VERSION_SHAPES[engine].family(major);
}

/**
 * Whether RDS should apply minor upgrades by itself. On by default, as RDS has it: minors carry security
 * fixes, and dbstack reads `engineVersion` as a least version, so the plan never fights an upgrade AWS
 * applied. Off on the long-term support minors whose guide asks for it (Aurora MySQL 3.04, 3.10): an
 * automatic upgrade would move the cluster off the release chosen to stay on.
 */
export function defaultAutoMinorVersionUpgrade(engine: DatabaseEngine, version: string): boolean {
  return !(ENGINE_CATALOG[engine].longTermSupportWithoutAutoMinor ?? []).some((lts) => version === lts || version.startsWith(`${lts}.`));
}

/** Whether `version` is written the way `engine` writes versions (known to the catalog or not). */
export function isVersionShaped(engine: DatabaseEngine, version: unknown): version is string {
  return typeof version === "string" && VERSION_SHAPES[engine].pattern.test(version);
}

/** Orders two versions of one engine: negative when `a` is older. */
export function compareVersions(engine: DatabaseEngine, a: string, b: string): number {
  return compareParts(versionParts(engine, a), versionParts(engine, b));
}

/** Numeric parts for ordering: "16.10" -> [16, 10]; "8.0.mysql_aurora.3.10.0" -> [3, 10, 0]. */
function versionParts(engine: DatabaseEngine, version: string): number[] {
  const significant = engine === "aurora-mysql" ? version.replace(/^8\.0\.mysql_aurora\./, "") : version;
  return significant.split(".").map(Number);
}

/** Whether `version` is at least `minimum` (both of `engine`, same major). */
export function versionAtLeast(engine: DatabaseEngine, version: string, minimum: string): boolean {
  return compareParts(versionParts(engine, version), versionParts(engine, engine === "aurora-mysql" ? `8.0.mysql_aurora.${minimum}` : minimum)) >= 0;
}

function meets(engine: DatabaseEngine, version: string, minimums: Minimums | undefined): boolean {
  const minimum = minimums?.[majorOf(engine, version)];
  return minimum !== undefined && versionAtLeast(engine, version, minimum);
}

export interface EngineVersionFacts {
  readonly parameterGroupFamily: string;
  readonly supportsServerlessV2: boolean;
  /** Highest Serverless v2 capacity (ACUs) this version scales to: 256, or 128 before the versions that raised it. */
  readonly serverlessV2MaxCapacity: number;
  readonly supportsIoOptimized: boolean;
  /** End of standard support as AWS's calendar gives it (creation stops earlier: see `creationBlockedFrom`), and whether that date is estimated. */
  readonly endOfStandardSupport: string;
  readonly estimated: boolean;
  /** A major given alone ("16", "8.4"): RDS picks its default minor. */
  readonly majorOnly: boolean;
  /** The catalog's label for the engine, e.g. "Aurora PostgreSQL". */
  readonly label: string;
}

/**
 * Facts about an engine version from the dated catalog, or an explanation of what is allowed when the
 * version is not one AWS offers (a shape RDS refuses, or a version that was never released).
 */
export function engineVersionFacts(engine: DatabaseEngine, version: unknown): EngineVersionFacts | { allowed: string } {
  const catalog = ENGINE_CATALOG[engine];
  const shape = VERSION_SHAPES[engine];
  const known = typeof version === "string" && shape.pattern.test(version)
    ? catalog.versions.find((row) => row.version === version) ?? (catalog.majors?.[version] ? { version, ...catalog.majors[version]! } : undefined)
    : undefined;
  if (!known) {
    return { allowed: `must be an ${catalog.label} version AWS offers, written ${shape.example}; current versions (catalog of ${ENGINE_VERSIONS_CATALOG.asOf}): ${currentVersionsText(engine)}` };
  }
  const v = known.version;
  const major = majorOf(engine, v);
  return {
    parameterGroupFamily: shape.family(major),
    supportsServerlessV2: meets(engine, v, catalog.features.serverlessV2),
    serverlessV2MaxCapacity: meets(engine, v, catalog.features.serverlessV2Max256) ? 256 : 128,
    supportsIoOptimized: meets(engine, v, catalog.features.ioOptimized),
    endOfStandardSupport: known.endOfStandardSupport,
    estimated: known.estimated === true,
    majorOnly: catalog.majors?.[v] !== undefined,
    label: catalog.label,
  };
}

/**
 * Versions AWS still creates on `on` (default: the catalog's date) and not within 90 days of the day it
 * stops, oldest first, for messages.
 */
export function currentVersions(engine: DatabaseEngine, on: Date = new Date(`${ENGINE_VERSIONS_CATALOG.asOf}T00:00:00Z`)): string[] {
  const catalog = ENGINE_CATALOG[engine];
  const rows = [...Object.entries(catalog.majors ?? {}).map(([version, row]) => ({ version, ...row })), ...catalog.versions];
  return rows.filter((row) => lifecycleOn(creationBlockedFrom(row.endOfStandardSupport), on).status === "current").map((row) => row.version)
    .sort((a, b) => compareParts(versionParts(engine, a), versionParts(engine, b)));
}

function compareParts(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? -1) - (b[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

function currentVersionsText(engine: DatabaseEngine): string {
  return currentVersions(engine).join(", ") || "none";
}

/** The minimum version an instance class family needs, when the catalog has one and `version` is below it. */
export function classNeedsVersion(engine: DatabaseEngine, version: string, instanceClass: string): string | undefined {
  const family = /^db\.([a-z0-9]+)\./.exec(instanceClass)?.[1];
  const minimums = family ? ENGINE_CATALOG[engine].features.classFamilies?.[family] : undefined;
  if (!minimums || meets(engine, version, minimums)) return undefined;
  return Object.values(minimums).join(", ");
}

/**
 * What RDS Proxy fronts of the engine, as text for a message ("3.01.0 or later", "versions of 10, 11, …"),
 * when `version` is not among it: below its major's least version, or of a major the proxy table does not
 * list. Undefined when the proxy fronts the version. Every engine is checked (see RDS_PROXY_SUPPORT).
 */
export function rdsProxyNeedsVersion(engine: DatabaseEngine, version: string): string | undefined {
  const support = RDS_PROXY_SUPPORT[engine];
  if ("everyVersionOf" in support) {
    return support.everyVersionOf.includes(majorOf(engine, version)) ? undefined : `versions of ${support.everyVersionOf.join(", ")} (every minor of each)`;
  }
  return meets(engine, version, support.minimums) ? undefined : `${Object.values(support.minimums).join(", ")} or later`;
}

/** Minimum versions of a feature, for messages: "13.10, 14.7, 15.2, 16.1, 17.4". */
export function featureMinimums(engine: DatabaseEngine, feature: "serverlessV2" | "serverlessV2Max256" | "ioOptimized"): string {
  return Object.values(ENGINE_CATALOG[engine].features[feature] ?? {}).join(", ") || "none";
}

/** The parameter that makes the server refuse unencrypted connections, and its "on" value. */
export function forceTlsParameterOf(engine: DatabaseEngine): { name: string; value: string } {
  return engineFamilyOf(engine) === "POSTGRESQL"
    ? { name: "rds.force_ssl", value: "1" }
    : { name: "require_secure_transport", value: "ON" };
}

/** Log types each engine can export to CloudWatch Logs. */
export const LOG_EXPORTS: Record<DatabaseEngine, readonly string[]> = {
  "aurora-postgresql": ["postgresql"],
  "aurora-mysql": ["audit", "error", "general", "slowquery"],
  postgres: ["postgresql", "upgrade"],
  mysql: ["error", "general", "slowquery"],
};

/** Log types exported when none are configured: the server log, and slow queries for MySQL. */
export const DEFAULT_LOG_EXPORTS: Record<DatabaseEngine, readonly string[]> = {
  "aurora-postgresql": ["postgresql"],
  "aurora-mysql": ["error", "slowquery"],
  postgres: ["postgresql", "upgrade"],
  mysql: ["error", "slowquery"],
};

const SIZES_GIB = {
  micro: 1, small: 2, medium: 4, large: 8, xlarge: 16, "2xlarge": 32,
  "4xlarge": 64, "8xlarge": 128, "12xlarge": 192, "16xlarge": 256, "24xlarge": 384,
} as const;
type Size = keyof typeof SIZES_GIB;

/** Memory-optimized (r) classes have twice the memory per size of general-purpose (m) and burstable (t). */
function classes(families: readonly string[], sizes: readonly Size[], memoryFactor: number): Record<string, number> {
  const table: Record<string, number> = {};
  for (const family of families) for (const size of sizes) table[`db.${family}.${size}`] = SIZES_GIB[size] * memoryFactor;
  return table;
}

const LARGE_TO_16X: Size[] = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"];

/** Instance classes Aurora accepts (provisioned), with memory in GiB. */
export const AURORA_INSTANCE_CLASSES: Readonly<Record<string, number>> = {
  ...classes(["t3", "t4g"], ["medium", "large"], 1),
  ...classes(["r5", "r6i", "r7i"], [...LARGE_TO_16X, "24xlarge"], 2),
  ...classes(["r6g", "r7g", "r8g"], LARGE_TO_16X, 2),
};

/** Instance classes RDS for PostgreSQL and MySQL accept, with memory in GiB. */
export const RDS_INSTANCE_CLASSES: Readonly<Record<string, number>> = {
  ...classes(["t3", "t4g"], ["micro", "small", "medium", "large", "xlarge", "2xlarge"], 1),
  ...classes(["m5", "m6i", "m7i"], [...LARGE_TO_16X, "24xlarge"], 1),
  ...classes(["m6g", "m7g"], LARGE_TO_16X, 1),
  ...classes(["r5", "r6i", "r7i"], [...LARGE_TO_16X, "24xlarge"], 2),
  ...classes(["r6g", "r7g"], LARGE_TO_16X, 2),
};

/** Whether Performance Insights runs on `instanceClass` with `engine` (modules/catalog/performance-insights.ts). */
export function supportsPerformanceInsights(engine: DatabaseEngine, instanceClass: string): boolean {
  const unsupported = PERFORMANCE_INSIGHTS_UNSUPPORTED[engine];
  return !unsupported.classes.includes(instanceClass) && !unsupported.families.some((family) => instanceClass.startsWith(`${family}.`));
}

export const SERVERLESS_INSTANCE_CLASS = "db.serverless";

/** Enhanced Monitoring granularities RDS accepts; 0 turns it off. */
export const MONITORING_INTERVALS = [0, 1, 5, 10, 15, 30, 60] as const;

/** Certificate authorities for the server certificate; rds-ca-2019 expired in 2024. */
export const CA_CERTIFICATES = ["rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1"] as const;
