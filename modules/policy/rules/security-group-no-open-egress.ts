import { COMPLIANT, NOT_APPLICABLE, fail, type Rule } from "../types.ts";

const OPEN = ["0.0.0.0/0", "::/0"];

/** No all-protocol, all-port egress to the internet (seed articles' default); open only what is needed. */
export const securityGroupNoOpenEgress: Rule = ({ type, attributes: a }) => {
  if (type === "aws_vpc_security_group_egress_rule") {
    const everywhere = OPEN.includes(String(a.cidr_ipv4)) || OPEN.includes(String(a.cidr_ipv6));
    return everywhere && String(a.ip_protocol) === "-1" ? fail("all traffic to the internet") : COMPLIANT;
  }
  if (type === "aws_security_group") {
    const egress = (Array.isArray(a.egress) ? a.egress : []) as { protocol?: string; cidr_blocks?: string[] }[];
    return egress.some((r) => r.protocol === "-1" && (r.cidr_blocks ?? []).some((c) => OPEN.includes(c))) ? fail("an inline egress rule allows all traffic to the internet") : COMPLIANT;
  }
  return NOT_APPLICABLE;
};
