/**
 * Major version upgrades AWS performs in place, as data (sources and date: modules/catalog/upgrade-paths.ts),
 * shared by config validation and the catalog check.
 */
/** Source version (an exact minor, or a major for "every minor of it") -> target versions it may upgrade to in place. */
export type UpgradeTable = Readonly<Record<string, readonly string[]>>;

/**
 * RDS for PostgreSQL minors, by the release they came out in. AWS's table follows one rule, checked row by row
 * against the copy read (sources 13.1 to 17.11): a source upgrades to every minor of each later major released in
 * its own release or later. 18.2, 17.8, 16.12, 15.16 and 14.21 are NO_CREATE but still listed as targets.
 */
const RDS_POSTGRES_RELEASES: readonly (readonly string[])[] = [
  ["14.18", "15.13", "16.9", "17.5"], // 8 May 2025
  ["14.19", "15.14", "16.10", "17.6"], // 14 Aug 2025
  ["13.23", "14.20", "15.15", "16.11", "17.7", "18.1"], // 13 Nov 2025
  ["14.21", "15.16", "16.12", "17.8", "18.2"], // 12 Feb 2026
  ["14.22", "15.17", "16.13", "17.9", "18.3"], // 26 Feb 2026
  ["14.23", "15.18", "16.14", "17.10", "18.4"], // 14 May 2026
  ["14.24", "15.19", "16.15", "17.11", "18.6"], // 25 Aug 2026
];

/**
 * Older minors, starred in the table (no longer supported or created), and the release whose targets they share:
 * their rows list the same targets as that release's minors (13.1–13.22 as 14.19's quarter, not 14.18's).
 */
const RDS_POSTGRES_OLDER: readonly { readonly major: string; readonly minors: number; readonly release: number }[] = [
  { major: "13", minors: 22, release: 1 },
  { major: "14", minors: 17, release: 0 },
  { major: "15", minors: 12, release: 0 }, // 15.2–15.12 (15.1 was never on RDS)
  { major: "16", minors: 8, release: 0 },
  { major: "17", minors: 4, release: 0 },
];

/**
 * Per engine. Aurora MySQL has no entry: the catalog offers only Aurora MySQL version 3 (8.0-compatible), and
 * Aurora MySQL 8.4 is a separate line dbstack does not offer yet. Only major targets are listed (minor upgrades
 * within a major are not checked against a table). Targets are listed as AWS lists them, including versions the
 * engine catalog does not offer (NO_CREATE or not dated yet): config validation refuses those as versions.
 */
