import { COMPLIANT, NOT_APPLICABLE, fail, type Rule } from "../types.ts";

/** Automatic minor version upgrades are a decision written down, not a provider default. */
export const rdsMinorUpgradeExplicit: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_rds_cluster_instance" && type !== "aws_db_instance") return NOT_APPLICABLE;
  return typeof a.auto_minor_version_upgrade === "boolean" ? COMPLIANT : fail("auto_minor_version_upgrade is not set explicitly");
};
