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
  asOf: "2026-12-06",
  sources: [
    "Amazon Aurora User Guide — Upgrading the PostgreSQL DB engine for Aurora PostgreSQL: Getting a list of available versions in your AWS Region " +
      "(USER_UpgradeDBInstance.PostgreSQL.UpgradeVersion.html; table of major and minor upgrade targets, copy listing 17.4–17.6)",
    "Amazon RDS User Guide — Choosing a major version for an RDS for PostgreSQL upgrade (USER_UpgradeDBInstance.PostgreSQL.MajorVersion.html; " +
      "table of upgrade targets per source version, copy listing up to 17.6 and 16.10; major targets of the 13.18–16.10 sources recorded)",
    "Amazon RDS User Guide — Major version upgrades for RDS for MySQL (USER_UpgradeDBInstance.MySQL.Major.html): in-place 5.7 -> 8.0 and 8.0 -> 8.4, one major at a time",
  ],
};
