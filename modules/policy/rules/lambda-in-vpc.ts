import { block } from "../attributes.ts";
import { COMPLIANT, NOT_APPLICABLE, fail, type Rule } from "../types.ts";

/** Functions run in the VPC's private subnets (where the proxy is), with security groups. */
export const lambdaInVpc: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_lambda_function") return NOT_APPLICABLE;
  const vpc = block(a.vpc_config);
  const subnets = vpc?.subnet_ids;
  const groups = vpc?.security_group_ids;
  return Array.isArray(subnets) && subnets.length > 0 && Array.isArray(groups) && groups.length > 0 ? COMPLIANT : fail("vpc_config has no subnets or security groups");
};
