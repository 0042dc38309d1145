import { COMPLIANT, NOT_APPLICABLE, fail, unknown, type Rule } from "../types.ts";

/** Enhanced Monitoring collects OS metrics, with a role to publish them. */
export const rdsEnhancedMonitoring: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_rds_cluster_instance" && type !== "aws_db_instance") return NOT_APPLICABLE;
  const interval = a.monitoring_interval;
  if (interval === undefined || interval === 0) return fail("monitoring_interval is 0 (Enhanced Monitoring off)");
  if (typeof interval !== "number") return unknown(`monitoring_interval ${String(interval)} cannot be checked at synth`);
  return a.monitoring_role_arn ? COMPLIANT : fail("monitoring_role_arn is not set");
};
