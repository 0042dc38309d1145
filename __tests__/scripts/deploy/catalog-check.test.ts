import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { DescribeDBEngineVersionsCommand, RDSClient } from "@aws-sdk/client-rds";
import { EXIT, runScript } from "../../../scripts/lib/cli.ts";
import { compareCatalog, readReported, runCatalogCommand } from "../../../scripts/lib/deploy/catalog-check.ts";
import { ENGINE_CATALOG } from "../../../scripts/lib/catalog/engine-versions.ts";
import { MAJOR_UPGRADE_PATHS } from "../../../scripts/lib/catalog/upgrade-paths.ts";

/** `aws rds describe-db-engine-versions` for aurora-postgresql and mysql as AWS answered in December 2026 (recorded shape). */
const RECORDED = join(import.meta.dirname, "fixtures", "describe-db-engine-versions-2026-12.json");

describe("catalog check against a recorded describe-db-engine-versions response", () => {
  it("names retired and new versions, and major upgrade paths on one side only, per engine AWS reported on", () => {
    const [auroraPostgres, mysql, ...others] = compareCatalog(readReported(RECORDED));
    expect(others).toEqual([]);
    expect(auroraPostgres).toMatchObject({
      engine: "aurora-postgresql",
      // Every 13.x, and the minors whose standard support ended in May and November 2026.
      retired: ["13.9", "13.18", "13.20", "13.21", "13.22", "13.23", "14.15", "14.17", "14.22", "15.8", "15.12", "15.17", "16.4", "16.6", "16.13", "17.4", "17.9", "18.3"],
      added: ["16.12", "17.8"],
      // The catalog records the newer table (17.9, 17.10 targets) than this response.
      upgradePathsNotOffered: expect.arrayContaining(["16.8 -> 17.4", "16.8 -> 17.9", "16.8 -> 18.3", "17.7 -> 18.4"]),
    });
    // The catalog records 16.x sources only; AWS's answer shows what to add, e.g. 15.10 -> 16.8.
    expect(auroraPostgres!.upgradePathsMissing).toContain("15.10 -> 16.8");
    expect(auroraPostgres!.upgradePathsMissing.filter((p) => p.startsWith("16.8 "))).toEqual([]);
    expect(mysql).toEqual({
      engine: "mysql",
      retired: ["8.0.40", "8.0.41", "8.0.42", "8.0.43", "8.0.46", "8.4.3", "8.4.4", "8.4.10", "8.4.11"],
      added: [],
      // 8.0.44 -> 8.4.7/8.4.8 and 8.0.45 -> 8.4.8 agree with the catalog's pairing; "8.4" alone is not compared.
      upgradePathsMissing: [],
      upgradePathsNotOffered: ["8.0.44 -> 8.4.10", "8.0.44 -> 8.4.11", "8.0.45 -> 8.4.10", "8.0.45 -> 8.4.11"],
    });
  });

  it("prints the report and exits 1 when the catalog differs", async () => {
    const lines: string[] = [];
    expect(await runScript(() => runCatalogCommand(["--check", "--from-file", RECORDED], { print: (l) => lines.push(l) }))).toBe(EXIT.unexpected);
    const report = lines.join("\n").split("\n");
    expect(report).toContain("  new (offered by AWS, not in the catalog): 16.12, 17.8");
    expect(report.slice(-3, -1)).toEqual(["mysql:", "  retired (in the catalog, not offered by AWS): 8.0.40, 8.0.41, 8.0.42, 8.0.43, 8.0.46, 8.4.3, 8.4.4, 8.4.10, 8.4.11"]);
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
