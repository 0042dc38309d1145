/**
 * Major version upgrades AWS performs in place, as data (sources and date: modules/catalog/upgrade-paths.ts),
 * shared by config validation and the catalog check.
 */
/** Source version (an exact minor, or a major for "every minor of it") -> target versions it may upgrade to in place. */
export type UpgradeTable = Readonly<Record<string, readonly string[]>>;

/**
 * Per engine. Aurora MySQL has no entry: the catalog offers only Aurora MySQL version 3 (8.0-compatible), and
 * Aurora MySQL 8.4 is a separate line dbstack does not offer yet. Only major targets are listed (minor upgrades
 * within a major are not checked against a table).
 */
export const MAJOR_UPGRADE_PATHS: Readonly<Partial<Record<"aurora-postgresql" | "aurora-mysql" | "postgres" | "mysql", UpgradeTable>>> = {
  "aurora-postgresql": {
    // The table's rows for 16.x sources; 17.7 (released later) was not yet in the copy read.
    "16.4": ["17.4", "17.5", "17.6"],
    "16.6": ["17.4", "17.5", "17.6"],
    "16.8": ["17.4", "17.5", "17.6"],
    "16.9": ["17.5", "17.6"],
  },
  postgres: {
    // The table's major targets for the 13.x–16.x sources dbstack's catalog knows; the copy read lists up to 17.6
    // and 16.10, so newer sources (16.11, 15.15, …) and targets (17.7, …) are not recorded yet.
    "16.10": ["17.6"],
    "16.9": ["17.5", "17.6"],
    "16.8": ["17.4", "17.5", "17.6"],
    "16.6": ["17.2", "17.4", "17.5", "17.6"],
    "15.14": ["16.10", "17.6"],
    "15.13": ["16.9", "16.10", "17.5", "17.6"],
    "15.12": ["16.8", "16.9", "16.10", "17.4", "17.5", "17.6"],
    "15.10": ["16.6", "16.8", "16.9", "16.10", "17.2", "17.4", "17.5", "17.6"],
    "14.19": ["15.14", "16.10", "17.6"],
    "14.18": ["15.13", "15.14", "16.9", "16.10", "17.5", "17.6"],
    "14.17": ["15.12", "15.13", "15.14", "16.8", "16.9", "16.10", "17.4", "17.5", "17.6"],
    "14.15": ["15.10", "15.12", "15.13", "15.14", "16.6", "16.8", "16.9", "16.10", "17.2", "17.4", "17.5", "17.6"],
    "13.22": ["14.19", "15.14", "16.10", "17.6"],
    "13.21": ["14.18", "14.19", "15.13", "15.14", "16.9", "16.10", "17.5", "17.6"],
    "13.20": ["14.17", "14.18", "14.19", "15.12", "15.13", "15.14", "16.8", "16.9", "16.10", "17.4", "17.5", "17.6"],
    "13.18": ["14.15", "14.17", "14.18", "14.19", "15.10", "15.12", "15.13", "15.14", "16.6", "16.8", "16.9", "16.10", "17.2", "17.4", "17.5", "17.6"],
  },
  mysql: {
    // 8.0.x and 8.4.y ship together each quarter (8.0.40 with 8.4.3, …, 8.0.45 with 8.4.8): a source upgrades to
    // the 8.4 minors of its own quarter or later, so the target is never older than the source. This pairing is
    // dbstack's reading, not AWS's table: the check command shows AWS's ValidUpgradeTarget for each version.
    ...mysqlPaths(["8.0.40", "8.0.41", "8.0.42", "8.0.43", "8.0.44", "8.0.45"], ["8.4.3", "8.4.4", "8.4.5", "8.4.6", "8.4.7", "8.4.8"]),
  },
};

/** Each 8.0 minor -> "8.4" (RDS picks the default minor) and the 8.4 minors released with it or later. */
function mysqlPaths(sources: readonly string[], pairedTargets: readonly string[]): UpgradeTable {
  return Object.fromEntries(sources.map((source, i) => [source, ["8.4", ...pairedTargets.slice(i)]]));
}
