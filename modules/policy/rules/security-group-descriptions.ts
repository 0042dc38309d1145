import { COMPLIANT, NOT_APPLICABLE, fail, type Rule } from "../types.ts";

const TYPES = ["aws_security_group", "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_security_group_rule"];

/** Security groups and their rules say what they are for. */
export const securityGroupDescriptions: Rule = ({ type, attributes: a }) => {
  if (!TYPES.includes(type)) return NOT_APPLICABLE;
  const description = typeof a.description === "string" ? a.description.trim() : "";
  if (description === "" || description === "Managed by Terraform") return fail("description is missing");
  return COMPLIANT;
};
