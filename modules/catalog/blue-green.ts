import type { CatalogPart } from "./lifecycle.ts";

/**
 * What AWS says a blue/green deployment cannot be used with, where a dbstack database is affected. The config
 * validation refuses `database.blueGreenUpdate` (the provider's blue_green_update on RDS instances) while a
 * limitation that applies to dbstack is listed; when AWS lifts one, set `appliesToDbstack` to false (or
 * remove the row) with the date and page read. `npm run blue-green` (Aurora clusters and RDS instances) does
 * not read this table: it works around the master-password limitation by handing the password off for the
 * run and back after it (--release-managed-master-password), which the provider's flow cannot do.
 */
export const BLUE_GREEN_CATALOG: CatalogPart = {
  name: "blue/green deployment limitations",
  asOf: "2026-12-06",
  sources: [
    "Amazon RDS User Guide — Limitations and considerations for Amazon RDS blue/green deployments: General limitations (blue-green-deployments-considerations.html)",
    "Amazon Aurora User Guide — Limitations and considerations for Amazon Aurora blue/green deployments; Password management with Amazon Aurora and AWS Secrets Manager: Limitations",
    "Amazon RDS User Guide — Using RDS Proxy with Blue/Green Deployments (rds-proxy-blue-green.html): supported for RDS for PostgreSQL, RDS for MySQL and Aurora; the database must already be a proxy target",
  ],
};

export interface BlueGreenLimitation {
  readonly limitation: string;
  readonly source: string;
  /** Whether every database dbstack creates has the property the limitation excludes. */
  readonly appliesToDbstack: boolean;
  /** Why it applies, or what would have to change. */
  readonly why: string;
}

export const BLUE_GREEN_LIMITATIONS: readonly BlueGreenLimitation[] = [
  {
    limitation: "RDS blue/green deployments do not support master user passwords managed with AWS Secrets Manager",
    source: "Amazon RDS User Guide, Limitations for blue/green deployments, read 2026-12-06",
    appliesToDbstack: true,
    why: "dbstack always lets RDS manage the master password (manage_master_user_password), so no password ever reaches config or state",
  },
];

