import { customerManagedKey } from "../attributes.ts";
import { NOT_APPLICABLE, fail, type Rule } from "../types.ts";

/** Performance Insights is on and encrypted with a customer managed key. */
export const rdsPerformanceInsights: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_rds_cluster_instance" && type !== "aws_db_instance") return NOT_APPLICABLE;
  if (a.performance_insights_enabled !== true) return fail("performance_insights_enabled is not true");
  return customerManagedKey(a.performance_insights_kms_key_id, "Performance Insights");
};
