import { customerManagedKey } from "../attributes.ts";
import { NOT_APPLICABLE, type Rule } from "../types.ts";

/** Build output is encrypted with a customer managed key. */
export const codebuildCmk: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_codebuild_project") return NOT_APPLICABLE;
  return customerManagedKey(a.encryption_key, "build output");
};
