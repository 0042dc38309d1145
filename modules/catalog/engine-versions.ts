import type { CatalogPart } from "./lifecycle.ts";

export * from "../../scripts/lib/catalog/engine-versions.ts";

/**
 * Engine versions AWS offers for new databases, each with its end of standard support as the release
 * calendar gives it, and the version each feature needs. After that day minor versions are no longer
 * offered, and a major version continues only under paid RDS Extended Support, which dbstack does not opt
 * into. AWS stops creating databases on a version before that day: dbstack refuses a version from
 * `creationBlockedFrom(endOfStandardSupport)` (lifecycle.ts), the 1st of the month before.
 *
 * The data is in scripts/lib/catalog/engine-versions.ts, shared with the catalog check. Every date is a
 * calendar row (copies of the pages in `sources`; the 2026-12 copies were read on `asOf`). A month-only row
 * ("September 2027") is stored as the month's last day. Long-term support (LTS) versions run to the end of
 * their major version. Rows a newer copy no longer lists (their support ended) keep the earlier copy's date.
 * Versions without a calendar row are left out (e.g. Aurora PostgreSQL 17.10, 16.14, 18.4, upgrade targets in
 * AWS's table), as are RDS for PostgreSQL versions marked NO_CREATE ("You won't be able to create new DB
 * instances using these versions"): 18.2, 17.8, 16.12, 15.16, 14.21 and older. Check new ones with
 * `aws rds describe-db-engine-versions --engine <engine> --query "DBEngineVersions[].EngineVersion"`.
 */
export const ENGINE_VERSIONS_CATALOG: CatalogPart = {
  name: "engine versions",
  asOf: "2026-12-07",
  sources: [
    "Amazon Aurora PostgreSQL Release Notes — Release calendars for Aurora PostgreSQL " +
      "(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraPostgreSQLReleaseNotes/aurorapostgresql-release-calendar.html): " +
      "\"Release calendar for Aurora PostgreSQL minor versions\", column \"Aurora end of standard support date\", rows 18.3 down to 13.9 (2026 copy with 18.3 and 17.9, without 17.10); " +
      "\"Release calendar for Aurora PostgreSQL major versions\" for PostgreSQL 18 (release 11 June 2026, end of standard support 28 February 2031); " +
      "rows 14.15, 15.8, 16.4, 16.6 from the early-2026 copy",
    "Amazon Aurora MySQL Release Notes — Release calendars for Amazon Aurora MySQL (AuroraMySQL.release-calendars.html; copy of September 2026) and Document history (3.10.4, 3.12.0)",
    "Amazon RDS for PostgreSQL Release Notes — Release calendars for Amazon RDS for PostgreSQL " +
      "(https://docs.aws.amazon.com/AmazonRDS/latest/PostgreSQLReleaseNotes/postgresql-release-calendar.html): " +
      "\"Release calendar for Amazon RDS for PostgreSQL minor versions\", column \"RDS end of standard support date\", rows 18.6 down to 14.18 (2026 copy up to 18.6), " +
      "NO_CREATE footnote (**); major versions table; rows 14.15–17.4 ending 31 May 2026 from the March 2026 copy",
    "Amazon RDS User Guide — MySQL on Amazon RDS versions (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/MySQL.Concepts.VersionMgmt.html): " +
      "release calendar for RDS for MySQL major versions (8.4 to 31 July 2029, 8.0 to 31 July 2026) and minor versions, column \"RDS end of standard support date\", " +
      "rows 8.4.11 down to 8.4.5 and 8.0.46 (2026 copy listing 8.4.11, released 21 August 2026); 8.0.40–8.0.45, 8.4.3, 8.4.4 from the early-2026 copy",
    "AWS Health notice, RDS for PostgreSQL minor versions reaching end of standard support on May 31, 2026 (no new instances from May 1, 2026)",
    "Amazon Aurora User Guide — Supported Regions and Aurora DB engines for Aurora serverless " +
      "(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.Aurora_Fea_Regions_DB-eng.Feature.ServerlessV2.html): " +
      "table \"Aurora serverless with Aurora PostgreSQL\", columns 18 (\"Version 18.3 and higher\" in every Region) to 13; How Aurora Serverless v2 works (capacity ranges per version)",
    "Amazon Aurora User Guide — Supported Regions and Aurora DB engines for Aurora I/O-Optimized (Concepts.Aurora_Fea_Regions_DB-eng.Feature.storage-type.html; Aurora PostgreSQL 18 not read)",
    "Amazon Aurora User Guide — Supported DB engines for DB instance classes (db.r8g rows not read: unverified)",
  ],
};
