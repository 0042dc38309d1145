import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  CATALOG_PARTS, CODEBUILD_IMAGES, ENGINE_CATALOG, LAMBDA_RUNTIMES, MAX_CATALOG_AGE_DAYS, NODEJS_END_OF_LIFE, REGIONS, WARNING_DAYS,
  catalogAgeDays, dayOf, lifecycleOn,
} from "../../modules/catalog/index.ts";
import { DATABASE_ENGINES, engineVersionFacts, versionAtLeast } from "../../modules/database-engines.ts";
import { validateDatabaseSettings } from "../../modules/database-settings.ts";
import { LAMBDA_RUNTIME, checkLambdaRuntime } from "../../modules/clients.ts";
import { CODEBUILD_IMAGE, MIGRATIONS_NODEJS_MAJOR } from "../../modules/migrations.ts";
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
    ioOptimized["16"] = "16.13";
    const problems = new Problems("database");
    validateDatabaseSettings({ engine: "aurora-postgresql", engineVersion: "16.12", instanceClass: "db.r6g.large", databaseName: "shop", ioOptimized: true }, false, problems);
    expect(problems.all.map((p) => `${p.path}: ${p.allowed}`)).toEqual([
      "database.ioOptimized: Aurora I/O-Optimized needs Aurora PostgreSQL 13.10, 14.7, 15.2, 16.13, 17.4 or later; engineVersion is 16.12",
    ]);
  });

  it("reads 256-ACU and class minimums from the catalog", () => {
    expect(engineVersionFacts("aurora-mysql", "8.0.mysql_aurora.3.04.3")).toMatchObject({ serverlessV2MaxCapacity: 128, supportsServerlessV2: true });
    expect(engineVersionFacts("aurora-postgresql", "16.12")).toMatchObject({ serverlessV2MaxCapacity: 256, supportsIoOptimized: true, parameterGroupFamily: "aurora-postgresql16" });
    expect(engineVersionFacts("mysql", "8.4")).toMatchObject({ parameterGroupFamily: "mysql8.4", majorOnly: true });
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
