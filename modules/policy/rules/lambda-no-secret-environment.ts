import { block, isSecretLike } from "../attributes.ts";
import { COMPLIANT, NOT_APPLICABLE, fail, type Rule } from "../types.ts";

/** No secret-looking names among a function's environment variables. */
export const lambdaNoSecretEnvironment: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_lambda_function") return NOT_APPLICABLE;
  const variables = (block(a.environment)?.variables ?? {}) as Record<string, unknown>;
  const names = Object.keys(variables).filter(isSecretLike);
  return names.length === 0 ? COMPLIANT : fail(`secret-looking variables ${names.join(", ")}`);
};
