import { asList, policyStatements } from "../attributes.ts";
import { COMPLIANT, NOT_APPLICABLE, fail, unknown, type Rule } from "../types.ts";

/**
 * Actions IAM cannot scope to a resource, so "Resource": "*" is their only form: ECR login, X-Ray ingest,
 * EC2 describes, the network interfaces Lambda and CodeBuild create in subnets chosen at run time, and
 * task definitions registered by family.
 */
export const UNSCOPEABLE_ACTIONS = new Set([
  "ecr:GetAuthorizationToken", "xray:PutTraceSegments", "xray:PutTelemetryRecords",
  "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:AssignPrivateIpAddresses",
  "ec2:UnassignPrivateIpAddresses", "ec2:DescribeDhcpOptions", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs",
  "ecs:RegisterTaskDefinition", "ecs:DescribeTaskDefinition",
]);

/** "Resource": "*" only for actions that cannot be scoped. */
export const iamNoStarResource: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_iam_role_policy" && type !== "aws_iam_policy") return NOT_APPLICABLE;
  const statements = policyStatements(a.policy);
  if (!statements) return unknown("the policy is not literal JSON at synth");
  const scopeable = statements
    .filter((s) => s.Effect !== "Deny" && asList(s.Resource).includes("*"))
    .flatMap((s) => asList(s.Action))
    .filter((action) => !UNSCOPEABLE_ACTIONS.has(action));
  return scopeable.length === 0 ? COMPLIANT : fail(`Resource "*" for scopeable actions ${scopeable.join(", ")}`);
};
