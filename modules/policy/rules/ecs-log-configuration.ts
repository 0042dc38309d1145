import { containerDefinitions } from "../attributes.ts";
import { COMPLIANT, NOT_APPLICABLE, fail, unknown, type Rule } from "../types.ts";

/** Every container sends its logs somewhere. */
export const ecsLogConfiguration: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_ecs_task_definition") return NOT_APPLICABLE;
  const containers = containerDefinitions(a.container_definitions);
  if (!containers) return unknown("container_definitions is not literal JSON at synth");
  const silent = containers.filter((c) => !c.logConfiguration).map((c) => String(c.name));
  return silent.length === 0 ? COMPLIANT : fail(`no logConfiguration for ${silent.join(", ")}`);
};
