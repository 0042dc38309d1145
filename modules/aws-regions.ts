/** Facts derived from a region name, so no data source is needed to build ARNs and service names. */
import { REGIONS, REGIONS_CATALOG, type Partition } from "./catalog/index.ts";

const REGION_PATTERN = /^(?:us-gov|cn|[a-z]{2})-[a-z]+-\d$/;

/** Whether the value has a region's shape ("eu-west-1"); it may still name no region — see `isKnownRegion`. */
export function isRegionName(value: unknown): value is string {
  return typeof value === "string" && REGION_PATTERN.test(value);
}

/** Whether the region is one of the catalog's (aws, aws-cn and aws-us-gov partitions). */
export function isKnownRegion(value: unknown): value is string {
  return typeof value === "string" && Object.hasOwn(REGIONS, value);
}

/** What to write after "must be" for an unknown region. */
export function knownRegionsText(): string {
  return `an AWS region of the aws, aws-cn or aws-us-gov partitions (catalog of ${REGIONS_CATALOG.asOf}), such as "eu-west-1"`;
}

/**
 * Every zone name a known region has in some account, e.g. ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
 * (older accounts see letters newer ones do not); [] for an unknown one.
 */
export function zonesOf(region: string): string[] {
  return [...(REGIONS[region]?.zones ?? "")].map((letter) => `${region}${letter}`);
}

/** The ARN partition a region belongs to: "aws", "aws-cn" or "aws-us-gov". */
export function partitionOf(region: string): Partition {
  const known = REGIONS[region]?.partition;
  if (known) return known;
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** The DNS suffix AWS service endpoints use in a region. */
export function dnsSuffixOf(region: string): string {
  return partitionOf(region) === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
}

/** The parts of an ARN ("arn:<partition>:<service>:<region>:<account>:<resource>"), or undefined. */
export function parseArn(value: unknown): { partition: string; service: string; region: string; account: string; resource: string } | undefined {
  if (typeof value !== "string") return undefined;
  const m = /^arn:([a-z-]+):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|):(.+)$/.exec(value);
  return m ? { partition: m[1]!, service: m[2]!, region: m[3]!, account: m[4]!, resource: m[5]! } : undefined;
}

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const ECR_URI = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.(amazonaws\.com(?:\.cn)?)\/(.+)$/;

/**
 * What is wrong with an ECR repository URI for an environment in `region`: a region that does not exist,
 * another partition (ECS pulls across regions, never across partitions), or the wrong DNS suffix for its
 * region. Undefined for a good ECR URI and for images from other registries (nothing to check offline).
 */
export function ecrRepositoryProblem(uri: unknown, region: string): string | undefined {
  const m = typeof uri === "string" ? ECR_URI.exec(uri) : null;
  if (!m) return undefined;
  const repositoryRegion = m[2]!;
  if (!isKnownRegion(repositoryRegion)) return `names region "${repositoryRegion}", which is not ${knownRegionsText()}`;
  const expected = partitionOf(region);
  if (partitionOf(repositoryRegion) !== expected) {
    return `is in the ${partitionOf(repositoryRegion)} partition; the environment (${region}) is in ${expected}, and ECS cannot pull across partitions`;
  }
  if (m[3] !== dnsSuffixOf(repositoryRegion)) return `must end its host with ${dnsSuffixOf(repositoryRegion)} for ${repositoryRegion}`;
  return undefined;
}

/**
 * What is wrong with an ARN used by an environment in `region`: another partition (IAM and every service
 * refuse cross-partition references), or — with `sameRegion` — another region.
 */
export function arnPlacementProblem(arn: unknown, region: string, sameRegion: boolean): string | undefined {
  const parsed = parseArn(arn);
  if (!parsed) return undefined;
  const expected = partitionOf(region);
  if (parsed.partition !== expected) return `must be in the ${expected} partition of ${region} (arn:${expected}:…), not ${parsed.partition}`;
  if (!isKnownRegion(parsed.region)) return `names region "${parsed.region}", which is not ${knownRegionsText()}`;
  if (sameRegion && parsed.region !== region) return `must be in ${region}`;
  return undefined;
}
