import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { DescribeDBEngineVersionsCommand, RDSClient } from "@aws-sdk/client-rds";
import { EXIT, runScript } from "../../../scripts/lib/cli.ts";
import { compareCatalog, readReported, runCatalogCommand } from "../../../scripts/lib/deploy/catalog-check.ts";
import { ENGINE_CATALOG } from "../../../scripts/lib/catalog/engine-versions.ts";
import { MAJOR_UPGRADE_PATHS } from "../../../scripts/lib/catalog/upgrade-paths.ts";

/**
 * A describe-db-engine-versions response built from AWS's published tables, not captured from an account (no
 * capture with current versions was found). The shape is the real response's: the fields of a captured
 * aurora-postgresql answer (gist.github.com/ejimz/638c041c89206cf6dd446be275883b1d, 2021: Engine, EngineVersion,
 * DBParameterGroupFamily, DBEngineDescription, DBEngineVersionDescription, ValidUpgradeTarget[] of Engine,
 * EngineVersion, Description, AutoUpgrade, IsMajorVersionUpgrade, SupportedEngineModes, SupportsParallelQuery,
 * SupportsGlobalDatabases; ExportableLogTypes, Status, SupportedEngineModes, SupportsReadReplica, …) and the
 * certificate fields of the RDS User Guide's example (UsingWithRDS.SSL.html: MajorEngineVersion,
 * SupportedFeatureNames, SupportsCertificateRotationWithoutRestart, SupportedCACertificateIdentifiers). Feature
 * flags (SupportsBabelfish, SupportsIntegrations, …) and AutoUpgrade (always false) are illustrative, not AWS data.
 *
 * What comes from which AWS table (copies of mid/late 2026, read 2026-12-07):
 * - aurora-postgresql: versions and ValidUpgradeTarget from the Aurora User Guide's "Getting a list of available
 *   versions in your AWS Region" table (USER_UpgradeDBInstance.PostgreSQL.UpgradeVersion.html), rows 14.15–18.3.
 *   18.4, 17.10, 16.14, 15.18 and 14.23 are targets there without a row of their own (no targets). The 14.6 and
 *   13.x rows were not read, so they are missing here.
 * - postgres: versions from the RDS for PostgreSQL release calendar (postgresql-release-calendar.html, 18.6 down to
 *   13.23, without the NO_CREATE versions); ValidUpgradeTarget from the RDS table "Choosing a major version for an
 *   RDS for PostgreSQL upgrade" (USER_UpgradeDBInstance.PostgreSQL.MajorVersion.html), NO_CREATE targets included.
 * - mysql: versions from the RDS for MySQL release calendar (MySQL.Concepts.VersionMgmt.html: 8.4.5–8.4.11, 8.0.46).
 *   AWS publishes no 8.0 -> 8.4 pair table: 8.0.46's major targets (8.4.9–8.4.11) are dbstack's pairing, so the
 *   MySQL part only shows the check reads MySQL's shape.
 */
const RECORDED = join(import.meta.dirname, "fixtures", "describe-db-engine-versions-from-aws-tables-2026.json");

