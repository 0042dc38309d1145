import { COMPLIANT, NOT_APPLICABLE, fail, type Rule } from "../types.ts";

/** Database instances have no public address. */
export const rdsNotPublic: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_rds_cluster_instance" && type !== "aws_db_instance") return NOT_APPLICABLE;
  return a.publicly_accessible === true ? fail("publicly_accessible is true") : COMPLIANT;
};
