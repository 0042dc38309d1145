import type { CatalogPart } from "./lifecycle.ts";

/**
 * Runtimes dbstack's clients run on: Lambda's managed Node.js runtimes with the dates AWS blocks creating
 * and updating functions on them, Node.js end-of-life dates, and the CodeBuild images with the Node.js
 * versions each provides.
 */
export const RUNTIMES_CATALOG: CatalogPart = {
  name: "Lambda and CodeBuild runtimes",
  asOf: "2026-11-23",
  sources: [
    "AWS Lambda Developer Guide — Building Lambda functions with Node.js / TypeScript: supported Node.js runtimes table (Deprecation, Block function create, Block function update)",
    "aws/aws-codebuild-docker-images — al/x86_64/standard/5.0 and 6.0, ubuntu/standard/8.0, al2/x86_64/standard/4.0 runtimes.yml (Node.js versions per image)",
    "Node.js release schedule (nodejs.org, Previous Releases; github.com/nodejs/Release): end-of-life dates",
    "hashicorp/aws 5.100.0 aws_lambda_function: runtime values the provider accepts (not re-checked: @cdktf/provider-aws 20.1.0 types `runtime` as a plain string)",
  ],
};

export interface LambdaRuntime {
  /** Deprecation: no more security patches or support. */
  readonly deprecated: string;
  /** From this day Lambda refuses to create functions on the runtime: dbstack refuses it. */
  readonly blockCreate: string;
  /** From this day Lambda refuses to update functions on the runtime. */
  readonly blockUpdate: string;
  /** Dates that follow the pattern of earlier Node.js runtimes rather than the published table. */
  readonly estimated?: true;
  /** hashicorp/aws 5.100.0 validates `runtime` against its own list; false when that list lacks it. */
  readonly provider: boolean;
}

export const LAMBDA_RUNTIMES: Readonly<Record<string, LambdaRuntime>> = {
  // Only the deprecation day is sourced (third-party notes quoting the Lambda guide).
  "nodejs18.x": { deprecated: "2025-09-01", blockCreate: "2026-02-03", blockUpdate: "2026-03-09", estimated: true, provider: true },
  "nodejs20.x": { deprecated: "2026-04-30", blockCreate: "2026-08-31", blockUpdate: "2026-09-30", provider: true },
  // AWS moved nodejs20.x's block dates later once; it may do so again, but these are the published ones.
  "nodejs22.x": { deprecated: "2027-04-30", blockCreate: "2027-06-01", blockUpdate: "2027-07-01", provider: true },
  "nodejs24.x": { deprecated: "2028-04-30", blockCreate: "2028-06-01", blockUpdate: "2028-07-01", provider: false },
};

/** End of life of each Node.js major (security fixes stop); CodeBuild removes such versions from its images. */
export const NODEJS_END_OF_LIFE: Readonly<Record<number, string>> = {
  18: "2025-04-30",
  20: "2026-04-30",
  22: "2027-04-30",
  24: "2028-04-30",
};

/** Node.js majors of amazonlinux-x86_64-standard:5.0 (al/x86_64/standard/5.0/runtimes.yml). */
const AL2023_STANDARD_5_NODEJS = [18, 20, 22, 24];

/** CodeBuild's curated x86_64 Linux images (environment type LINUX_CONTAINER) and their Node.js majors. */
export const CODEBUILD_IMAGES: Readonly<Record<string, { readonly os: string; readonly nodejs: readonly number[] }>> = {
  "aws/codebuild/amazonlinux-x86_64-standard:6.0": { os: "Amazon Linux 2023", nodejs: [22, 24] },
  "aws/codebuild/amazonlinux-x86_64-standard:5.0": { os: "Amazon Linux 2023", nodejs: AL2023_STANDARD_5_NODEJS },
  // The same image under its former name (not re-checked).
  "aws/codebuild/amazonlinux2-x86_64-standard:5.0": { os: "Amazon Linux 2023 (former name)", nodejs: AL2023_STANDARD_5_NODEJS },
  // al2/x86_64/standard/4.0 (there is no amazonlinux-x86_64-standard:4.0). One stored copy of its
  // runtimes.yml lists Node.js 16; 18 is unconfirmed. Neither is the 22 the migration buildspec needs.
  "aws/codebuild/amazonlinux2-x86_64-standard:4.0": { os: "Amazon Linux 2", nodejs: [16, 18] },
  "aws/codebuild/standard:8.0": { os: "Ubuntu", nodejs: [22, 24] },
  // Not re-checked: the stored copies of ubuntu/standard/7.0 and 6.0 were old.
  "aws/codebuild/standard:7.0": { os: "Ubuntu 22.04", nodejs: [18, 20, 22] },
  "aws/codebuild/standard:6.0": { os: "Ubuntu 22.04", nodejs: [16, 18] },
};
