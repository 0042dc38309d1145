import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  CATALOG_PARTS, CODEBUILD_IMAGES, ENGINE_CATALOG, LAMBDA_RUNTIMES, MAJOR_UPGRADE_PATHS, MAX_CATALOG_AGE_DAYS, NODEJS_END_OF_LIFE, REGIONS, WARNING_DAYS,
  catalogAgeDays, creationBlockedFrom, dayOf, lifecycleOn,
} from "../../modules/catalog/index.ts";
import { DATABASE_ENGINES, engineVersionFacts, versionAtLeast } from "../../modules/database-engines.ts";
import { validateDatabaseSettings } from "../../modules/database-settings.ts";
import { LAMBDA_RUNTIME, checkLambdaRuntime } from "../../modules/clients.ts";
import { CODEBUILD_IMAGE, MIGRATIONS_NODEJS_MAJOR } from "../../modules/migrations.ts";
import { environments } from "../../stacks/environments.ts";
import { Problems, credentialIn } from "../../modules/validation.ts";

describe("the dated catalog", () => {
  it.each(CATALOG_PARTS.map((part) => [part.name, part] as const))("%s was checked against its sources within a year", (_name, part) => {
    // The real clock on purpose: data about what AWS offers goes stale; review it against part.sources.
    const age = catalogAgeDays(part, new Date());
    expect(age, `catalog "${part.name}" is ${age} days old (as of ${part.asOf}); check it against: ${part.sources.join("; ")}`).toBeLessThanOrEqual(MAX_CATALOG_AGE_DAYS);
    expect(part.sources.length).toBeGreaterThan(0);
  });

  it("fails the age check for a part older than a year", () => {
    const part = CATALOG_PARTS[0]!;
    expect(catalogAgeDays(part, new Date(dayOf(part.asOf) + 366 * 86_400_000))).toBeGreaterThan(MAX_CATALOG_AGE_DAYS);
  });

  it("has well-formed dates and versions every engine can read", () => {
    for (const engine of DATABASE_ENGINES) {
      const catalog = ENGINE_CATALOG[engine];
      const versions = [...catalog.versions.map((row) => row.version), ...Object.keys(catalog.majors ?? {})];
      expect(new Set(versions).size).toBe(versions.length);
      for (const row of [...catalog.versions, ...Object.values(catalog.majors ?? {})]) expect(() => dayOf(row.endOfStandardSupport)).not.toThrow();
      for (const version of versions) expect(engineVersionFacts(engine, version), `${engine} ${version}`).toHaveProperty("parameterGroupFamily");
    }
    for (const runtime of Object.values(LAMBDA_RUNTIMES)) for (const date of [runtime.deprecated, runtime.blockCreate, runtime.blockUpdate]) expect(() => dayOf(date)).not.toThrow();
  });

  it("holds what the shipped constants use", () => {
    expect(LAMBDA_RUNTIMES[LAMBDA_RUNTIME]).toMatchObject({ provider: true });
    expect(CODEBUILD_IMAGES[CODEBUILD_IMAGE]!.nodejs).toContain(MIGRATIONS_NODEJS_MAJOR);
    expect(NODEJS_END_OF_LIFE[MIGRATIONS_NODEJS_MAJOR]).toBeDefined();
  });

  it("knows every region of the aws, aws-cn and aws-us-gov partitions the installed AWS SDK knows", () => {
    const partitions = sdkPartitions();
    if (!partitions) {
      console.warn("!!! SKIPPED: @aws-sdk/core's partitions.js not found; cannot cross-check the region catalog");
      return;
    }
    for (const partition of partitions.filter((p) => ["aws", "aws-cn", "aws-us-gov"].includes(p.id))) {
      const sdkRegions = Object.keys(partition.regions).filter((r) => !r.endsWith("-global"));
      const ours = Object.entries(REGIONS).filter(([, facts]) => facts.partition === partition.id).map(([region]) => region);
      expect(ours.sort(), `regions of ${partition.id}`).toEqual(sdkRegions.sort());
    }
  });
});

