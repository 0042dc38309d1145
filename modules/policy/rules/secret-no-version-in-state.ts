import { COMPLIANT, NOT_APPLICABLE, fail, type Rule } from "../types.ts";

/**
 * No secret value in Terraform state: a secret version's `secret_string` is stored there in plain text.
 * The write-only `secret_string_wo` (Terraform 1.11+) never is. dbstack writes values with the bootstrap
 * script instead.
 */
export const secretNoVersionInState: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_secretsmanager_secret_version") return NOT_APPLICABLE;
  if (a.secret_string === undefined && a.secret_binary === undefined) return COMPLIANT;
  const literal = typeof a.secret_string === "string" && !a.secret_string.includes("${");
  return fail(literal ? "secret_string is a literal in the configuration and the state" : "secret_string lands in Terraform state");
};
