import type { CatalogPart } from "./lifecycle.ts";
import type { Minimums } from "./engine-versions.ts";

/**
 * The engine versions RDS Proxy supports. dbstack always puts an RDS Proxy in front of the database, so a
 * version the proxy cannot front is refused, for a new database and as an upgrade target alike. Every
 * engine dbstack offers is checked: each table below was read in full on `asOf`. Regions are not modelled:
 * in Asia Pacific (New Zealand) and Asia Pacific (Taipei) every table says RDS Proxy is "Not available".
 */
export const RDS_PROXY_CATALOG: CatalogPart = {
  name: "RDS Proxy engine support",
  asOf: "2026-12-07",
  sources: [
    "Amazon Aurora User Guide — Supported Regions and Aurora DB engines for Amazon RDS Proxy " +
      "(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.Aurora_Fea_Regions_DB-eng.Feature.RDS_Proxy.html): " +
      "table \"Amazon RDS Proxy with Aurora PostgreSQL\", one row per Region, columns Aurora PostgreSQL 18 to 11 " +
      "(\"Version 18.3 and higher\", 17.4, 16.1, 15.2, 14.3, 13.4, 12.8, \"Version 11.9 and version 11.13 and higher\"); " +
      "table \"Amazon RDS Proxy with Aurora MySQL\", columns Aurora MySQL version 3 (\"Version 3.01.0 and higher\"), " +
      "Aurora MySQL version 8.4 (\"All available versions\") and version 2 (\"Version 2.07 and version 2.11 and higher\")",
    "Amazon Aurora User Guide — Supported features in Amazon Aurora by AWS Region and Aurora DB engine " +
      "(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.AuroraFeaturesRegionsDBEngines.grids.html): table conventions, " +
      "\"Version x.y and higher – The specified version and all higher minor versions of its major version are supported\"",
    "Amazon RDS User Guide — Supported Regions and DB engines for Amazon RDS Proxy " +
      "(https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.RDS_Fea_Regions_DB-eng.Feature.RDSProxy.html): " +
      "table \"RDS for PostgreSQL\", columns 18, 17, 16, 15, 14, 13, 12, 11, 10, each \"All available versions\"; " +
      "table \"RDS for MySQL\", columns 8.4, 8.0, 5.7, each \"All available versions\"",
  ],
};

/** How RDS Proxy's table reads for one engine: a least version per major, or every version of the majors listed. */
export type RdsProxySupport =
  | { readonly minimums: Minimums }
  | { readonly everyVersionOf: readonly string[] };

/** Per engine, what RDS Proxy fronts; a major the entry does not list is refused. */
export const RDS_PROXY_SUPPORT: Readonly<Record<"aurora-postgresql" | "aurora-mysql" | "postgres" | "mysql", RdsProxySupport>> = {
  "aurora-postgresql": {
    // Aurora PostgreSQL 11 ("Version 11.9 and version 11.13 and higher": 11.10–11.12 are not fronted) is not a
    // single least version and not in dbstack's version catalog, so it is left out and refused.
    minimums: { "12": "12.8", "13": "13.4", "14": "14.3", "15": "15.2", "16": "16.1", "17": "17.4", "18": "18.3" },
  },
  // Aurora MySQL version 2 ("2.07 and 2.11 and higher") and the Aurora MySQL 8.4 line ("All available
  // versions", versions written 8.4.x) are not offered by dbstack's version catalog.
  "aurora-mysql": { minimums: { "3": "3.01.0" } },
  postgres: { everyVersionOf: ["10", "11", "12", "13", "14", "15", "16", "17", "18"] },
  mysql: { everyVersionOf: ["5.7", "8.0", "8.4"] },
};
