/**
 * The dated catalog: what AWS offers and until when — regions and zones, engine versions and their
 * features, Lambda and CodeBuild runtimes. Each part names its sources and the day it was checked;
 * a test fails when any part is more than a year old.
 */
import { BLUE_GREEN_CATALOG } from "./blue-green.ts";
import { ENGINE_VERSIONS_CATALOG } from "./engine-versions.ts";
import type { CatalogPart } from "./lifecycle.ts";
import { PERFORMANCE_INSIGHTS_CATALOG } from "./performance-insights.ts";
import { RDS_PROXY_CATALOG } from "./rds-proxy.ts";
import { REGIONS_CATALOG } from "./regions.ts";
import { RUNTIMES_CATALOG } from "./runtimes.ts";
import { UPGRADE_PATHS_CATALOG } from "./upgrade-paths.ts";

export * from "./blue-green.ts";
export * from "./engine-versions.ts";
export * from "./lifecycle.ts";
export * from "./performance-insights.ts";
export * from "./rds-proxy.ts";
export * from "./regions.ts";
export * from "./runtimes.ts";
export * from "./upgrade-paths.ts";

export const CATALOG_PARTS: readonly CatalogPart[] = [REGIONS_CATALOG, ENGINE_VERSIONS_CATALOG, RUNTIMES_CATALOG, UPGRADE_PATHS_CATALOG, BLUE_GREEN_CATALOG, PERFORMANCE_INSIGHTS_CATALOG, RDS_PROXY_CATALOG];
