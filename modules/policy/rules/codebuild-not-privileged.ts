import { block } from "../attributes.ts";
import { COMPLIANT, NOT_APPLICABLE, fail, type Rule } from "../types.ts";

/** Builds do not run privileged (root on the build host, Docker daemon access). */
export const codebuildNotPrivileged: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_codebuild_project") return NOT_APPLICABLE;
  return block(a.environment)?.privileged_mode === true ? fail("privileged_mode is true") : COMPLIANT;
};
