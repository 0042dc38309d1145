import { COMPLIANT, NOT_APPLICABLE, fail, type Rule } from "../types.ts";

/** IAM database authentication is on, so clients can use tokens instead of passwords. */
export const rdsIamAuthentication: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_rds_cluster" && type !== "aws_db_instance") return NOT_APPLICABLE;
  return a.iam_database_authentication_enabled === true ? COMPLIANT : fail("iam_database_authentication_enabled is not true");
};
