import { containerDefinitions } from "../attributes.ts";
import { COMPLIANT, NOT_APPLICABLE, fail, unknown, type Rule } from "../types.ts";

/** Containers run with a read-only root filesystem. */
export const ecsReadonlyRoot: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_ecs_task_definition") return NOT_APPLICABLE;
  const containers = containerDefinitions(a.container_definitions);
  if (!containers) return unknown("container_definitions is not literal JSON at synth");
  const writable = containers.filter((c) => c.readonlyRootFilesystem !== true).map((c) => String(c.name));
  return writable.length === 0 ? COMPLIANT : fail(`writable root filesystem for ${writable.join(", ")}`);
};
