import { COMPLIANT, NOT_APPLICABLE, fail, type Rule } from "../types.ts";

/** The ECS agent's execution role and the application's task role are different roles. */
export const ecsSeparateRoles: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_ecs_task_definition") return NOT_APPLICABLE;
  if (!a.task_role_arn) return fail("task_role_arn is not set");
  return a.execution_role_arn === a.task_role_arn ? fail("execution_role_arn and task_role_arn are the same role") : COMPLIANT;
};
