import type { Construct } from "constructs";
import { LambdaClientIdentity } from "../modules/clients.ts";
import { ServiceIdentity } from "../modules/ecs-taskdef.ts";
import { MigrationIdentity } from "../modules/migrations.ts";
import type { EnvironmentConfig } from "./config.ts";
import type { DatabaseStack } from "./database-stack.ts";
import { LayerStack } from "./layer-stack.ts";
import type { NetworkStack } from "./network-stack.ts";
import type { ProxyStack } from "./proxy-stack.ts";

/**
 * <env>-iam: the clients' identities and their grants (ECS execution and task roles, the Lambda client's
 * role, the migration project's role). Grants are written here, in the grantee's stack, so this layer
 * depends on the proxy and database layers and nothing upstream depends on it. Construct ids match the
 * client constructs of the later layers ("service", "lambda", "migrations"), so one policy suppression
 * covers a client's identity and its workload.
 */
export class IamStack extends LayerStack {
  readonly service?: ServiceIdentity;
  readonly lambda?: LambdaClientIdentity;
  readonly migrations?: MigrationIdentity;

  constructor(scope: Construct, config: EnvironmentConfig, upstream: { network: NetworkStack; database: DatabaseStack; proxy: ProxyStack }) {
    super(scope, config, "iam");
    const { ecs, lambda, migrations } = config.clients;
    const { proxy } = upstream.proxy;
    const { users, kmsKeyArn } = upstream.database;
    const where = { account: config.account, region: config.region };

    if (ecs) {
      this.service = new ServiceIdentity(this, "service", { ...where, settings: ecs, family: config.names.ecs!.family, proxy, users });
      this.output("ecs_execution_role_arn", this.service.executionRoleArn, "ECS execution role: pulls the image, writes logs, reads the user secret");
      this.output("ecs_task_role_arn", this.service.taskRoleArn, "ECS task role of the application");
      this.output("ecs_user_secret_arn", this.service.userSecretArn, "Secret the container's DB_* settings come from");
    }
    if (lambda) {
      this.lambda = new LambdaClientIdentity(this, "lambda", { ...where, settings: lambda, functionName: config.names.lambda!.functionName, proxy });
    }
    if (migrations) {
      this.migrations = new MigrationIdentity(this, "migrations", {
        ...where, settings: migrations, name: config.names.prefix, network: upstream.network.network, proxy, users, kmsKeyArn,
      });
    }
  }
}
