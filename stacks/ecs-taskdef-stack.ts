import type { Construct } from "constructs";
import { clientConstructId } from "../modules/clients.ts";
import { ServiceTaskDefinition, type EcsSettingsInput, type ServiceIdentity } from "../modules/ecs-taskdef.ts";
import type { EnvironmentConfig } from "./config.ts";
import type { DatabaseStack } from "./database-stack.ts";
import { LayerStack } from "./layer-stack.ts";

/** <env>-ecs-taskdef: each service's task definition (managed) or its template asset, and its log group. */
export class EcsTaskdefStack extends LayerStack {
  /** Each service's task definition, by service name. */
  readonly services: Readonly<Record<string, ServiceTaskDefinition>>;

  constructor(scope: Construct, config: EnvironmentConfig, services: Readonly<Record<string, EcsSettingsInput>>,
    upstream: { database: DatabaseStack; identities: Readonly<Record<string, ServiceIdentity>> }) {
    super(scope, config, "ecs-taskdef");
    this.services = Object.fromEntries(Object.entries(services).map(([name, settings]) => {
      const service = new ServiceTaskDefinition(this, clientConstructId("service", name, settings.legacyNames), {
        settings,
        family: config.names.services[name]!.family,
        region: config.region,
        identity: upstream.identities[name]!,
        kmsKeyArn: upstream.database.kmsKeyArn,
        logRetentionDays: settings.logRetentionDays ?? config.defaultLogRetentionDays,
      });
      if (settings.legacyNames) {
        // The single service's outputs of old, which CI may still read.
        this.output("ecs_family", service.family, "Task definition family");
        this.output("ecs_log_group_name", service.logGroupName, "Log group of the application containers");
        if (service.taskDefinitionArn) this.output("ecs_task_definition_arn", service.taskDefinitionArn, "Task definition managed by Terraform");
        if (service.templatePath) this.output("ecs_task_definition_template", service.templatePath, "Template for register-task-definition.ts, relative to the stack directory");
      }
      return [name, service];
    }));
    this.output("ecs_services", Object.fromEntries(Object.entries(this.services).map(([name, service]) => [name, {
      family: service.family,
      log_group_name: service.logGroupName,
      ...(service.taskDefinitionArn ? { task_definition_arn: service.taskDefinitionArn } : {}),
      ...(service.templatePath ? { task_definition_template: service.templatePath } : {}),
    }])), "Each service's family, log group and task definition (managed) or template (relative to the stack directory), by service name");
  }
}