/** The partitions data the SDK ships (the same data the AWS SDKs' endpoint resolution uses). */
function sdkPartitions(): { id: string; regions: Record<string, unknown> }[] | undefined {
  try {
    const require = createRequire(import.meta.url);
    const root = dirname(require.resolve("@aws-sdk/core/package.json"));
    const file = join(root, "dist-es", "submodules", "client", "util-endpoints", "lib", "aws", "partitions.js");
    if (!existsSync(file)) return undefined;
    const text = readFileSync(file, "utf8").replace(/^export const partitionsInfo = /, "").replace(/;\s*$/, "");
    return (JSON.parse(text) as { partitions: { id: string; regions: Record<string, unknown> }[] }).partitions;
  } catch {
    return undefined;
  }
}

/** A version's end of standard support in the catalog, or undefined when the catalog does not offer it. */
function endOf(engine: (typeof DATABASE_ENGINES)[number], version: string): string | undefined {
  const catalog = ENGINE_CATALOG[engine];
  return catalog.versions.find((row) => row.version === version)?.endOfStandardSupport ?? catalog.majors?.[version]?.endOfStandardSupport;
}

/** [version, end of standard support] pairs for several versions with the same date. */
const sharing = (end: string, versions: string[]) => versions.map((version) => [version, end] as const);

describe("engine versions: release-calendar dates (calendars read 2026-12-07)", () => {
  it.each<readonly [string, string]>([
    // Aurora PostgreSQL calendar; LTS versions (14.6, 15.10, 16.8, 17.7) run to the end of their major.
    ...sharing("2026-05-31", ["14.15", "15.8", "16.4", "16.6"]), // from the earlier copy: no longer listed
    ...sharing("2026-11-30", ["14.17", "15.12", "17.4"]),
    ...sharing("2026-12-31", ["14.18", "15.13", "16.9", "17.5"]),
    ...sharing("2027-02-28", ["14.6", "14.19", "14.20", "14.22"]),
    ...sharing("2027-04-30", ["15.14", "16.10", "17.6"]),
    ...sharing("2027-05-31", ["15.15", "16.11"]),
    ...sharing("2027-09-30", ["15.17", "16.13", "17.9"]),
    ["18.3", "2027-11-30"], ["15.10", "2028-02-29"], ["16.8", "2029-02-28"], ["17.7", "2030-02-28"], ["13.23", "2026-02-28"],
  ])("Aurora PostgreSQL %s ends standard support on %s", (version, end) => {
    expect(endOf("aurora-postgresql", version)).toBe(end);
  });

  it.each<readonly [string, string]>([
    ...sharing("2026-08-31", ["3.08.0", "3.08.2", "3.09.0"]),
    ...sharing("2026-10-31", ["3.04.0", "3.04.4"]),
    ["3.11.0", "2026-11-13"], ["3.12.0", "2027-02-17"], ["3.13.0", "2027-08-27"],
    ...sharing("2028-04-30", ["3.10.0", "3.10.1", "3.10.2", "3.10.3", "3.10.4"]),
  ])("Aurora MySQL %s ends standard support on %s", (version, end) => {
    expect(endOf("aurora-mysql", `8.0.mysql_aurora.${version}`)).toBe(end);
  });

  it.each<readonly [string, string]>([
    ["13", "2026-02-28"], ["14", "2027-02-28"], ["15", "2028-02-29"], ["16", "2029-02-28"], ["17", "2030-02-28"], ["18", "2031-02-28"],
    ...sharing("2026-05-31", ["14.15", "14.17", "15.10", "15.12", "16.6", "16.8", "17.2", "17.4"]), // from the earlier copy
    ...sharing("2026-10-31", ["14.18", "14.19", "15.13", "15.14", "16.9", "16.10", "17.5", "17.6"]),
    ...sharing("2027-02-28", ["14.20", "14.22", "14.23", "14.24"]),
    ...sharing("2027-03-31", ["15.15", "15.17", "16.11", "16.13", "17.7", "17.9", "18.1", "18.3"]), // "March 2027"
    ...sharing("2027-09-30", ["15.18", "15.19", "16.14", "16.15", "17.10", "17.11", "18.4", "18.6"]), // "September 2027"
  ])("RDS for PostgreSQL %s ends standard support on %s", (version, end) => {
    expect(endOf("postgres", version)).toBe(end);
  });

  it.each<readonly [string, string]>([
    ["8.0", "2026-07-31"], ["8.4", "2029-07-31"],
    ...sharing("2026-05-31", ["8.0.40", "8.0.41", "8.4.3", "8.4.4"]),
    ...sharing("2026-07-31", ["8.0.42", "8.0.43", "8.0.44", "8.0.45", "8.0.46"]),
    ...sharing("2026-10-31", ["8.4.5", "8.4.6"]),
    ["8.4.7", "2026-11-30"], ["8.4.8", "2027-02-03"], ["8.4.9", "2027-05-08"], ["8.4.10", "2027-07-07"], ["8.4.11", "2027-08-21"],
  ])("RDS for MySQL %s ends standard support on %s", (version, end) => {
    expect(endOf("mysql", version)).toBe(end);
  });

  it.each([
    // Upgrade targets in AWS's Aurora table without a calendar row yet, and versions the calendar does not list.
    ["aurora-postgresql", ["17.10", "16.14", "18.4", "16.12", "17.8", "15.16", "14.21"]],
    ["postgres", ["18.2", "17.8", "16.12", "15.16", "14.21"]], // NO_CREATE in the RDS calendar
  ] as const)("does not offer %s versions the calendars do not list: %j", (engine, versions) => {
    for (const version of versions) expect(endOf(engine, version), `${engine} ${version}`).toBeUndefined();
  });

  it("dates every row from a calendar: none is estimated", () => {
    for (const engine of DATABASE_ENGINES) {
      const catalog = ENGINE_CATALOG[engine];
      for (const row of [...catalog.versions, ...Object.values(catalog.majors ?? {})]) expect(row.estimated, `${engine} ${JSON.stringify(row)}`).toBeUndefined();
    }
  });
});

