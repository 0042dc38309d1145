import { COMPLIANT, NOT_APPLICABLE, fail, unknown, type Rule } from "../types.ts";

/**
 * Every application user's secret the proxy reads has a rotation schedule on a rotation function
 * (aws_secretsmanager_secret_rotation in the proxy's stack, next to the function). The master's entry is
 * RDS's managed secret, rotated by RDS: not this rule's. Like cdk-nag's AwsSolutions-SMG4 and checkov's
 * CKV2_AWS_57, judged where the schedules live.
 */
export const secretRotationScheduled: Rule = ({ type, attributes: a, stackResources }) => {
  if (type !== "aws_db_proxy") return NOT_APPLICABLE;
  const entries = (Array.isArray(a.auth) ? a.auth : []) as { secret_arn?: unknown; description?: string }[];
  const applications = entries.filter((e) => !String(e.secret_arn).includes("master_user_secret"));
  if (applications.length === 0) return NOT_APPLICABLE;
  if (!stackResources) return unknown("the proxy's stack was not given, so its rotation schedules cannot be seen");
  const schedules = Object.values(stackResources.aws_secretsmanager_secret_rotation ?? {})
    .filter((r) => typeof r.rotation_lambda_arn === "string" && r.rotation_rules !== undefined)
    .map((r) => r.secret_id);
  const missing = applications.filter((e) => !schedules.includes(e.secret_arn)).map((e) => e.description ?? String(e.secret_arn));
  return missing.length === 0 ? COMPLIANT : fail(`no rotation schedule for the secret of ${missing.join(", ")}`);
};
