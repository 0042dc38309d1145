import { COMPLIANT, NOT_APPLICABLE, fail, type Rule } from "../types.ts";

/** Destroying the database leaves a final snapshot. */
export const rdsFinalSnapshot: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_rds_cluster" && type !== "aws_db_instance") return NOT_APPLICABLE;
  if (a.skip_final_snapshot === true) return fail("skip_final_snapshot is true");
  return a.final_snapshot_identifier ? COMPLIANT : fail("final_snapshot_identifier is not set");
};
