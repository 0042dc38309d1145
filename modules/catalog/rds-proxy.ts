import type { CatalogPart } from "./lifecycle.ts";
import type { Minimums } from "./engine-versions.ts";

/**
 * The engine versions RDS Proxy supports. dbstack always puts an RDS Proxy in front of the database, so a
 * version the proxy cannot front is refused, for a new database and as an upgrade target alike.
 */
export const RDS_PROXY_CATALOG: CatalogPart = {
  name: "RDS Proxy engine support",
  asOf: "2026-12-06",
  sources: [
    "Amazon Aurora User Guide — Supported Regions and Aurora DB engines for Amazon RDS Proxy (Concepts.Aurora_Fea_Regions_DB-eng.Feature.RDS_Proxy.html): " +
      "Amazon RDS Proxy with Aurora MySQL, Aurora MySQL version 3 column (\"Version 3.01.0 and higher\"; a few Regions, e.g. Asia Pacific (New Zealand), list RDS Proxy as not available: Regions are not modelled here)",
    "Amazon RDS User Guide — Supported Regions and DB engines for Amazon RDS Proxy (Concepts.RDS_Fea_Regions_DB-eng.Feature.RDSProxy.html): " +
      "its RDS for PostgreSQL and RDS for MySQL tables were not read (the copies available stopped before them)",
  ],
};

/**
 * Per engine, the least version of each major RDS Proxy fronts; a major not listed is refused. `undefined`:
 * the table was not read, so the engine is not checked — the proxy is then the first to refuse a version it
 * cannot front (CreateDBProxy / RegisterDBProxyTargets fail during the apply).
 */
export const RDS_PROXY_MINIMUMS: Readonly<Record<"aurora-postgresql" | "aurora-mysql" | "postgres" | "mysql", Minimums | undefined>> = {
  // Not read: the copy of the Aurora page stopped inside the Aurora MySQL table, before Aurora PostgreSQL.
  "aurora-postgresql": undefined,
  // Aurora MySQL version 2 ("2.07 and 2.11 and higher") is not offered by dbstack.
  "aurora-mysql": { "3": "3.01.0" },
  // Not read: the copy of the RDS page stopped inside the RDS for MariaDB table.
  postgres: undefined,
  mysql: undefined,
};
