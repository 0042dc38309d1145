/**
 * Renders the RegisterTaskDefinition input from the template the stack wrote (template mode) and the
 * stack's outputs, with the image CI just built. Pure: no file or network access.
 */
import { RegisterTaskDefinitionCommand, UpdateServiceCommand, type ECSClient, type RegisterTaskDefinitionCommandInput } from "@aws-sdk/client-ecs";
import { EXIT, ScriptError } from "../cli.ts";
import type { Outputs } from "./stack-outputs.ts";

/** Placeholder -> the stack output that fills it. */
export const PLACEHOLDER_OUTPUTS: Readonly<Record<string, string>> = {
  execution_role_arn: "ecs_execution_role_arn",
  task_role_arn: "ecs_task_role_arn",
  user_secret_arn: "ecs_user_secret_arn",
  log_group_name: "ecs_log_group_name",
};

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

/** One service's outputs in the shape renderTaskDefinition reads, and its template's path relative to its stack directory. */
export interface ServiceOutputs {
  readonly service: string | undefined;
  readonly templatePath: string;
  readonly outputs: Outputs;
}

/**
 * Picks one service's outputs out of an environment's: `ecs_services` (ecs-taskdef layer) and
 * `ecs_service_roles` (iam layer) hold every service by name; `service` may be left out when there is
 * exactly one. Outputs of an environment deployed before services were named (only the flat `ecs_*`
 * ones) are read as its single service.
 */
export function serviceOutputs(outputs: Outputs, service?: string): ServiceOutputs {
  const services = outputs.ecs_services;
  if (!isObject(services)) {
    if (service !== undefined) throw new ScriptError(EXIT.usage, `--service ${service}: the outputs list no services by name (stack output "ecs_services" is missing); leave --service out for a single-service environment`);
    const templatePath = outputs.ecs_task_definition_template;
    if (typeof templatePath !== "string" || templatePath === "") throw new ScriptError(EXIT.usage, 'stack output "ecs_task_definition_template" is missing: is the service in template mode?');
    return { service: undefined, templatePath, outputs };
  }
  const names = Object.keys(services);
  if (service === undefined && names.length !== 1) {
    throw new ScriptError(EXIT.usage, `--service is required: the environment has ${names.length === 0 ? "no services" : `services ${names.join(", ")}`}`);
  }
  const name = service ?? names[0]!;
  const task = services[name];
  if (!isObject(task)) throw new ScriptError(EXIT.usage, `--service ${name}: no such service (the environment has ${names.join(", ") || "none"})`);
  if (typeof task.task_definition_template !== "string") {
    throw new ScriptError(EXIT.usage, `service ${name} has no task definition template: it is in managed mode, and Terraform registers its revisions`);
  }
  const roles = isObject(outputs.ecs_service_roles) ? outputs.ecs_service_roles[name] : undefined;
  if (!isObject(roles)) throw new ScriptError(EXIT.usage, `stack output "ecs_service_roles" has no roles for service ${name}: add the iam stack's outputs`);
  return {
    service: name,
    templatePath: task.task_definition_template,
    outputs: {
      ecs_execution_role_arn: roles.execution_role_arn, ecs_task_role_arn: roles.task_role_arn, ecs_user_secret_arn: roles.user_secret_arn, ecs_log_group_name: task.log_group_name,
    },
  };
}

const IMAGE = /^[a-z0-9][a-z0-9._/:-]*[a-z0-9]:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$|^[a-z0-9][a-z0-9._/:-]*@sha256:[0-9a-f]{64}$/;

export function renderTaskDefinition(template: string, outputs: Outputs, image: string): RegisterTaskDefinitionCommandInput {
  if (!IMAGE.test(image)) throw new ScriptError(EXIT.usage, `--image must be <repository>:<tag> or <repository>@sha256:<digest>, not ${JSON.stringify(image)}`);
  const values: Record<string, string> = { image };
  for (const [placeholder, output] of Object.entries(PLACEHOLDER_OUTPUTS)) {
    const value = outputs[output];
    if (typeof value !== "string" || value === "") throw new ScriptError(EXIT.usage, `stack output "${output}" (for {{${placeholder}}}) is missing`);
    values[placeholder] = value;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(template);
  } catch {
    throw new ScriptError(EXIT.usage, "the task definition template is not JSON");
  }
  // Substitute inside string values only, so no value can change the document's structure.
  const fill = (node: unknown): unknown => {
    if (typeof node === "string") {
      return node.replace(/\{\{([a-z_]+)\}\}/g, (match, name: string) => {
        if (!(name in values)) throw new ScriptError(EXIT.usage, `the template uses an unknown placeholder ${match}`);
        return values[name]!;
      });
    }
    if (Array.isArray(node)) return node.map(fill);
    if (node && typeof node === "object") return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, fill(v)]));
    return node;
  };
  const input = fill(parsed) as RegisterTaskDefinitionCommandInput;
  if (!input.family || !Array.isArray(input.containerDefinitions) || input.containerDefinitions.length === 0) {
    throw new ScriptError(EXIT.usage, "the template has no family or no container definitions");
  }
  return input;
}

/** "cluster/service" -> its parts. */
export function parseServiceRef(ref: string): { cluster: string; service: string } {
  const match = /^([A-Za-z0-9_-]{1,255})\/([A-Za-z0-9_-]{1,255})$/.exec(ref);
  if (!match) throw new ScriptError(EXIT.usage, `--update-service must be <cluster>/<service>, not ${JSON.stringify(ref)}`);
  return { cluster: match[1]!, service: match[2]! };
}

/** Registers the revision and, when asked, points the service at it; returns the revision's ARN. */
export async function registerRevision(ecs: ECSClient, input: RegisterTaskDefinitionCommandInput, service?: { cluster: string; service: string }): Promise<string> {
  const registered = await ecs.send(new RegisterTaskDefinitionCommand(input)).catch((error: Error) => {
    throw new ScriptError(EXIT.aws, `RegisterTaskDefinition failed: ${error.name}: ${error.message}`);
  });
  const arn = registered.taskDefinition?.taskDefinitionArn;
  if (!arn) throw new ScriptError(EXIT.aws, "RegisterTaskDefinition returned no ARN");
  if (service) {
    await ecs.send(new UpdateServiceCommand({ cluster: service.cluster, service: service.service, taskDefinition: arn })).catch((error: Error) => {
      throw new ScriptError(EXIT.aws, `UpdateService ${service.cluster}/${service.service} failed: ${error.name}: ${error.message} (revision ${arn} is registered)`);
    });
  }
  return arn;
}