describe("catalog check against a describe-db-engine-versions response built from AWS's tables", () => {
  it("names retired and new versions per engine, and finds the upgrade tables in agreement with the catalog", () => {
    const [auroraPostgres, postgres, mysql, ...others] = compareCatalog(readReported(RECORDED));
    expect(others).toEqual([]);
    expect(auroraPostgres).toEqual({
      engine: "aurora-postgresql",
      retired: ["13.9", "13.18", "13.20", "13.21", "13.22", "13.23", "14.6"], // rows not read
      // In AWS's upgrade table, without a calendar row (no end of standard support to record yet).
      added: ["14.23", "15.18", "16.14", "17.10", "18.4"],
      upgradePathsMissing: [],
      upgradePathsNotOffered: [],
    });
    expect(postgres).toEqual({
      engine: "postgres",
      // Their standard support ended on 2026-02-28 (13) and 2026-05-31: the calendar no longer lists them.
      retired: ["13.18", "13.20", "13.21", "13.22", "14.15", "14.17", "15.10", "15.12", "16.6", "16.8", "17.2", "17.4"],
      added: [],
      upgradePathsMissing: [],
      upgradePathsNotOffered: [],
    });
    expect(mysql).toEqual({
      engine: "mysql",
      retired: ["8.0.40", "8.0.41", "8.0.42", "8.0.43", "8.0.44", "8.0.45", "8.4.3", "8.4.4"],
      added: [],
      upgradePathsMissing: [],
      upgradePathsNotOffered: [],
    });
  });

  it("reports a path AWS adds, a path AWS drops and a version AWS deprecates", () => {
    const reported = structuredClone(readReported(RECORDED));
    const version = (v: string) => reported.find((r) => r.Engine === "aurora-postgresql" && r.EngineVersion === v)!;
    version("16.11").ValidUpgradeTarget!.push({ Engine: "aurora-postgresql", EngineVersion: "17.7", IsMajorVersionUpgrade: true });
    version("16.8").ValidUpgradeTarget = version("16.8").ValidUpgradeTarget!.filter((t) => t.EngineVersion !== "17.4");
    version("17.4").Status = "deprecated";
    const [auroraPostgres] = compareCatalog(reported);
    expect(auroraPostgres).toMatchObject({
      retired: ["13.9", "13.18", "13.20", "13.21", "13.22", "13.23", "14.6", "17.4"],
      upgradePathsMissing: ["16.11 -> 17.7"],
      // 17.4 is no longer offered, so its own paths are not compared; 16.8's row no longer lists it.
      upgradePathsNotOffered: ["16.8 -> 17.4"],
    });
  });

  it("prints the report and exits 1 when the catalog differs", async () => {
    const lines: string[] = [];
    expect(await runScript(() => runCatalogCommand(["--check", "--from-file", RECORDED], { print: (l) => lines.push(l) }))).toBe(EXIT.unexpected);
    expect(lines.join("\n").split("\n")).toEqual([
      "aurora-postgresql:",
      "  retired (in the catalog, not offered by AWS): 13.9, 13.18, 13.20, 13.21, 13.22, 13.23, 14.6",
      "  new (offered by AWS, not in the catalog): 14.23, 15.18, 16.14, 17.10, 18.4",
      "postgres:",
      "  retired (in the catalog, not offered by AWS): 13.18, 13.20, 13.21, 13.22, 14.15, 14.17, 15.10, 15.12, 16.6, 16.8, 17.2, 17.4",
      "mysql:",
      "  retired (in the catalog, not offered by AWS): 8.0.40, 8.0.41, 8.0.42, 8.0.43, 8.0.44, 8.0.45, 8.4.3, 8.4.4",
    ]);
  });

  it("exits 0 and says in sync when AWS reports exactly the catalog", async () => {
    const lines: string[] = [];
    const rds = new RDSClient({ region: "eu-west-1" });
    const mock = mockClient(rds);
    mock.on(DescribeDBEngineVersionsCommand).resolves({ DBEngineVersions: [] });
    // AWS answers with exactly the catalog's versions and major upgrade paths ("8.4" alone: RDS picks the minor).
    const paths = MAJOR_UPGRADE_PATHS.mysql!;
    const versions = ENGINE_CATALOG.mysql.versions.map((row) => ({
      Engine: "mysql", EngineVersion: row.version, Status: "available",
      ValidUpgradeTarget: (paths[row.version] ?? []).filter((t) => t !== "8.4").map((t) => ({ Engine: "mysql", EngineVersion: t, IsMajorVersionUpgrade: true })),
    }));
    mock.on(DescribeDBEngineVersionsCommand, { Engine: "mysql" }).resolves({ DBEngineVersions: versions });
    expect(await runScript(() => runCatalogCommand(["--check", "--region", "eu-west-1"], { rds: () => rds, print: (l) => lines.push(l) }))).toBe(EXIT.ok);
    expect(lines).toEqual(["mysql:\n  in sync"]);
    expect(mock.commandCalls(DescribeDBEngineVersionsCommand).map((c) => c.args[0].input.Engine)).toEqual(["aurora-postgresql", "aurora-mysql", "postgres", "mysql"]);
  });

  it("reads every page the API returns", async () => {
    const rds = new RDSClient({ region: "eu-west-1" });
    const mock = mockClient(rds);
    mock.on(DescribeDBEngineVersionsCommand).resolves({ DBEngineVersions: [] });
    mock.on(DescribeDBEngineVersionsCommand, { Engine: "mysql", Marker: undefined }).resolves({ DBEngineVersions: [{ Engine: "mysql", EngineVersion: "8.4.8", Status: "available" }], Marker: "page-2" });
    mock.on(DescribeDBEngineVersionsCommand, { Engine: "mysql", Marker: "page-2" }).resolves({ DBEngineVersions: [{ Engine: "mysql", EngineVersion: "8.4.11", Status: "available" }] });
    const lines: string[] = [];
    await runScript(() => runCatalogCommand(["--check", "--region", "eu-west-1", "--output", "json"], { rds: () => rds, print: (l) => lines.push(l) }));
    const [mysql] = JSON.parse(lines[0]!) as { engine: string; retired: string[] }[];
    expect(mysql!.engine).toBe("mysql");
    expect(mysql!.retired).toContain("8.4.10");
    expect(mysql!.retired).not.toContain("8.4.8"); // page 1
    expect(mysql!.retired).not.toContain("8.4.11"); // page 2
  });

  it("fails on usage errors and AWS errors with their exit codes and messages", async () => {
    const lines: string[] = [];
    const run = (args: string[], rds?: RDSClient) => runScript(() => runCatalogCommand(args, { ...(rds ? { rds: () => rds } : {}), print: (l) => lines.push(l) }), (l) => lines.push(l));
    expect(await run([])).toBe(EXIT.usage);
    expect(lines.at(-1)).toMatch(/^error: nothing to do: pass --check/);
    expect(await run(["--check", "--from-file", join(import.meta.dirname, "fixtures", "missing.json")])).toBe(EXIT.usage);
    expect(lines.at(-1)).toMatch(/^error: cannot read .*missing\.json as describe-db-engine-versions JSON/);
    const rds = new RDSClient({ region: "eu-west-1" });
    mockClient(rds).on(DescribeDBEngineVersionsCommand).rejects(Object.assign(new Error("The security token included in the request is invalid."), { name: "UnrecognizedClientException" }));
    expect(await run(["--check", "--region", "eu-west-1"], rds)).toBe(EXIT.aws);
    expect(lines.at(-1)).toBe("error: DescribeDBEngineVersions (aurora-postgresql) failed: UnrecognizedClientException: The security token included in the request is invalid.; without AWS access, pass --from-file");
  });
});
