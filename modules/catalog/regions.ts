import type { CatalogPart } from "./lifecycle.ts";

/**
 * The regions dbstack can deploy to and the letter suffixes of their Availability Zones, for the aws,
 * aws-cn and aws-us-gov partitions. Zone names map to physical zones per account ("For accounts created
 * before November 2025, in our oldest Regions, we independently map Availability Zones to codes for each AWS
 * account"), and older accounts still see letters newer ones do not (ap-northeast-1b, ca-central-1c). So each
 * region lists every letter that exists for some account: a valid zone is never refused, and a letter outside
 * the list names no zone in any account. AWS publishes zone IDs, not letters; the letters come from a third
 * party (jsonmaur/aws-regions) where noted below.
 *
 * Not listed on purpose: the isolated partitions (aws-iso*), the AWS European Sovereign Cloud (aws-eusc),
 * Local Zones and Wavelength Zones (RDS subnet groups need regular Availability Zones).
 */
export const REGIONS_CATALOG: CatalogPart = {
  name: "regions and Availability Zones",
  asOf: "2026-11-23",
  sources: [
    "AWS General Reference — Regions and endpoints: AWS Regions (region codes per partition)",
    "AWS Global Infrastructure — AWS Availability Zones (aws-availability-zones.html): zone IDs, and per-account mapping of zone codes for accounts created before November 2025",
    "jsonmaur/aws-regions README (third party): zone letters per region, e.g. ap-northeast-1 a–d, ca-central-1 a–d",
    "AWS SDK for JavaScript v3 partitions data (@aws-sdk/core 3.981.0, util-endpoints partitions.js): cross-checked by test",
  ],
};

export type Partition = "aws" | "aws-cn" | "aws-us-gov";

export interface RegionFacts {
  readonly partition: Partition;
  /** Zone letter suffixes, e.g. "abc" for eu-west-1a, eu-west-1b, eu-west-1c. */
  readonly zones: string;
}

export const REGIONS: Readonly<Record<string, RegionFacts>> = {
  // ----- aws (commercial)
  "af-south-1": { partition: "aws", zones: "abc" },
  "ap-east-1": { partition: "aws", zones: "abc" },
  "ap-east-2": { partition: "aws", zones: "abc" },
  // ap-northeast-1b exists only for older accounts (jsonmaur/aws-regions).
  "ap-northeast-1": { partition: "aws", zones: "abcd" },
  "ap-northeast-2": { partition: "aws", zones: "abcd" },
  "ap-northeast-3": { partition: "aws", zones: "abc" },
  "ap-south-1": { partition: "aws", zones: "abc" },
  "ap-south-2": { partition: "aws", zones: "abc" },
  "ap-southeast-1": { partition: "aws", zones: "abc" },
  "ap-southeast-2": { partition: "aws", zones: "abc" },
  "ap-southeast-3": { partition: "aws", zones: "abc" },
  "ap-southeast-4": { partition: "aws", zones: "abc" },
  "ap-southeast-5": { partition: "aws", zones: "abc" },
  "ap-southeast-6": { partition: "aws", zones: "abc" },
  "ap-southeast-7": { partition: "aws", zones: "abc" },
  // ca-central-1c exists only for older accounts (jsonmaur/aws-regions).
  "ca-central-1": { partition: "aws", zones: "abcd" },
  "ca-west-1": { partition: "aws", zones: "abc" },
  "eu-central-1": { partition: "aws", zones: "abc" },
  "eu-central-2": { partition: "aws", zones: "abc" },
  "eu-north-1": { partition: "aws", zones: "abc" },
  "eu-south-1": { partition: "aws", zones: "abc" },
  "eu-south-2": { partition: "aws", zones: "abc" },
  "eu-west-1": { partition: "aws", zones: "abc" },
  "eu-west-2": { partition: "aws", zones: "abc" },
  "eu-west-3": { partition: "aws", zones: "abc" },
  "il-central-1": { partition: "aws", zones: "abc" },
  "me-central-1": { partition: "aws", zones: "abc" },
  "me-south-1": { partition: "aws", zones: "abc" },
  "me-west-1": { partition: "aws", zones: "abc" },
  "mx-central-1": { partition: "aws", zones: "abc" },
  "sa-east-1": { partition: "aws", zones: "abc" },
  "sa-west-1": { partition: "aws", zones: "abc" },
  "us-east-1": { partition: "aws", zones: "abcdef" },
  "us-east-2": { partition: "aws", zones: "abc" },
  // Each account sees two of us-west-1's three zone names.
  "us-west-1": { partition: "aws", zones: "abc" },
  "us-west-2": { partition: "aws", zones: "abcd" },
  // ----- aws-cn (China)
  // Not verified against a source.
  "cn-north-1": { partition: "aws-cn", zones: "abd" },
  "cn-northwest-1": { partition: "aws-cn", zones: "abc" },
  // ----- aws-us-gov (GovCloud)
  "us-gov-east-1": { partition: "aws-us-gov", zones: "abc" },
  "us-gov-west-1": { partition: "aws-us-gov", zones: "abc" },
};
