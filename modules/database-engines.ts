/**
 * What RDS and Aurora accept, per engine: versions, instance classes, log types, TLS parameters.
 * Kept as data so config validation, the database construct and the connection budget agree.
 */
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

interface VersionRule {
  readonly pattern: RegExp;
  readonly allowed: string;
  /** Parameter group family for a version that matched `pattern`. */
  readonly family: (match: RegExpExecArray) => string;
  /** Whether Serverless v2 (db.serverless) exists for this version; Aurora only. */
  readonly serverlessV2?: (match: RegExpExecArray) => boolean;
}

/** Minimum minor version per Aurora PostgreSQL major that supports Serverless v2. */
const AURORA_POSTGRESQL_SERVERLESS_V2_MIN_MINOR: Record<string, number> = { "13": 6, "14": 3, "15": 2, "16": 1, "17": 1 };

const VERSION_RULES: Record<DatabaseEngine, VersionRule> = {
  "aurora-postgresql": {
    pattern: /^(1[3-7])\.(\d{1,2})$/,
    allowed: 'must be an Aurora PostgreSQL version "<major>.<minor>" with major 13..17, e.g. "16.6"',
    family: (m) => `aurora-postgresql${m[1]}`,
    serverlessV2: (m) => Number(m[2]) >= (AURORA_POSTGRESQL_SERVERLESS_V2_MIN_MINOR[m[1]!] ?? Infinity),
  },
  "aurora-mysql": {
    pattern: /^8\.0\.mysql_aurora\.3\.(\d{2})\.(\d{1,2})$/,
    allowed: 'must be an Aurora MySQL 3 version "8.0.mysql_aurora.3.<minor>.<patch>", e.g. "8.0.mysql_aurora.3.08.0"',
    family: () => "aurora-mysql8.0",
    serverlessV2: (m) => Number(m[1]) >= 2,
  },
  postgres: {
    pattern: /^(1[3-7])(?:\.(\d{1,2}))?$/,
    allowed: 'must be an RDS PostgreSQL version "<major>" or "<major>.<minor>" with major 13..17, e.g. "16.6"',
    family: (m) => `postgres${m[1]}`,
  },
  mysql: {
    pattern: /^8\.(0|4)(?:\.(\d{1,2}))?$/,
    allowed: 'must be an RDS MySQL version "8.0", "8.4" or "8.x.<patch>", e.g. "8.0.40"',
    family: (m) => `mysql8.${m[1]}`,
  },
};

export interface EngineVersionFacts {
  readonly parameterGroupFamily: string;
  readonly supportsServerlessV2: boolean;
}

/** Facts about an engine version, or an explanation of what is allowed when RDS would refuse it. */
export function engineVersionFacts(engine: DatabaseEngine, version: unknown): EngineVersionFacts | { allowed: string } {
  const rule = VERSION_RULES[engine];
  const match = typeof version === "string" ? rule.pattern.exec(version) : null;
  if (!match) return { allowed: rule.allowed };
  return { parameterGroupFamily: rule.family(match), supportsServerlessV2: rule.serverlessV2?.(match) ?? false };
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

/** Classes too small for Performance Insights. */
export function supportsPerformanceInsights(instanceClass: string): boolean {
  return !/\.(micro|small)$/.test(instanceClass);
}

export const SERVERLESS_INSTANCE_CLASS = "db.serverless";

/** Enhanced Monitoring granularities RDS accepts; 0 turns it off. */
export const MONITORING_INTERVALS = [0, 1, 5, 10, 15, 30, 60] as const;

/** Certificate authorities for the server certificate; rds-ca-2019 expired in 2024. */
export const CA_CERTIFICATES = ["rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1"] as const;
