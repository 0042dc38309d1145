import { customerManagedKey, isSecretLike } from "../attributes.ts";
import { COMPLIANT, NOT_APPLICABLE, fail, type Rule } from "../types.ts";

/** A parameter whose name looks secret is a SecureString encrypted with a customer managed key. */
export const ssmSecureString: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_ssm_parameter") return NOT_APPLICABLE;
  const name = String(a.name ?? "");
  if (!isSecretLike(name.split("/").at(-1) ?? name)) return a.type === "SecureString" ? customerManagedKey(a.key_id, "parameter") : COMPLIANT;
  if (a.type !== "SecureString") return fail(`${name} looks secret but its type is ${String(a.type)}`);
  return customerManagedKey(a.key_id, "parameter");
};
