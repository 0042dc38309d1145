import { block, isSecretLike } from "../attributes.ts";
import { COMPLIANT, NOT_APPLICABLE, fail, type Rule } from "../types.ts";

/** Secret-looking build variables come from Secrets Manager or Parameter Store, never PLAINTEXT. */
export const codebuildNoPlaintextSecrets: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_codebuild_project") return NOT_APPLICABLE;
  const variables = ((block(a.environment)?.environment_variable ?? []) as { name: string; type?: string }[]);
  const plain = variables.filter((v) => (v.type ?? "PLAINTEXT") === "PLAINTEXT" && isSecretLike(v.name)).map((v) => v.name);
  return plain.length === 0 ? COMPLIANT : fail(`PLAINTEXT secret-looking variables ${plain.join(", ")}`);
};
