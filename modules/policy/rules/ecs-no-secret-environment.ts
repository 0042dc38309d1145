import { containerDefinitions, isSecretLike } from "../attributes.ts";
import { COMPLIANT, NOT_APPLICABLE, fail, unknown, type Rule } from "../types.ts";

/** No secret-looking names among a task's plain environment variables (they belong in `secrets`). */
export const ecsNoSecretEnvironment: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_ecs_task_definition") return NOT_APPLICABLE;
  const containers = containerDefinitions(a.container_definitions);
  if (!containers) return unknown("container_definitions is not literal JSON at synth");
  const names = containers.flatMap((c) => ((c.environment ?? []) as { name: string }[]).map((e) => e.name)).filter(isSecretLike);
  return names.length === 0 ? COMPLIANT : fail(`secret-looking plain variables ${names.join(", ")}`);
};
