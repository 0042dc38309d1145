import { COMPLIANT, NOT_APPLICABLE, fail, type Rule } from "../types.ts";

/** RDS Proxy refuses clients that do not use TLS. */
export const proxyRequireTls: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_db_proxy") return NOT_APPLICABLE;
  return a.require_tls === true ? COMPLIANT : fail("require_tls is not true");
};
