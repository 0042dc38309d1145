import type { Construct } from "constructs";
import { LambdaClientIdentity, clientConstructId } from "../modules/clients.ts";
import { ServiceIdentity } from "../modules/ecs-taskdef.ts";
import { MigrationIdentity } from "../modules/migrations.ts";
import type { EnvironmentConfig } from "./config.ts";
import type { DatabaseStack } from "./database-stack.ts";
import { LayerStack } from "./layer-stack.ts";
import type { NetworkStack } from "./network-stack.ts";
import type { ProxyStack } from "./proxy-stack.ts";

/**
 * <env>-iam: the clients' identities and their grants (each service's execution and task roles, each
 * function's role, the migration project's role). Grants are written here, in the grantee's stack, so this
 * layer depends on the proxy and database layers and nothing upstream depends on it. Construct ids match
 * the client constructs of the later layers ("service-<name>", "function-<name>", "migrations"; "service"
 * and "lambda" for the `legacyNames` clients), so one policy suppression covers a client's identity and
 * its workload.
 */
export class IamStack extends LayerStack {
  /** Each service's roles, by service name. */
  readonly services: Readonly<Record<string, ServiceIdentity>>;
  /** Each function's role, by function name. */
  readonly functions: Readonly<Record<string, LambdaClientIdentity>>;
  readonly migrations?: MigrationIdentity;

  constructor(scope: Construct, config: EnvironmentConfig, upstream: { network: NetworkStack; database: DatabaseStack; proxy: ProxyStack }) {
    super(scope, config, "iam");
    const { services = {}, functions = {}, migrations } = config.clients;
    const { proxy } = upstream.proxy;
    const { users, kmsKeyArn } = upstream.database;
    const where = { account: config.account, region: config.region };

    this.services = Object.fromEntries(Object.entries(services).map(([name, settings]) => {
      const identity = new ServiceIdentity(this, clientConstructId("service", name, settings.legacyNames), {
        ...where, settings, family: config.names.services[name]!.family, proxy, users,
      });
      if (settings.legacyNames) {
        // The single service's outputs of old, which CI may still read.
        this.output("ecs_execution_role_arn", identity.executionRoleArn, "ECS execution role: pulls the image, writes logs, reads the user secret");
        this.output("ecs_task_role_arn", identity.taskRoleArn, "ECS task role of the application");
        this.output("ecs_user_secret_arn", identity.userSecretArn, "Secret the container's DB_* settings come from");
      }
      return [name, identity];
    }));
    if (Object.keys(this.services).length > 0) {
      this.output("ecs_service_roles", Object.fromEntries(Object.entries(this.services).map(([name, identity]) => [name, {
        execution_role_arn: identity.executionRoleArn, task_role_arn: identity.taskRoleArn, user_secret_arn: identity.userSecretArn,
      }])), "Each service's execution role, task role and user secret, by service name (register-task-definition.ts --service)");
    }
    this.functions = Object.fromEntries(Object.entries(functions).map(([name, settings]) => [name,
      new LambdaClientIdentity(this, clientConstructId("function", name, settings.legacyNames), {
        ...where, settings, functionName: config.names.functions[name]!.functionName, proxy,
      })]));
    if (migrations) {
      this.migrations = new MigrationIdentity(this, "migrations", {
        ...where, settings: migrations, name: config.names.prefix, network: upstream.network.network, proxy, users, kmsKeyArn,
      });
    }
  }
}
