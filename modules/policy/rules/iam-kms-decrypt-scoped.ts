import { asList, policyStatements } from "../attributes.ts";
import { COMPLIANT, NOT_APPLICABLE, fail, unknown, type Rule } from "../types.ts";

/** kms:Decrypt names its keys, or is limited to calls through a service (kms:ViaService). */
export const iamKmsDecryptScoped: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_iam_role_policy" && type !== "aws_iam_policy") return NOT_APPLICABLE;
  const statements = policyStatements(a.policy);
  if (!statements) return unknown("the policy is not literal JSON at synth");
  const decrypting = statements.filter((s) => s.Effect !== "Deny" && asList(s.Action).some((action) => action === "kms:Decrypt" || action === "kms:Decrypt*"));
  if (decrypting.length === 0) return NOT_APPLICABLE;
  const loose = decrypting.filter((s) => {
    const viaService = Object.values(s.Condition ?? {}).some((keys) => "kms:ViaService" in keys);
    const namedKeys = asList(s.Resource).every((r) => r !== "*" && !r.endsWith(":key/*"));
    return !viaService && !namedKeys;
  });
  return loose.length === 0 ? COMPLIANT : fail("kms:Decrypt on any key without a kms:ViaService condition");
};