describe("the day AWS stops creating databases on a version", () => {
  it.each([
    ["2026-05-31", "2026-05-01"], // the AWS Health notice: "Starting May 1, 2026 … end of standard support on May 31, 2026"
    ["2029-02-28", "2029-02-01"],
    ["2028-02-29", "2028-02-01"],
    ["2026-12-31", "2026-12-01"],
    ["2027-02-17", "2027-01-01"], // a mid-month end: the 1st of the month before
    ["2027-02-03", "2027-01-01"],
  ])("is, for an end of standard support on %s, %s", (end, blocked) => {
    expect(creationBlockedFrom(end)).toBe(blocked);
  });

  it("refuses a version from that day and warns within 90 days before it", () => {
    const refused = (version: string, now: string) => {
      const problems = new Problems("database");
      validateDatabaseSettings({ engine: "aurora-postgresql", engineVersion: version, instanceClass: "db.r6g.large", databaseName: "shop" }, false, problems, new Date(now));
      return { errors: problems.all.length, warnings: problems.warnings.length };
    };
    expect(refused("16.9", "2026-11-30T23:59:00Z")).toEqual({ errors: 0, warnings: 1 });
    expect(refused("16.9", "2026-12-01T00:00:00Z")).toEqual({ errors: 1, warnings: 0 });
    expect(refused("16.8", "2028-11-02T00:00:00Z")).toEqual({ errors: 0, warnings: 0 });
  });

  it("keeps the shipped environments' engine version offered, without warnings, until late 2028", () => {
    for (const env of environments) {
      const problems = new Problems(env.name);
      validateDatabaseSettings(env.database, env.production, problems, new Date("2028-11-02T00:00:00Z"));
      expect([...problems.all, ...problems.warnings], `${env.name} ${env.database.engineVersion}`).toEqual([]);
    }
  });
});

describe("lifecycle dates", () => {
  const date = "2027-01-31";
  it("refuse from the date on, warn within 90 days, and are silent before", () => {
    expect(lifecycleOn(date, new Date("2027-01-31T00:00:00Z"))).toEqual({ status: "retired", date });
    expect(lifecycleOn(date, new Date("2027-01-30T23:00:00Z"))).toEqual({ status: "expiring", date, daysLeft: 1 });
    expect(lifecycleOn(date, new Date(dayOf(date) - WARNING_DAYS * 86_400_000))).toEqual({ status: "expiring", date, daysLeft: 90 });
    expect(lifecycleOn(date, new Date(dayOf(date) - (WARNING_DAYS + 1) * 86_400_000))).toEqual({ status: "current" });
    expect(lifecycleOn(undefined, new Date())).toEqual({ status: "current" });
  });
});

