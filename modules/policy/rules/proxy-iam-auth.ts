import { COMPLIANT, NOT_APPLICABLE, fail, type Rule } from "../types.ts";

/** Every user the proxy serves requires IAM authentication from clients. */
export const proxyIamAuth: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_db_proxy") return NOT_APPLICABLE;
  const entries = (Array.isArray(a.auth) ? a.auth : []) as { iam_auth?: string; description?: string }[];
  if (entries.length === 0) return fail("the proxy has no auth entries");
  const without = entries.filter((e) => e.iam_auth !== "REQUIRED").map((e) => e.description ?? "an entry");
  return without.length === 0 ? COMPLIANT : fail(`iam_auth is not REQUIRED for ${without.join(", ")}`);
};
