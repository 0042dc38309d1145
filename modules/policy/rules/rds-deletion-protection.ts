import { COMPLIANT, NOT_APPLICABLE, fail, type Rule } from "../types.ts";

/** Deletion protection is on. */
export const rdsDeletionProtection: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_rds_cluster" && type !== "aws_db_instance") return NOT_APPLICABLE;
  return a.deletion_protection === true ? COMPLIANT : fail("deletion_protection is not true");
};