describe("engine features by version", () => {
  const ioOptimized = ENGINE_CATALOG["aurora-postgresql"].features.ioOptimized as Record<string, string>;
  const original = { ...ioOptimized };
  afterEach(() => Object.assign(ioOptimized, original));

  it("compares versions numerically, not as text", () => {
    expect(versionAtLeast("aurora-postgresql", "16.10", "16.9")).toBe(true);
    expect(versionAtLeast("aurora-mysql", "8.0.mysql_aurora.3.10.0", "3.08.0")).toBe(true);
    expect(versionAtLeast("aurora-mysql", "8.0.mysql_aurora.3.04.3", "3.06.0")).toBe(false);
  });

  it("fails when I/O-Optimized storage needs a later version than the one configured", () => {
    // No version the catalog offers predates Aurora I/O-Optimized, so the minimum is raised for this test.
    ioOptimized["16"] = "16.9";
    const problems = new Problems("database");
    validateDatabaseSettings({ engine: "aurora-postgresql", engineVersion: "16.8", instanceClass: "db.r6g.large", databaseName: "shop", ioOptimized: true }, false, problems);
    expect(problems.all.map((p) => `${p.path}: ${p.allowed}`)).toEqual([
      "database.ioOptimized: Aurora I/O-Optimized needs Aurora PostgreSQL 13.10, 14.7, 15.2, 16.9, 17.4 or later; engineVersion is 16.8",
    ]);
  });

  it("knows Aurora PostgreSQL 18.3 with only the features read for 18: Serverless v2 (to 128 ACUs until the capacity table lists 18), no I/O-Optimized", () => {
    expect(engineVersionFacts("aurora-postgresql", "18.3")).toMatchObject({
      parameterGroupFamily: "aurora-postgresql18", supportsServerlessV2: true, serverlessV2MaxCapacity: 128, supportsIoOptimized: false, endOfStandardSupport: "2027-11-30",
    });
  });

  it("reads 256-ACU and class minimums from the catalog", () => {
    expect(engineVersionFacts("aurora-mysql", "8.0.mysql_aurora.3.04.3")).toMatchObject({ serverlessV2MaxCapacity: 128, supportsServerlessV2: true });
    expect(engineVersionFacts("aurora-postgresql", "16.8")).toMatchObject({ serverlessV2MaxCapacity: 256, supportsIoOptimized: true, parameterGroupFamily: "aurora-postgresql16" });
    expect(engineVersionFacts("mysql", "8.4")).toMatchObject({ parameterGroupFamily: "mysql8.4", majorOnly: true, estimated: false });
    expect(engineVersionFacts("postgres", "18")).toMatchObject({ parameterGroupFamily: "postgres18", majorOnly: true, endOfStandardSupport: "2031-02-28" });
  });
});

describe("CodeBuild images and zone letters", () => {
  it("list each image's Node.js majors from the image repository", () => {
    expect(CODEBUILD_IMAGES["aws/codebuild/amazonlinux-x86_64-standard:5.0"]!.nodejs).toEqual([18, 20, 22, 24]);
    expect(CODEBUILD_IMAGES["aws/codebuild/amazonlinux-x86_64-standard:6.0"]!.nodejs).toEqual([22, 24]);
    expect(CODEBUILD_IMAGES["aws/codebuild/standard:8.0"]!.nodejs).toEqual([22, 24]);
    expect(CODEBUILD_IMAGES["aws/codebuild/amazonlinux2-x86_64-standard:4.0"]).toMatchObject({ os: "Amazon Linux 2" });
    expect(CODEBUILD_IMAGES["aws/codebuild/amazonlinux-x86_64-standard:4.0"]).toBeUndefined();
  });

  it("include letters only older accounts see, so a valid zone is never refused", () => {
    expect(REGIONS["ap-northeast-1"]!.zones).toBe("abcd");
    expect(REGIONS["ca-central-1"]!.zones).toBe("abcd");
    expect(REGIONS["us-east-1"]!.zones).toBe("abcdef");
  });
});

