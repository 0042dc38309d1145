import { asList, policyStatements } from "../attributes.ts";
import { COMPLIANT, NOT_APPLICABLE, fail, unknown, type Rule } from "../types.ts";

/** No wildcard actions ("*" or "service:*") in identity policies. */
export const iamNoWildcardActions: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_iam_role_policy" && type !== "aws_iam_policy") return NOT_APPLICABLE;
  const statements = policyStatements(a.policy);
  if (!statements) return unknown("the policy is not literal JSON at synth");
  const wild = statements.filter((s) => s.Effect !== "Deny").flatMap((s) => asList(s.Action)).filter((action) => action === "*" || action.endsWith(":*"));
  return wild.length === 0 ? COMPLIANT : fail(`wildcard actions ${wild.join(", ")}`);
};
