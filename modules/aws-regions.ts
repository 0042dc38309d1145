/** Facts derived from a region name, so no data source is needed to build ARNs and service names. */
const REGION_PATTERN = /^(?:us-gov|cn|[a-z]{2})-[a-z]+-\d$/;

export function isRegionName(value: unknown): value is string {
  return typeof value === "string" && REGION_PATTERN.test(value);
}

/** The ARN partition a region belongs to: "aws", "aws-cn" or "aws-us-gov". */
export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** The DNS suffix AWS service endpoints use in a region. */
export function dnsSuffixOf(region: string): string {
  return region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
}

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;
