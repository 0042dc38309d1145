import { COMPLIANT, NOT_APPLICABLE, fail, type Rule } from "../types.ts";

/** Snapshots carry the database's tags (owner, cost centre, classification). */
export const rdsCopyTagsToSnapshot: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_rds_cluster" && type !== "aws_db_instance") return NOT_APPLICABLE;
  return a.copy_tags_to_snapshot === true ? COMPLIANT : fail("copy_tags_to_snapshot is not true");
};
