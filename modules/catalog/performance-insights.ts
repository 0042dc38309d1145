/**
 * Where Performance Insights runs: the instance classes each engine refuses it on. RDS answers
 * `EnablePerformanceInsights` on such a class with InvalidParameterCombination at create, so the default
 * follows the class and an explicit request is refused at synth. Aurora Serverless v2 (db.serverless)
 * supports it on both Aurora engines. Performance Insights' console moved to CloudWatch Database Insights
 * (2026); the API and the `performance_insights_*` arguments stay, with the same class restrictions.
 */
import type { CatalogPart } from "./lifecycle.ts";

export const PERFORMANCE_INSIGHTS_CATALOG: CatalogPart = {
  name: "Performance Insights instance class support",
  asOf: "2026-12-06",
  sources: [
    "Amazon RDS User Guide — Amazon RDS DB engine, Region, and instance class support for Database Insights (instance class restrictions: RDS for MariaDB and MySQL; none for RDS for PostgreSQL)",
    "Amazon Aurora User Guide — Amazon Aurora DB engine, Region, and instance class support for Database Insights (Aurora MySQL: db.t2, db.t3, db.t4g.micro and db.t4g.small not supported; Aurora PostgreSQL: not applicable; Aurora Serverless v2 supported)",
  ],
};

interface Unsupported {
  /** Whole families ("db.t3" covers db.t3.medium and db.t3.large). */
  readonly families: readonly string[];
  readonly classes: readonly string[];
}

/** Per engine (the stack's engine names), the classes Performance Insights is not available on. */
export const PERFORMANCE_INSIGHTS_UNSUPPORTED: Readonly<Record<"aurora-postgresql" | "aurora-mysql" | "postgres" | "mysql", Unsupported>> = {
  "aurora-postgresql": { families: [], classes: [] },
  "aurora-mysql": { families: ["db.t2", "db.t3"], classes: ["db.t4g.micro", "db.t4g.small"] },
  postgres: { families: [], classes: [] },
  mysql: { families: [], classes: ["db.t2.micro", "db.t2.small", "db.t3.micro", "db.t3.small", "db.t4g.micro", "db.t4g.small"] },
};
