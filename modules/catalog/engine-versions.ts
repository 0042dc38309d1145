import type { CatalogPart } from "./lifecycle.ts";

/**
 * Engine versions AWS offers for new databases, each with the day AWS stops creating databases on it (its
 * end of standard support: minor versions are then no longer offered; a major version continues only
 * under paid RDS Extended Support, which dbstack does not opt into), and the version each feature needs.
 *
 * Dates marked `estimated` follow AWS's published policy (each minor version is offered for at least
 * 12 months; these are the community release plus 15 months, to month end) where the release calendar
 * was not read for that row; every other date is the calendar's. Rows are only added for versions AWS
 * released; check new ones with
 * `aws rds describe-db-engine-versions --engine <engine> --query "DBEngineVersions[].EngineVersion"`.
 */
export const ENGINE_VERSIONS_CATALOG: CatalogPart = {
  name: "engine versions",
  asOf: "2026-11-23",
  sources: [
    "Amazon Aurora PostgreSQL Release Notes — Aurora PostgreSQL release calendar",
    "Amazon Aurora MySQL Release Notes — Release calendars for Aurora MySQL (Aurora MySQL version 3, LTS releases)",
    "Amazon RDS for PostgreSQL Release Notes — Amazon RDS for PostgreSQL release calendar",
    "Amazon RDS User Guide — MySQL on Amazon RDS versions: Release calendar for Amazon RDS for MySQL",
    "Amazon Aurora User Guide — Requirements and limitations for Aurora Serverless v2 (supported versions, capacity up to 256 ACUs)",
    "Amazon Aurora User Guide — Storage configurations for Amazon Aurora DB clusters (Aurora I/O-Optimized versions)",
    "Amazon Aurora User Guide — Supported DB engines for DB instance classes",
  ],
};

export interface VersionRow {
  readonly version: string;
  /** First day AWS no longer creates databases on this version ("YYYY-MM-DD"). */
  readonly endOfStandardSupport: string;
  /** The date follows AWS's published policy rather than a calendar row (see above). */
  readonly estimated?: true;
}

/** Minimum version per major version, e.g. { "16": "16.1" }; a major not listed lacks the feature. */
export type Minimums = Readonly<Record<string, string>>;

export interface EngineCatalog {
  readonly label: string;
  /** Majors an RDS instance accepts alone ("16", "8.4"): RDS picks that major's default minor. */
  readonly majors?: Readonly<Record<string, Omit<VersionRow, "version">>>;
  readonly versions: readonly VersionRow[];
  readonly features: {
    readonly serverlessV2?: Minimums;
    /** From these versions on Serverless v2 scales to 256 ACUs; before, to 128. */
    readonly serverlessV2Max256?: Minimums;
    readonly ioOptimized?: Minimums;
    /** Instance class families that need a minimum version, e.g. { r8g: { "16": "16.4" } }. */
    readonly classFamilies?: Readonly<Record<string, Minimums>>;
  };
}

/** One community release of several majors, with the same (estimated) end of standard support. */
function batch(versions: readonly string[], endOfStandardSupport: string, estimated = true): VersionRow[] {
  return versions.map((version) => ({ version, endOfStandardSupport, ...(estimated ? { estimated: true as const } : {}) }));
}

/** Never past the major version's own end of standard support. */
function capped(rows: VersionRow[], majorOf: (v: string) => string, majors: Readonly<Record<string, string>>): VersionRow[] {
  return rows.map((row) => {
    const end = majors[majorOf(row.version)];
    return end !== undefined && end < row.endOfStandardSupport ? { version: row.version, endOfStandardSupport: end } : row;
  });
}

/** PostgreSQL community minors, by release, for majors 13..17 (RDS and Aurora follow them). */
const POSTGRESQL_RELEASES: readonly [string[], string][] = [
  [["13.18", "14.15", "15.10", "16.6", "17.2"], "2026-02-28"],
  [["13.20", "14.17", "15.12", "16.8", "17.4"], "2026-05-31"],
  [["13.21", "14.18", "15.13", "16.9", "17.5"], "2026-08-31"],
  [["13.22", "14.19", "15.14", "16.10", "17.6"], "2026-11-30"],
  [["13.23", "14.20", "15.15", "16.11", "17.7"], "2027-02-28"],
  [["14.21", "15.16", "16.12", "17.8"], "2027-05-31"],
  [["14.22", "15.17", "16.13", "17.9"], "2027-08-31"],
];

