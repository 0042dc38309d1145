import type { Construct } from "constructs";
import { LambdaClient } from "../modules/clients.ts";
import { Migrations } from "../modules/migrations.ts";
import type { EnvironmentConfig } from "./config.ts";
import type { DatabaseStack } from "./database-stack.ts";
import type { IamStack } from "./iam-stack.ts";
import { LayerStack } from "./layer-stack.ts";
import type { NetworkStack } from "./network-stack.ts";
import type { ProxyStack } from "./proxy-stack.ts";

/**
 * <env>-clients: the example Lambda client, the migration project and its optional pipeline. A layer of
 * its own (not part of ecs-taskdef) because these change on their own cadence and hold no task definition.
 */
export class ClientsStack extends LayerStack {
  readonly lambda?: LambdaClient;
  readonly migrations?: Migrations;

  constructor(scope: Construct, config: EnvironmentConfig, upstream: { network: NetworkStack; database: DatabaseStack; proxy: ProxyStack; iam: IamStack }) {
    super(scope, config, "clients");
    const { lambda, migrations } = config.clients;
    const { network } = upstream.network;
    const { database, users, kmsKeyArn } = upstream.database;
    const { proxy } = upstream.proxy;
    const path = { databaseName: config.database.databaseName, port: config.database.port, engineFamily: database.engineFamily, proxyEndpoint: proxy.endpoint };

    if (lambda && upstream.iam.lambda) {
      this.lambda = new LambdaClient(this, "lambda", {
        ...path, settings: lambda, name: config.names.lambda!.functionName, region: config.region, roleArn: upstream.iam.lambda.roleArn, network, kmsKeyArn,
        logRetentionDays: lambda.logRetentionDays ?? config.defaultLogRetentionDays,
      });
      this.output("lambda_function_name", this.lambda.functionName, "Example Lambda client");
    }
    if (migrations && upstream.iam.migrations) {
      const user = users.user(migrations.user);
      const service = upstream.iam.service;
      this.migrations = new Migrations(this, "migrations", {
        ...path, settings: migrations, name: config.names.prefix, account: config.account, region: config.region,
        roleArn: upstream.iam.migrations.roleArn, network, kmsKeyArn,
        user: { auth: user.auth === "iam" ? "iam" : "password", secretArn: user.secretArn },
        ...(service ? { ecsRoleArns: [service.executionRoleArn, service.taskRoleArn] } : {}),
        logRetentionDays: migrations.logRetentionDays ?? config.defaultLogRetentionDays,
      });
      this.output("migrations_project_name", this.migrations.projectName, "CodeBuild project that runs migrations");
      if (this.migrations.pipelineName) this.output("pipeline_name", this.migrations.pipelineName, "Source -> Build -> Migrate -> Deploy pipeline");
    }
  }
}
