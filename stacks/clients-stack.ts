import type { Construct } from "constructs";
import { LambdaClient, clientConstructId } from "../modules/clients.ts";
import { Migrations } from "../modules/migrations.ts";
import { pipelineServices, type EnvironmentConfig } from "./config.ts";
import type { DatabaseStack } from "./database-stack.ts";
import type { IamStack } from "./iam-stack.ts";
import { LayerStack } from "./layer-stack.ts";
import type { NetworkStack } from "./network-stack.ts";
import type { ProxyStack } from "./proxy-stack.ts";

/**
 * <env>-clients: the Lambda functions, the migration project and its optional pipeline. A layer of its own
 * (not part of ecs-taskdef) because these change on their own cadence and hold no task definition.
 */
export class ClientsStack extends LayerStack {
  /** Each function, by function name. */
  readonly functions: Readonly<Record<string, LambdaClient>>;
  readonly migrations?: Migrations;

  constructor(scope: Construct, config: EnvironmentConfig, upstream: { network: NetworkStack; database: DatabaseStack; proxy: ProxyStack; iam: IamStack }) {
    super(scope, config, "clients");
    const { functions = {}, services = {}, migrations } = config.clients;
    const { network } = upstream.network;
    const { database, users, kmsKeyArn } = upstream.database;
    const { proxy } = upstream.proxy;
    const path = { databaseName: config.database.databaseName, port: config.database.port, engineFamily: database.engineFamily, proxyEndpoint: proxy.endpoint };

    this.functions = Object.fromEntries(Object.entries(functions).map(([name, settings]) => {
      const fn = new LambdaClient(this, clientConstructId("function", name, settings.legacyNames), {
        ...path, settings, name: config.names.functions[name]!.functionName, region: config.region, roleArn: upstream.iam.functions[name]!.roleArn, network, kmsKeyArn,
        logRetentionDays: settings.logRetentionDays ?? config.defaultLogRetentionDays,
      });
      // The single function's output of old, which scripts may still read.
      if (settings.legacyNames) this.output("lambda_function_name", fn.functionName, "Example Lambda client");
      return [name, fn];
    }));
    if (Object.keys(this.functions).length > 0) {
      this.output("lambda_function_names", Object.fromEntries(Object.entries(this.functions).map(([name, fn]) => [name, fn.functionName])), "Each function's name, by client name");
    }
    if (migrations && upstream.iam.migrations) {
      const user = users.user(migrations.user);
      const deployed = pipelineServices(Object.entries(services)).map((name) => upstream.iam.services[name]!);
      this.migrations = new Migrations(this, "migrations", {
        ...path, settings: migrations, name: config.names.prefix, account: config.account, region: config.region,
        roleArn: upstream.iam.migrations.roleArn, network, kmsKeyArn,
        user: { auth: user.auth === "iam" ? "iam" : "password", secretArn: user.secretArn },
        ...(deployed.length > 0 ? { ecsRoleArns: deployed.flatMap((service) => [service.executionRoleArn, service.taskRoleArn]) } : {}),
        logRetentionDays: migrations.logRetentionDays ?? config.defaultLogRetentionDays,
      });
      this.output("migrations_project_name", this.migrations.projectName, "CodeBuild project that runs migrations");
      if (this.migrations.pipelineName) this.output("pipeline_name", this.migrations.pipelineName, "Source -> Build -> Migrate -> Deploy pipeline");
    }
  }
}