describe("credentials in values", () => {
  it.each([
    ["postgres://app:hunter2@db:5432/shop", "a URL with a password in it (scheme://user:password@host)"],
    ["jdbc:mysql://root:pw@db/shop", "a URL with a password in it (scheme://user:password@host)"],
    ["Server=db;User Id=app;Password=hunter2;", "a password, secret, token or key assignment (e.g. Password=…)"],
    ["AKIAIOSFODNN7EXAMPLE", "an AWS access key id"],
    ["-----BEGIN RSA PRIVATE KEY-----\nMIIE", "a private key"],
    ["eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "a JSON web token"],
  ])("finds %s", (value, kind) => {
    expect(credentialIn(value)).toBe(kind);
  });

  it.each(["https://api.example.com:8443/v1", "http://localhost:8000/health", "mailto:ops@example.com", "a=1,b=2", "eu-west-1"])("accepts %s", (value) => {
    expect(credentialIn(value)).toBeUndefined();
  });
});

describe("Lambda runtimes", () => {
  it("hold the dates of the Lambda guide's Node.js table", () => {
    expect(LAMBDA_RUNTIMES["nodejs20.x"]).toEqual({ deprecated: "2026-04-30", blockCreate: "2026-08-31", blockUpdate: "2026-09-30", provider: true });
    expect(LAMBDA_RUNTIMES["nodejs22.x"]).toEqual({ deprecated: "2027-04-30", blockCreate: "2027-06-01", blockUpdate: "2027-07-01", provider: true });
    // nodejs24.x exists, but hashicorp/aws 5.100.0 is not known to accept it: dbstack ships nodejs22.x.
    expect(LAMBDA_RUNTIMES["nodejs24.x"]).toEqual({ deprecated: "2028-04-30", blockCreate: "2028-06-01", blockUpdate: "2028-07-01", provider: false });
    expect(LAMBDA_RUNTIME).toBe("nodejs22.x");
  });

  it.each([
    ["nodejs20.x", 'runtime: AWS Lambda blocks creating functions on nodejs20.x since 2026-08-31 (updates from 2026-09-30): move to a supported runtime (LAMBDA_RUNTIME in modules/clients.ts)'],
    ["nodejs24.x", "runtime: is not accepted by hashicorp/aws 5.100.0 (its runtime list ends at nodejs22.x) (LAMBDA_RUNTIME in modules/clients.ts)"],
    ["nodejs16.x", "runtime: must be a Lambda runtime in the catalog: nodejs18.x, nodejs20.x, nodejs22.x, nodejs24.x (LAMBDA_RUNTIME in modules/clients.ts)"],
  ])("fails when the constant is %s", (runtime, expected) => {
    const problems = new Problems();
    checkLambdaRuntime(runtime, new Date("2026-11-23T12:00:00Z"), problems);
    expect(problems.all.map((p) => `${p.path}: ${p.allowed}`)).toEqual([expected]);
  });
});

describe("major upgrade paths: rows of AWS's upgrade tables (read 2026-12-07)", () => {
  const major = (targets: readonly string[] | undefined, of: string) => (targets ?? []).filter((t) => t.startsWith(`${of}.`));

  it.each([
    ["14.19", ["17.6", "17.9", "17.10"]], // no 17.7 from 14.15–14.19
    ["14.20", ["17.7", "17.9", "17.10"]],
    ["15.10", ["17.4", "17.5", "17.6", "17.7", "17.9", "17.10"]],
    ["15.17", ["17.9", "17.10"]],
    ["16.4", ["17.4", "17.5", "17.6", "17.7", "17.9", "17.10"]],
    ["16.6", ["17.4", "17.5", "17.6", "17.7", "17.9", "17.10"]],
    ["16.8", ["17.4", "17.5", "17.6", "17.7", "17.9", "17.10"]],
    ["16.9", ["17.6", "17.7", "17.9", "17.10"]],
    ["16.10", ["17.7", "17.9", "17.10"]],
    ["16.11", ["17.9", "17.10"]],
    ["16.13", ["17.9", "17.10"]],
  ])("Aurora PostgreSQL %s upgrades to the 17.x of its row: %j, and to 18.3 and 18.4", (source, targets) => {
    expect(major(MAJOR_UPGRADE_PATHS["aurora-postgresql"]![source], "17")).toEqual(targets);
    expect(major(MAJOR_UPGRADE_PATHS["aurora-postgresql"]![source], "18")).toEqual(["18.3", "18.4"]);
  });

  // Rows as the RDS table prints them (newest first there), checked against the release model that builds the table.
  it.each<[string, string]>([
    ["17.11", "18.6"],
    ["17.8", "18.6, 18.4, 18.3, 18.2"],
    ["17.4", "18.6, 18.4, 18.3, 18.2, 18.1"],
    ["16.15", "18.6 | 17.11"],
    ["16.13", "18.6, 18.4, 18.3 | 17.11, 17.10, 17.9"],
    ["16.11", "18.6, 18.4, 18.3, 18.2, 18.1 | 17.11, 17.10, 17.9, 17.8, 17.7"],
    ["16.8", "18.6, 18.4, 18.3, 18.2, 18.1 | 17.11, 17.10, 17.9, 17.8, 17.7, 17.6, 17.5"],
    ["15.17", "18.6, 18.4, 18.3 | 17.11, 17.10, 17.9 | 16.15, 16.14, 16.13"],
    ["15.14", "18.6, 18.4, 18.3, 18.2, 18.1 | 17.11, 17.10, 17.9, 17.8, 17.7, 17.6 | 16.15, 16.14, 16.13, 16.12, 16.11, 16.10"],
    ["15.2", "18.6, 18.4, 18.3, 18.2, 18.1 | 17.11, 17.10, 17.9, 17.8, 17.7, 17.6, 17.5 | 16.15, 16.14, 16.13, 16.12, 16.11, 16.10, 16.9"],
    ["14.21", "18.6, 18.4, 18.3, 18.2 | 17.11, 17.10, 17.9, 17.8 | 16.15, 16.14, 16.13, 16.12 | 15.19, 15.18, 15.17, 15.16"],
    ["14.20", "18.6, 18.4, 18.3, 18.2, 18.1 | 17.11, 17.10, 17.9, 17.8, 17.7 | 16.15, 16.14, 16.13, 16.12, 16.11 | 15.19, 15.18, 15.17, 15.16, 15.15"],
    ["13.23", "18.6, 18.4, 18.3, 18.2, 18.1 | 17.11, 17.10, 17.9, 17.8, 17.7 | 16.15, 16.14, 16.13, 16.12, 16.11 | 15.19, 15.18, 15.17, 15.16, 15.15 | 14.24, 14.23, 14.22, 14.21, 14.20"],
    ["13.22", "18.6, 18.4, 18.3, 18.2, 18.1 | 17.11, 17.10, 17.9, 17.8, 17.7, 17.6 | 16.15, 16.14, 16.13, 16.12, 16.11, 16.10 | 15.19, 15.18, 15.17, 15.16, 15.15, 15.14 | 14.24, 14.23, 14.22, 14.21, 14.20, 14.19"],
  ])("RDS for PostgreSQL %s upgrades to %s", (source, row) => {
    const targets = MAJOR_UPGRADE_PATHS.postgres![source];
    const printed = ["18", "17", "16", "15", "14"].map((m) => major(targets, m).reverse().join(", ")).filter(Boolean).join(" | ");
    expect(printed).toBe(row);
  });

  it("has no RDS for PostgreSQL major targets for 18.x, and no 15.1 (never on RDS)", () => {
    expect(MAJOR_UPGRADE_PATHS.postgres!["18.6"]).toBeUndefined();
    expect(MAJOR_UPGRADE_PATHS.postgres!["15.1"]).toBeUndefined();
  });

  it("pairs each RDS for MySQL 8.0 minor with the 8.4 minors of its release or later (dbstack's pairing: AWS publishes none)", () => {
    expect(MAJOR_UPGRADE_PATHS.mysql!["8.0.42"]).toEqual(["8.4", "8.4.5", "8.4.6", "8.4.7", "8.4.8", "8.4.9", "8.4.10", "8.4.11"]);
    expect(MAJOR_UPGRADE_PATHS.mysql!["8.0.46"]).toEqual(["8.4", "8.4.9", "8.4.10", "8.4.11"]);
  });
});
