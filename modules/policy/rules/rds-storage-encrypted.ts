import { customerManagedKey } from "../attributes.ts";
import { NOT_APPLICABLE, fail, type Rule } from "../types.ts";

/** Aurora clusters and RDS instances encrypt storage with a customer managed key. */
export const rdsStorageEncrypted: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_rds_cluster" && type !== "aws_db_instance") return NOT_APPLICABLE;
  if (a.storage_encrypted !== true) return fail("storage_encrypted is not true");
  return customerManagedKey(a.kms_key_id, "storage");
};
