import { COMPLIANT, NOT_APPLICABLE, fail, type Rule } from "../types.ts";

/** The database uses its own parameter group (where TLS is forced), not the engine default. */
export const rdsCustomParameterGroup: Rule = ({ type, attributes: a }) => {
  if (type === "aws_rds_cluster") return a.db_cluster_parameter_group_name && !String(a.db_cluster_parameter_group_name).startsWith("default.") ? COMPLIANT : fail("db_cluster_parameter_group_name is not a custom group");
  if (type === "aws_db_instance") return a.parameter_group_name && !String(a.parameter_group_name).startsWith("default.") ? COMPLIANT : fail("parameter_group_name is not a custom group");
  return NOT_APPLICABLE;
};
