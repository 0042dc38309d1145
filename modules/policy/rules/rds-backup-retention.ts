import { COMPLIANT, NOT_APPLICABLE, fail, unknown, type Rule } from "../types.ts";

/** Automated backups are kept at least 7 days. */
export const rdsBackupRetention: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_rds_cluster" && type !== "aws_db_instance") return NOT_APPLICABLE;
  const days = a.backup_retention_period;
  if (days === undefined) return fail("backup_retention_period is not set (the default is 1 day)");
  if (typeof days !== "number") return unknown(`backup_retention_period ${String(days)} cannot be checked at synth`);
  return days >= 7 ? COMPLIANT : fail(`backup_retention_period is ${days} days`);
};
