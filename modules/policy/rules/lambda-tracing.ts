import { block } from "../attributes.ts";
import { COMPLIANT, NOT_APPLICABLE, fail, type Rule } from "../types.ts";

/** X-Ray tracing is active. */
export const lambdaTracing: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_lambda_function") return NOT_APPLICABLE;
  return block(a.tracing_config)?.mode === "Active" ? COMPLIANT : fail("tracing_config.mode is not Active");
};
