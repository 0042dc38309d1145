/**
 * The engine versions AWS offers, as data: versions with their end of standard support, and the version each
 * feature needs. Shared by modules/ (config validation; modules/catalog/engine-versions.ts records the
 * sources and the day they were read) and the catalog check (`npm run catalog -- --check`), which compares it
 * with AWS: so it lives here, importing nothing, as the name rules do.
 */
export interface VersionRow {
  readonly version: string;
  /**
   * End of standard support from the release calendar ("YYYY-MM-DD"; a month-only row as its last day).
   * Not the day creation stops: that is `creationBlockedFrom(endOfStandardSupport)`.
   */
  readonly endOfStandardSupport: string;
  /** The date is an estimate rather than a calendar row (no row is, as of `asOf`). */
  readonly estimated?: true;
}

/** Minimum version per major version, e.g. { "16": "16.1" }; a major not listed lacks the feature. */
export type Minimums = Readonly<Record<string, string>>;

export interface EngineCatalog {
  readonly label: string;
  /**
   * Long-term support minors (a version belongs when it starts with one followed by "." or is one), where
   * AWS recommends turning automatic minor upgrades off so the database stays on them.
   */
  readonly longTermSupportWithoutAutoMinor?: readonly string[];
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

/** Versions that share one end of standard support in a release calendar. */
function calendar(endOfStandardSupport: string, versions: readonly string[]): VersionRow[] {
  return versions.map((version) => ({ version, endOfStandardSupport }));
}

/** Never past the major version's own end of standard support. */
function capped(rows: VersionRow[], majorOf: (v: string) => string, majors: Readonly<Record<string, string>>): VersionRow[] {
  return rows.map((row) => {
    const end = majors[majorOf(row.version)];
    return end !== undefined && end < row.endOfStandardSupport ? { version: row.version, endOfStandardSupport: end } : row;
  });
}

/** End of standard support of each PostgreSQL major, the same on RDS and Aurora (18: RDS calendar only). */
const POSTGRESQL_MAJORS: Readonly<Record<string, string>> = {
  "13": "2026-02-28", "14": "2027-02-28", "15": "2028-02-29", "16": "2029-02-28", "17": "2030-02-28", "18": "2031-02-28",
};

const pgMajor = (v: string) => v.split(".")[0]!;

export const ENGINE_CATALOG: Readonly<Record<"aurora-postgresql" | "aurora-mysql" | "postgres" | "mysql", EngineCatalog>> = {
  "aurora-postgresql": {
    label: "Aurora PostgreSQL",
    // Aurora minors run about 18 months from their Aurora release, not the community's; the first 17 was 17.4 and
    // the first 18 is 18.3. 17.10, 16.14 and 18.4 are upgrade targets in AWS's table but have no calendar row yet.
    versions: [
      ...calendar("2026-02-28", ["13.9", "13.18", "13.20", "13.21", "13.22", "13.23"]), // every 13.x ends with 13
      // Not in the 2026-12 calendar copy any more (their support ended); dates from the earlier copy.
      ...calendar("2026-05-31", ["14.15", "15.8", "16.4", "16.6"]),
      ...calendar("2026-11-30", ["14.17", "15.12", "17.4"]),
      ...calendar("2026-12-31", ["14.18", "15.13", "16.9", "17.5"]),
      ...calendar("2027-02-28", ["14.6", "14.19", "14.20", "14.22"]), // 14.6 is LTS
      ...calendar("2027-04-30", ["15.14", "16.10", "17.6"]),
      ...calendar("2027-05-31", ["15.15", "16.11"]),
      ...calendar("2027-09-30", ["15.17", "16.13", "17.9"]),
      ...calendar("2027-11-30", ["18.3"]),
      ...calendar("2028-02-29", ["15.10"]), // LTS
      ...calendar("2029-02-28", ["16.8"]), // LTS
      ...calendar("2030-02-28", ["17.7"]), // LTS (an earlier copy of the calendar said July 2027)
    ],
    features: {
      // Most regions; a few newer regions need later versions (e.g. Thailand 16.4/15.8/14.13), not modelled.
      serverlessV2: { "13": "13.6", "14": "14.3", "15": "15.2", "16": "16.1", "17": "17.4", "18": "18.3" },
      // The capacity table stops at 16; 17.4 is the first Aurora 17, so all of 17 is assumed to reach 256. 18 is
      // not assumed: until the capacity table lists it, Serverless v2 on 18 is held to 128 ACUs.
      serverlessV2Max256: { "13": "13.13", "14": "14.10", "15": "15.5", "16": "16.1", "17": "17.4" },
      // 18 not read in the I/O-Optimized table: refused on 18 until it is.
      ioOptimized: { "13": "13.10", "14": "14.7", "15": "15.2", "16": "16.1", "17": "17.4" },
      // Unverified: the Aurora instance-class table was not read (so r8g is refused on 18).
      classFamilies: { r8g: { "13": "13.16", "14": "14.13", "15": "15.8", "16": "16.4", "17": "17.4" } },
    },
  },
  "aurora-mysql": {
    label: "Aurora MySQL",
    // "We recommend that you disable automatic minor version upgrades for LTS versions" (Aurora User Guide,
    // Long-term support (LTS) and beta releases for Amazon Aurora MySQL; current LTS: 3.10.*, 3.04.*; read 2026-12-06).
    longTermSupportWithoutAutoMinor: ["8.0.mysql_aurora.3.04", "8.0.mysql_aurora.3.10"],
    versions: [
      // 3.04 and 3.10 are long-term support (LTS) releases. The calendar dates minors; patches share the date.
      // Aurora MySQL 8.4 (8.4.7, 8.4.8, …) is a separate version line with its own version format: not offered.
      ...calendar("2026-08-31", ["3.08.0", "3.08.1", "3.08.2", "3.09.0"]),
      ...calendar("2026-10-31", ["3.04.0", "3.04.1", "3.04.2", "3.04.3", "3.04.4"]),
      ...calendar("2026-11-13", ["3.11.0"]),
      ...calendar("2027-02-17", ["3.12.0"]),
      ...calendar("2027-08-27", ["3.13.0"]),
      ...calendar("2028-04-30", ["3.10.0", "3.10.1", "3.10.2", "3.10.3", "3.10.4"]),
    ].map((row) => ({ ...row, version: `8.0.mysql_aurora.${row.version}` })),
    features: {
      serverlessV2: { "3": "3.02.0" },
      serverlessV2Max256: { "3": "3.06.0" },
      ioOptimized: { "3": "3.03.1" },
      // Unverified: the Aurora instance-class table was not read.
      classFamilies: { r8g: { "3": "3.08.0" } },
    },
  },
  postgres: {
    label: "RDS for PostgreSQL",
    majors: Object.fromEntries(Object.entries(POSTGRESQL_MAJORS).map(([major, end]) => [major, { endOfStandardSupport: end }])),
    // The 2026-12 calendar copy (up to 18.6, 17.11, 16.15, 15.19, 14.24). Rows it no longer lists keep the
    // earlier copy's date. NO_CREATE versions (18.2, 17.8, 16.12, 15.16, 14.21) are left out.
    versions: capped([
      ...calendar("2026-02-28", ["13.18", "13.20", "13.21", "13.22", "13.23"]),
      ...calendar("2026-05-31", ["14.15", "14.17", "15.10", "15.12", "16.6", "16.8", "17.2", "17.4"]),
      ...calendar("2026-10-31", ["14.18", "14.19", "15.13", "15.14", "16.9", "16.10", "17.5", "17.6"]),
      ...calendar("2027-02-28", ["14.20", "14.22", "14.23", "14.24"]),
      ...calendar("2027-03-31", ["15.15", "15.17", "16.11", "16.13", "17.7", "17.9", "18.1", "18.3"]),
      ...calendar("2027-09-30", ["15.18", "15.19", "16.14", "16.15", "17.10", "17.11", "18.4", "18.6"]),
    ], pgMajor, POSTGRESQL_MAJORS),
    features: {},
  },
  mysql: {
    label: "RDS for MySQL",
    majors: { "8.0": { endOfStandardSupport: "2026-07-31" }, "8.4": { endOfStandardSupport: "2029-07-31" } },
    // The 2026-12 calendar copy lists 8.4.5–8.4.11 and, under standard support, only 8.0.46; 8.0.40–8.0.45 and
    // 8.4.3–8.4.4 keep the earlier copy's dates. 8.0.46 arrived after AWS stopped creating 8.0 databases: it is
    // here as an upgrade source.
    versions: [
      ...calendar("2026-05-31", ["8.0.40", "8.0.41", "8.4.3", "8.4.4"]),
      ...calendar("2026-07-31", ["8.0.42", "8.0.43", "8.0.44", "8.0.45", "8.0.46"]),
      ...calendar("2026-10-31", ["8.4.5", "8.4.6"]),
      ...calendar("2026-11-30", ["8.4.7"]),
      ...calendar("2027-02-03", ["8.4.8"]),
      ...calendar("2027-05-08", ["8.4.9"]),
      ...calendar("2027-07-07", ["8.4.10"]),
      ...calendar("2027-08-21", ["8.4.11"]),
    ],
    features: {},
  },
};
