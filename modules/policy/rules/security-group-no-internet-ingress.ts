import { COMPLIANT, NOT_APPLICABLE, fail, type Rule } from "../types.ts";

const OPEN = ["0.0.0.0/0", "::/0"];

/** No ingress from the whole internet. */
export const securityGroupNoInternetIngress: Rule = ({ type, attributes: a }) => {
  if (type === "aws_vpc_security_group_ingress_rule") {
    return OPEN.includes(String(a.cidr_ipv4)) || OPEN.includes(String(a.cidr_ipv6)) ? fail(`ingress from ${a.cidr_ipv4 ?? a.cidr_ipv6}`) : COMPLIANT;
  }
  if (type === "aws_security_group") {
    const ingress = (Array.isArray(a.ingress) ? a.ingress : []) as { cidr_blocks?: string[]; ipv6_cidr_blocks?: string[] }[];
    const open = ingress.some((r) => [...(r.cidr_blocks ?? []), ...(r.ipv6_cidr_blocks ?? [])].some((c) => OPEN.includes(c)));
    return open ? fail("an inline ingress rule is open to the internet") : COMPLIANT;
  }
  return NOT_APPLICABLE;
};
