import { COMPLIANT, NOT_APPLICABLE, fail, type Rule } from "../types.ts";

/** Database logs are exported to CloudWatch Logs. */
export const rdsLogExports: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_rds_cluster" && type !== "aws_db_instance") return NOT_APPLICABLE;
  const exports = a.enabled_cloudwatch_logs_exports;
  return Array.isArray(exports) && exports.length > 0 ? COMPLIANT : fail("enabled_cloudwatch_logs_exports is empty");
};