/** End of standard support of each PostgreSQL major, the same on RDS and Aurora. */
const POSTGRESQL_MAJORS: Readonly<Record<string, string>> = {
  "13": "2026-02-28", "14": "2027-02-28", "15": "2028-02-29", "16": "2029-02-28", "17": "2030-02-28",
};

const pgMajor = (v: string) => v.split(".")[0]!;
const postgresqlRows = (skip: readonly string[]) =>
  capped(POSTGRESQL_RELEASES.flatMap(([versions, end]) => batch(versions.filter((v) => !skip.includes(v)), end)), pgMajor, POSTGRESQL_MAJORS);

export const ENGINE_CATALOG: Readonly<Record<"aurora-postgresql" | "aurora-mysql" | "postgres" | "mysql", EngineCatalog>> = {
  "aurora-postgresql": {
    label: "Aurora PostgreSQL",
    // Aurora did not release 17.2 (its first 17 was 17.4).
    versions: postgresqlRows(["17.2"]),
    features: {
      serverlessV2: { "13": "13.6", "14": "14.3", "15": "15.2", "16": "16.1", "17": "17.4" },
      serverlessV2Max256: { "13": "13.13", "14": "14.10", "15": "15.5", "16": "16.1", "17": "17.4" },
      ioOptimized: { "13": "13.10", "14": "14.7", "15": "15.2", "16": "16.1", "17": "17.4" },
      classFamilies: { r8g: { "13": "13.16", "14": "14.13", "15": "15.8", "16": "16.4", "17": "17.4" } },
    },
  },
  "aurora-mysql": {
    label: "Aurora MySQL",
    versions: [
      // 3.04 and 3.10 are long-term support (LTS) releases.
      ...batch(["3.04.0", "3.04.1", "3.04.2", "3.04.3", "3.04.4"], "2026-10-31"),
      ...batch(["3.08.0", "3.08.1", "3.08.2"], "2026-04-30"),
      ...batch(["3.09.0"], "2026-06-30"),
      ...batch(["3.10.0", "3.10.1"], "2028-07-31"),
    ].map((row) => ({ ...row, version: `8.0.mysql_aurora.${row.version}` })),
    features: {
      serverlessV2: { "3": "3.02.0" },
      serverlessV2Max256: { "3": "3.06.0" },
      ioOptimized: { "3": "3.03.1" },
      classFamilies: { r8g: { "3": "3.08.0" } },
    },
  },
  postgres: {
    label: "RDS for PostgreSQL",
    majors: Object.fromEntries(Object.entries(POSTGRESQL_MAJORS).map(([major, end]) => [major, { endOfStandardSupport: end }])),
    versions: postgresqlRows([]),
    features: {},
  },
  mysql: {
    label: "RDS for MySQL",
    majors: { "8.0": { endOfStandardSupport: "2026-07-31" }, "8.4": { endOfStandardSupport: "2029-07-31", estimated: true } },
    versions: capped([
      ...batch(["8.0.40", "8.0.41", "8.0.42", "8.0.43", "8.0.44"], "2026-07-31", false),
      ...batch(["8.4.3"], "2026-01-31"),
      ...batch(["8.4.4"], "2026-04-30"),
      ...batch(["8.4.5"], "2026-07-31"),
      ...batch(["8.4.6"], "2026-10-31"),
      ...batch(["8.4.7"], "2027-01-31"),
      ...batch(["8.4.8"], "2027-04-30"),
      ...batch(["8.4.9"], "2027-07-31"),
      ...batch(["8.4.10"], "2027-10-31"),
    ], (v) => v.split(".").slice(0, 2).join("."), { "8.0": "2026-07-31", "8.4": "2029-07-31" }),
    features: {},
  },
};
