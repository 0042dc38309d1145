import type { CatalogPart } from "./lifecycle.ts";

export * from "../../scripts/lib/catalog/upgrade-paths.ts";

/**
 * Major version upgrades AWS performs in place, as source -> targets pairs read from AWS's upgrade tables.
 * A pair not listed here is refused by config validation: either AWS refuses it (e.g. Aurora PostgreSQL
 * from a source minor older than the targets it lists), or it was not in the table read on `asOf`. Refresh
 * with `npm run catalog -- --check`, which prints each version's `ValidUpgradeTarget` entries with
 * `IsMajorVersionUpgrade` from `aws rds describe-db-engine-versions`.
 *
 * Minor upgrades within a major are not listed: RDS accepts any newer minor of the same major that it offers.
 */
export const UPGRADE_PATHS_CATALOG: CatalogPart = {
  name: "major version upgrade paths",
  asOf: "2026-12-07",
  sources: [
    "Amazon Aurora User Guide — Getting a list of available versions in your AWS Region " +
      "(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_UpgradeDBInstance.PostgreSQL.UpgradeVersion.html): " +
      "table \"Current source version | Upgrade targets\", rows 14.15–14.22, 15.8–15.17, 16.2–16.13 and 17.4–17.9 (major targets; 14.6 and 13.x rows not read); copy listing up to 18.4, 17.10, 16.14, 15.18, 14.23",
    "Amazon RDS User Guide — Choosing a major version for an RDS for PostgreSQL upgrade " +
      "(https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_UpgradeDBInstance.PostgreSQL.MajorVersion.html): " +
      "table \"Current source version | Upgrade targets\", rows 17.11 down to 13.1 (major targets recorded; 12.x and the -rds Extended Support rows not recorded); copy listing up to 18.6, 17.11 and 16.15",
    "Amazon RDS User Guide — Major version upgrades for RDS for MySQL (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_UpgradeDBInstance.MySQL.Major.html): " +
      "\"MySQL 5.7 to MySQL 8.0; MySQL 8.0 to MySQL 8.4\" in place; no table of 8.0 minor -> 8.4 minor pairs (the pairing is dbstack's, from the release calendar below)",
    "Amazon RDS User Guide — MySQL on Amazon RDS versions (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/MySQL.Concepts.VersionMgmt.html): " +
      "release calendar for RDS for MySQL minor versions, 8.4.5–8.4.11 and 8.0.46 RDS release dates",
  ],
};
