import type { Construct } from "constructs";
import { ServiceTaskDefinition, type ServiceIdentity } from "../modules/ecs-taskdef.ts";
import type { EcsSettingsInput } from "../modules/ecs-taskdef.ts";
import type { EnvironmentConfig } from "./config.ts";
import type { DatabaseStack } from "./database-stack.ts";
import { LayerStack } from "./layer-stack.ts";

/** <env>-ecs-taskdef: the service's task definition (managed) or its template asset, and its log group. */
export class EcsTaskdefStack extends LayerStack {
  readonly service: ServiceTaskDefinition;

  constructor(scope: Construct, config: EnvironmentConfig, ecs: EcsSettingsInput, upstream: { database: DatabaseStack; identity: ServiceIdentity }) {
    super(scope, config, "ecs-taskdef");
    this.service = new ServiceTaskDefinition(this, "service", {
      settings: ecs,
      family: config.names.ecs!.family,
      region: config.region,
      identity: upstream.identity,
      kmsKeyArn: upstream.database.kmsKeyArn,
      logRetentionDays: ecs.logRetentionDays ?? config.defaultLogRetentionDays,
    });
    this.output("ecs_family", this.service.family, "Task definition family");
    this.output("ecs_log_group_name", this.service.logGroupName, "Log group of the application containers");
    if (this.service.taskDefinitionArn) this.output("ecs_task_definition_arn", this.service.taskDefinitionArn, "Task definition managed by Terraform");
    if (this.service.templatePath) this.output("ecs_task_definition_template", this.service.templatePath, "Template for register-task-definition.ts, relative to the stack directory");
  }
}
