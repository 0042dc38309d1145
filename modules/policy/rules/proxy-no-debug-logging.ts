import { COMPLIANT, NOT_APPLICABLE, fail, type Rule } from "../types.ts";

/** No debug logging: it writes SQL statements and results to the proxy's logs. */
export const proxyNoDebugLogging: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_db_proxy") return NOT_APPLICABLE;
  return a.debug_logging === true ? fail("debug_logging is true") : COMPLIANT;
};
