/**
 * Compares the engine catalog (scripts/lib/catalog/) with what AWS reports (`aws rds
 * describe-db-engine-versions`, from the SDK or saved JSON files): versions the catalog lists that AWS no
 * longer offers, versions AWS offers that the catalog lacks, and major upgrade paths (`ValidUpgradeTarget`
 * entries with `IsMajorVersionUpgrade`) on either side only. Pure: the command below does the I/O.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { DescribeDBEngineVersionsCommand, type DBEngineVersion, type RDSClient } from "@aws-sdk/client-rds";
import { ENGINE_CATALOG } from "../catalog/engine-versions.ts";
import { MAJOR_UPGRADE_PATHS } from "../catalog/upgrade-paths.ts";
import { EXIT, ScriptError } from "../cli.ts";

export const ENGINES = ["aurora-postgresql", "aurora-mysql", "postgres", "mysql"] as const;
type Engine = (typeof ENGINES)[number];

export interface EngineDrift {
  readonly engine: Engine;
  /** In the catalog, but AWS does not list it (or lists it as deprecated): refresh its dates or drop it. */
  readonly retired: readonly string[];
  /** AWS offers it, the catalog does not list it: add it with its end of standard support from the calendar. */
  readonly added: readonly string[];
  /** Major upgrades AWS performs that the catalog's upgrade table lacks ("16.8 -> 17.7"). */
  readonly upgradePathsMissing: readonly string[];
  /** Major upgrades in the catalog's table that AWS does not list for that source. */
  readonly upgradePathsNotOffered: readonly string[];
}

/** Only what the comparison reads of each DBEngineVersion (the CLI's JSON has the same names). */
type Reported = Pick<DBEngineVersion, "Engine" | "EngineVersion" | "Status" | "ValidUpgradeTarget">;

/** The drift of each engine AWS reported on; an engine absent from `reported` is not compared. */
export function compareCatalog(reported: readonly Reported[]): EngineDrift[] {
  return ENGINES.filter((engine) => reported.some((v) => v.Engine === engine)).map((engine) => {
    const offered = reported.filter((v) => v.Engine === engine && v.Status !== "deprecated");
    const offeredVersions = new Set(offered.map((v) => v.EngineVersion!));
    const catalogVersions = ENGINE_CATALOG[engine].versions.map((row) => row.version);
    const paths = MAJOR_UPGRADE_PATHS[engine] ?? {};
    const ourPairs = new Set(Object.entries(paths).flatMap(([from, targets]) => targets.map((to) => `${from} -> ${to}`)));
    const awsPairs = new Set(offered.flatMap((v) => (v.ValidUpgradeTarget ?? []).filter((t) => t.IsMajorVersionUpgrade).map((t) => `${v.EngineVersion} -> ${t.EngineVersion}`)));
    const majorsAlone = Object.keys(ENGINE_CATALOG[engine].majors ?? {});
    const [sourceOf, targetOf] = [(pair: string) => pair.split(" -> ")[0]!, (pair: string) => pair.split(" -> ")[1]!];
    // Pairs of versions the catalog lists: a version it lacks is reported as new already.
    const listed = (pair: string) => catalogVersions.includes(sourceOf(pair)) && catalogVersions.includes(targetOf(pair));
    return {
      engine,
      retired: catalogVersions.filter((version) => !offeredVersions.has(version)).sort(byVersion),
      added: [...offeredVersions].filter((version) => !catalogVersions.includes(version)).sort(byVersion),
      upgradePathsMissing: [...awsPairs].filter((pair) => listed(pair) && !ourPairs.has(pair)).sort(byPair),
      // A target given as a major alone ("8.4": RDS picks the minor) has no row of its own in AWS's answer.
      upgradePathsNotOffered: [...ourPairs].filter((pair) => offeredVersions.has(sourceOf(pair)) && !majorsAlone.includes(targetOf(pair)) && !awsPairs.has(pair)).sort(byPair),
    };
  });
}

function byPair(a: string, b: string): number {
  const [fa, ta] = a.split(" -> ") as [string, string];
  const [fb, tb] = b.split(" -> ") as [string, string];
  return byVersion(fa, fb) || byVersion(ta, tb);
}

function byVersion(a: string, b: string): number {
  const parts = (v: string) => v.replace(/^\d+\.\d+\.mysql_aurora\./, "").split(".").map(Number);
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) if ((pa[i] ?? -1) !== (pb[i] ?? -1)) return (pa[i] ?? -1) - (pb[i] ?? -1);
  return 0;
}

export function isInSync(drift: readonly EngineDrift[]): boolean {
  return drift.every((d) => d.retired.length + d.added.length + d.upgradePathsMissing.length + d.upgradePathsNotOffered.length === 0);
}

