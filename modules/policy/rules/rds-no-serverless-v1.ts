import { COMPLIANT, NOT_APPLICABLE, fail, type Rule } from "../types.ts";

/** No Aurora Serverless v1: RDS Proxy cannot front it, and it is end of life. */
export const rdsNoServerlessV1: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_rds_cluster") return NOT_APPLICABLE;
  return a.engine_mode === "serverless" ? fail('engine_mode is "serverless" (Serverless v1)') : COMPLIANT;
};
