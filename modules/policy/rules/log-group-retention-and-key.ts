import { customerManagedKey } from "../attributes.ts";
import { NOT_APPLICABLE, fail, type Rule } from "../types.ts";

/** Log groups (database, proxy, clients) expire and are encrypted with a customer managed key. */
export const logGroupRetentionAndKey: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_cloudwatch_log_group") return NOT_APPLICABLE;
  if (!a.retention_in_days) return fail("retention_in_days is not set: logs are kept forever");
  return customerManagedKey(a.kms_key_id, "log group");
};