/** The report, one block per engine. */
export function formatDrift(drift: readonly EngineDrift[]): string[] {
  const lines: string[] = [];
  for (const d of drift) {
    lines.push(`${d.engine}:`);
    const section = (title: string, items: readonly string[]) => { if (items.length) lines.push(`  ${title}: ${items.join(", ")}`); };
    section("retired (in the catalog, not offered by AWS)", d.retired);
    section("new (offered by AWS, not in the catalog)", d.added);
    section("major upgrade paths AWS offers that the catalog lacks", d.upgradePathsMissing);
    section("major upgrade paths in the catalog AWS does not list", d.upgradePathsNotOffered);
    if (lines.at(-1) === `${d.engine}:`) lines.push("  in sync");
  }
  return lines;
}

/** DescribeDBEngineVersions output (SDK or `aws rds describe-db-engine-versions`) in a file. */
export function readReported(file: string): Reported[] {
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ScriptError(EXIT.usage, `cannot read ${file} as describe-db-engine-versions JSON: ${(error as Error).message}`);
  }
  const versions = (document as { DBEngineVersions?: unknown })?.DBEngineVersions;
  if (!Array.isArray(versions)) throw new ScriptError(EXIT.usage, `${file} has no DBEngineVersions list: save the output of aws rds describe-db-engine-versions --engine <engine> --output json`);
  return versions as Reported[];
}

/** Every version of every engine from the API, page by page. */
export async function fetchReported(rds: RDSClient): Promise<Reported[]> {
  const all: Reported[] = [];
  for (const engine of ENGINES) {
    let marker: string | undefined;
    do {
      let page;
      try {
        page = await rds.send(new DescribeDBEngineVersionsCommand({ Engine: engine, IncludeAll: false, Marker: marker }));
      } catch (error) {
        throw new ScriptError(EXIT.aws, `DescribeDBEngineVersions (${engine}) failed: ${(error as Error).name}: ${(error as Error).message}; without AWS access, pass --from-file`);
      }
      all.push(...(page.DBEngineVersions ?? []));
      marker = page.Marker;
    } while (marker);
  }
  return all;
}

export const HELP = `usage: npm run catalog -- --check [--from-file <file> ...] [--region <region>] [--output json]

Compares the engine catalog (scripts/lib/catalog/) with what AWS offers: versions retired or new, and
major upgrade paths (ValidUpgradeTarget with IsMajorVersionUpgrade) on one side only. Reads AWS through
the SDK (credentials and a region needed), or saved output of
  aws rds describe-db-engine-versions --engine <engine> --output json > <engine>.json

  --check               compare (the only action)
  --from-file <file>    saved describe-db-engine-versions output; repeat for several engines
  --region <region>     AWS region for the SDK (default AWS_REGION)
  --output <format>     text (default) or json
  -h, --help

Exit codes:
  0  the catalog matches what AWS reports
  1  it differs (the report says how), or an unexpected error
  2  usage: bad flags, an unreadable file
  5  an AWS API call failed (DescribeDBEngineVersions)`;

export interface CatalogCommandDeps {
  readonly rds?: (region: string) => RDSClient;
  readonly print?: (line: string) => void;
}

/** The whole command behind scripts/catalog.ts. */
export async function runCatalogCommand(argv: readonly string[], deps: CatalogCommandDeps = {}): Promise<number> {
  const print = deps.print ?? ((line: string) => console.log(line));
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], strict: true, options: {
      check: { type: "boolean", default: false }, "from-file": { type: "string", multiple: true, default: [] }, region: { type: "string" },
      output: { type: "string", default: "text" }, help: { type: "boolean", short: "h", default: false },
    } }));
  } catch (error) {
    throw new ScriptError(EXIT.usage, `${(error as Error).message}\n\n${HELP}`);
  }
  if (values.help) {
    print(HELP);
    return EXIT.ok;
  }
  if (!values.check) throw new ScriptError(EXIT.usage, `nothing to do: pass --check\n\n${HELP}`);
  if (values.output !== "text" && values.output !== "json") throw new ScriptError(EXIT.usage, `--output must be text or json, not ${values.output}`);
  let reported: Reported[];
  if (values["from-file"].length > 0) reported = values["from-file"].flatMap(readReported);
  else {
    const region = values.region ?? process.env.AWS_REGION;
    if (!region) throw new ScriptError(EXIT.usage, "--region or AWS_REGION is required to ask AWS (or pass --from-file)");
    const rds = deps.rds ? deps.rds(region) : new (await import("@aws-sdk/client-rds")).RDSClient({ region });
    try {
      reported = await fetchReported(rds);
    } finally {
      rds.destroy();
    }
  }
  const drift = compareCatalog(reported);
  if (drift.length === 0) throw new ScriptError(EXIT.usage, `no versions of ${ENGINES.join(", ")} in what AWS reported`);
  print(values.output === "json" ? JSON.stringify(drift, null, 2) : formatDrift(drift).join("\n"));
  return isInSync(drift) ? EXIT.ok : EXIT.unexpected;
}
