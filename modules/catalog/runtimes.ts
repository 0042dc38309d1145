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
    "AWS Lambda Developer Guide — Lambda runtimes: Supported runtimes, Deprecated runtimes, Runtime deprecation policy",
    "AWS CodeBuild User Guide — Docker images provided by CodeBuild; Available runtimes (runtime versions per image)",
    "Node.js release schedule (nodejs.org, Previous Releases; github.com/nodejs/Release): end-of-life dates",
    "hashicorp/aws 5.100.0 aws_lambda_function: runtime values the provider accepts",
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
  "nodejs18.x": { deprecated: "2025-09-01", blockCreate: "2026-02-03", blockUpdate: "2026-03-09", estimated: true, provider: true },
  "nodejs20.x": { deprecated: "2026-04-30", blockCreate: "2026-08-31", blockUpdate: "2026-09-30", provider: true },
  "nodejs22.x": { deprecated: "2027-04-30", blockCreate: "2027-08-31", blockUpdate: "2027-09-30", estimated: true, provider: true },
  "nodejs24.x": { deprecated: "2028-04-30", blockCreate: "2028-08-31", blockUpdate: "2028-09-30", estimated: true, provider: false },
};

/** End of life of each Node.js major (security fixes stop); CodeBuild removes such versions from its images. */
export const NODEJS_END_OF_LIFE: Readonly<Record<number, string>> = {
  18: "2025-04-30",
  20: "2026-04-30",
  22: "2027-04-30",
  24: "2028-04-30",
};

/** CodeBuild's curated x86_64 Linux images (environment type LINUX_CONTAINER) and their Node.js majors. */
export const CODEBUILD_IMAGES: Readonly<Record<string, { readonly os: string; readonly nodejs: readonly number[] }>> = {
  "aws/codebuild/amazonlinux-x86_64-standard:5.0": { os: "Amazon Linux 2023", nodejs: [18, 20, 22] },
  "aws/codebuild/amazonlinux2-x86_64-standard:5.0": { os: "Amazon Linux 2023 (former name)", nodejs: [18, 20, 22] },
  "aws/codebuild/amazonlinux-x86_64-standard:4.0": { os: "Amazon Linux 2", nodejs: [16, 18] },
  "aws/codebuild/standard:7.0": { os: "Ubuntu 22.04", nodejs: [18, 20, 22] },
  "aws/codebuild/standard:6.0": { os: "Ubuntu 22.04", nodejs: [16, 18] },
};
