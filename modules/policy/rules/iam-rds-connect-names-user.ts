import { asList, policyStatements } from "../attributes.ts";
import { COMPLIANT, NOT_APPLICABLE, fail, unknown, type Rule } from "../types.ts";

/** rds-db:connect names one database user ("…/app"), never every user ("…/*"). */
export const iamRdsConnectNamesUser: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_iam_role_policy" && type !== "aws_iam_policy") return NOT_APPLICABLE;
  const statements = policyStatements(a.policy);
  if (!statements) return unknown("the policy is not literal JSON at synth");
  const connecting = statements.filter((s) => s.Effect !== "Deny" && asList(s.Action).includes("rds-db:connect"));
  if (connecting.length === 0) return NOT_APPLICABLE;
  const broad = connecting.flatMap((s) => asList(s.Resource)).filter((r) => r === "*" || r.endsWith("/*") || !r.includes(":dbuser:") && !r.includes("}/"));
  return broad.length === 0 ? COMPLIANT : fail(`rds-db:connect on ${broad.join(", ")}`);
};
