import { customerManagedKey } from "../attributes.ts";
import { NOT_APPLICABLE, type Rule } from "../types.ts";

/** Alarm topics are encrypted with a customer managed key: messages name databases, users and failures. */
export const snsTopicCmk: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_sns_topic") return NOT_APPLICABLE;
  return customerManagedKey(a.kms_master_key_id, "the topic");
};
