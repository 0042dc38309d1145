import { customerManagedKey } from "../attributes.ts";
import { NOT_APPLICABLE, type Rule } from "../types.ts";

/** Secrets are encrypted with a customer managed key, so key policy and IAM decide who decrypts. */
export const secretCmk: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_secretsmanager_secret") return NOT_APPLICABLE;
  return customerManagedKey(a.kms_key_id, "secret");
};
