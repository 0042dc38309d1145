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
 * calendar row read on `asOf` (2026 copies of the pages in `sources`). A month-only row ("December 2026")
 * is stored as the month's last day. Long-term support (LTS) versions run to the end of
 * their major version. Versions the calendars did not list are left out, as are RDS for PostgreSQL versions
 * marked NO_CREATE ("You won't be able to create new DB instances using these versions"): 17.8, 16.12,
 * 15.16, 14.21 and older. Check new ones with
 * `aws rds describe-db-engine-versions --engine <engine> --query "DBEngineVersions[].EngineVersion"`.
 */
export const ENGINE_VERSIONS_CATALOG: CatalogPart = {
  name: "engine versions",
  asOf: "2026-11-23",
  sources: [
    "Amazon Aurora PostgreSQL Release Notes — Release calendars for Aurora PostgreSQL (aurorapostgresql-release-calendar.html; copy of early 2026)",
    "Amazon Aurora MySQL Release Notes — Release calendars for Amazon Aurora MySQL (AuroraMySQL.release-calendars.html; copy of September 2026) and Document history (3.10.4, 3.12.0)",
    "Amazon RDS for PostgreSQL Release Notes — Amazon RDS for PostgreSQL release calendar (postgresql-release-calendar.html; copy of March 2026, up to 18.3)",
    "Amazon RDS User Guide — MySQL on Amazon RDS versions: release calendars (MySQL.Concepts.VersionMgmt.html; copy of early 2026)",
    "AWS Health notice, RDS for PostgreSQL minor versions reaching end of standard support on May 31, 2026 (no new instances from May 1, 2026)",
    "Amazon Aurora User Guide — Supported Regions and Aurora DB engines for Aurora Serverless v2 (Concepts.Aurora_Fea_Regions_DB-eng.Feature.ServerlessV2.html); How Aurora Serverless v2 works (capacity ranges per version)",
    "Amazon Aurora User Guide — Supported Regions and Aurora DB engines for Aurora I/O-Optimized (Concepts.Aurora_Fea_Regions_DB-eng.Feature.storage-type.html)",
    "Amazon Aurora User Guide — Supported DB engines for DB instance classes (db.r8g rows not read: unverified)",
  ],
};
