import { COMPLIANT, NOT_APPLICABLE, fail, type Rule } from "../types.ts";

/** The proxy has its own security groups, not the VPC default. */
export const proxySecurityGroups: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_db_proxy" && type !== "aws_db_proxy_endpoint") return NOT_APPLICABLE;
  const groups = a.vpc_security_group_ids;
  return Array.isArray(groups) && groups.length > 0 ? COMPLIANT : fail("vpc_security_group_ids is empty (the VPC default group would apply)");
};