export const MAJOR_UPGRADE_PATHS: Readonly<Partial<Record<"aurora-postgresql" | "aurora-mysql" | "postgres" | "mysql", UpgradeTable>>> = {
  "aurora-postgresql": {
    // The table's rows for the 14.15–17.9 sources dbstack's catalog knows (and 16.2, 16.3), major targets only.
    // Aurora skips minors RDS has: there is no Aurora 17.8, 16.12 or 15.16. 17.7 is a target from 15.10–15.15,
    // 16.4–16.10 and 14.20, not from 14.15–14.19, 16.11 or 16.13. Every row lists 18.3 and 18.4. Not recorded: the
    // 14.6 and 13.x rows (not read), and the row printed "16.10" after 16.2, which lists 16.2 as a target (16.1).
    "14.15": ["15.10", "15.12", "15.13", "15.14", "15.15", "15.17", "15.18", "16.6", "16.8", "16.9", "16.10", "16.11", "16.13", "16.14", "17.4", "17.5", "17.6", "17.9", "17.10", "18.3", "18.4"],
    "14.17": ["15.12", "15.13", "15.14", "15.15", "15.17", "15.18", "16.8", "16.9", "16.10", "16.11", "16.13", "16.14", "17.4", "17.5", "17.6", "17.9", "17.10", "18.3", "18.4"],
    "14.18": ["15.13", "15.14", "15.15", "15.17", "15.18", "16.9", "16.10", "16.11", "16.13", "16.14", "17.5", "17.6", "17.9", "17.10", "18.3", "18.4"],
    "14.19": ["15.14", "15.15", "15.17", "15.18", "16.10", "16.11", "16.13", "16.14", "17.6", "17.9", "17.10", "18.3", "18.4"],
    "14.20": ["15.15", "15.17", "15.18", "16.11", "16.13", "16.14", "17.7", "17.9", "17.10", "18.3", "18.4"],
    "14.22": ["15.17", "15.18", "16.13", "16.14", "17.9", "17.10", "18.3", "18.4"],
    "15.8": ["16.4", "16.6", "16.8", "16.9", "16.10", "16.11", "16.13", "16.14", "17.4", "17.5", "17.6", "17.7", "17.9", "17.10", "18.3", "18.4"],
    "15.10": ["16.6", "16.8", "16.9", "16.10", "16.11", "16.13", "16.14", "17.4", "17.5", "17.6", "17.7", "17.9", "17.10", "18.3", "18.4"],
    "15.12": ["16.8", "16.9", "16.10", "16.11", "16.13", "16.14", "17.4", "17.5", "17.6", "17.7", "17.9", "17.10", "18.3", "18.4"],
    "15.13": ["16.9", "16.10", "16.11", "16.13", "16.14", "17.5", "17.6", "17.7", "17.9", "17.10", "18.3", "18.4"],
    "15.14": ["16.10", "16.11", "16.13", "16.14", "17.6", "17.7", "17.9", "17.10", "18.3", "18.4"],
    "15.15": ["16.11", "16.13", "16.14", "17.7", "17.9", "17.10", "18.3", "18.4"],
    "15.17": ["16.13", "16.14", "17.9", "17.10", "18.3", "18.4"],
    "16.2": ["17.4", "17.5", "17.6", "17.7", "17.9", "17.10", "18.3", "18.4"],
    "16.3": ["17.4", "17.5", "17.6", "17.7", "17.9", "17.10", "18.3", "18.4"],
    "16.4": ["17.4", "17.5", "17.6", "17.7", "17.9", "17.10", "18.3", "18.4"],
    "16.6": ["17.4", "17.5", "17.6", "17.7", "17.9", "17.10", "18.3", "18.4"],
    "16.8": ["17.4", "17.5", "17.6", "17.7", "17.9", "17.10", "18.3", "18.4"],
    "16.9": ["17.6", "17.7", "17.9", "17.10", "18.3", "18.4"],
    "16.10": ["17.7", "17.9", "17.10", "18.3", "18.4"],
    "16.11": ["17.9", "17.10", "18.3", "18.4"],
    "16.13": ["17.9", "17.10", "18.3", "18.4"],
    "17.4": ["18.3", "18.4"],
    "17.5": ["18.3", "18.4"],
    "17.6": ["18.3", "18.4"],
    "17.7": ["18.3", "18.4"],
    "17.9": ["18.3", "18.4"],
  },
  postgres: rdsPostgresPaths(),
  mysql: {
    // AWS publishes no table pairing 8.0 minors with 8.4 minors (the major-upgrade guide only says 8.0 -> 8.4 is
    // in place), so this pairing is dbstack's, not AWS's: 8.0.x and 8.4.y are released together each quarter
    // (8.0.40 with 8.4.3, …, 8.0.45 with 8.4.8, 8.0.46 with 8.4.9 on 8 May 2026), and a source upgrades to the 8.4
    // minors of its own quarter or later, so the target is never older than the source. 8.4.10 (7 Jul 2026) and
    // 8.4.11 (21 Aug 2026) have no 8.0 partner: 8.0 left standard support on 31 July 2026. `npm run catalog --
    // --check` shows AWS's own ValidUpgradeTarget for each version; trust that over this pairing.
    ...mysqlPaths(
      ["8.0.40", "8.0.41", "8.0.42", "8.0.43", "8.0.44", "8.0.45", "8.0.46"],
      ["8.4.3", "8.4.4", "8.4.5", "8.4.6", "8.4.7", "8.4.8", "8.4.9", "8.4.10", "8.4.11"],
    ),
  },
};

/** Each 8.0 minor -> "8.4" (RDS picks the default minor) and the 8.4 minors released with it or later. */
function mysqlPaths(sources: readonly string[], pairedTargets: readonly string[]): UpgradeTable {
  return Object.fromEntries(sources.map((source, i) => [source, ["8.4", ...pairedTargets.slice(i)]]));
}

/** The RDS for PostgreSQL table as source -> major targets, from the releases above. */
function rdsPostgresPaths(): UpgradeTable {
  const majorOf = (version: string) => Number(version.split(".")[0]);
  const targetsFrom = (release: number, sourceMajor: number) =>
    RDS_POSTGRES_RELEASES.slice(release).flat().filter((v) => majorOf(v) > sourceMajor)
      .sort((a, b) => majorOf(a) - majorOf(b) || Number(a.split(".")[1]) - Number(b.split(".")[1]));
  const table: Record<string, readonly string[]> = {};
  for (const older of RDS_POSTGRES_OLDER) {
    for (let minor = older.major === "15" ? 2 : 1; minor <= older.minors; minor++) table[`${older.major}.${minor}`] = targetsFrom(older.release, Number(older.major));
  }
  RDS_POSTGRES_RELEASES.forEach((release, i) => {
    for (const source of release) {
      const targets = targetsFrom(i, majorOf(source));
      if (targets.length > 0) table[source] = targets;
    }
  });
  return table;
}
