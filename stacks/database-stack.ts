import { Construct, type IConstruct } from "constructs";
import { Annotations, Aspects, LocalBackend, S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
import { Database } from "../modules/database.ts";
import { EnvironmentKey } from "../modules/kms.ts";
import { Network } from "../modules/network.ts";
import { DatabaseProxy } from "../modules/proxy.ts";
import { DatabaseUsers } from "../modules/users.ts";
import { LambdaClient } from "../modules/clients.ts";
import { ServiceTaskDefinition } from "../modules/ecs-taskdef.ts";
import { Migrations } from "../modules/migrations.ts";
import { DatabaseParameters } from "../modules/parameters.ts";
import { computeBudget, maxConnections, UNRESERVED_LAMBDA_CONCURRENCY, type Budget, type ClientDemand } from "../modules/budget.ts";
import { PolicyAspect } from "../modules/policy/aspect.ts";
import { suppressRule } from "../modules/policy/suppressions.ts";
import type { EnvironmentConfig } from "./config.ts";

/**
 * One environment: its provider and state backend, key, network and database. Construct ids here are a
 * public contract — renaming one replaces the resources under it — and are pinned by tests.
 */
export class DatabaseStack extends TerraformStack {
  readonly network: Network;
  readonly database: Database;
  readonly users: DatabaseUsers;
  readonly proxy: DatabaseProxy;
  readonly parameters: DatabaseParameters;
  readonly service?: ServiceTaskDefinition;
  readonly lambda?: LambdaClient;
  readonly migrations?: Migrations;
  readonly kmsKeyArn: string;
  /** Findings of the policy pack, filled in during synth. */
  readonly policy: PolicyAspect;
  readonly budget: Budget;

  constructor(scope: Construct, config: EnvironmentConfig) {
    super(scope, config.name);

    new AwsProvider(this, "aws", {
      region: config.region,
      allowedAccountIds: [config.account],
      defaultTags: [{ tags: { App: config.app, Environment: config.name, ManagedBy: "dbstack", ...config.tags } }],
    });
    this.configureBackend(config);

    this.kmsKeyArn = config.encryption.kmsKeyArn ?? new EnvironmentKey(this, "key", {
      alias: config.namePrefix,
      account: config.account,
      region: config.region,
      deletionWindowDays: config.encryption.keyDeletionWindowDays,
    }).arn;

    this.network = new Network(this, "network", {
      settings: config.network,
      namePrefix: config.namePrefix,
      region: config.region,
      availabilityZones: config.availabilityZones,
      databasePort: config.database.port,
      directDatabaseAccess: Object.values(config.users).some((u) => u.auth === "direct-iam"),
    });

    this.database = new Database(this, "database", {
      settings: config.database,
      identifier: config.namePrefix,
      region: config.region,
      availabilityZones: config.availabilityZones,
      subnetGroupName: this.network.dbSubnetGroupName,
      securityGroupId: this.network.databaseSecurityGroupId,
      kmsKeyArn: this.kmsKeyArn,
    });

    this.users = new DatabaseUsers(this, "users", {
      users: config.users,
      secretPrefix: `${config.app}/${config.name}/database`,
      engine: config.database.engine,
      masterUsername: config.database.masterUsername,
      masterSecretArn: this.database.masterSecretArn,
      masterAuth: config.proxy.masterAuth,
      kmsKeyArn: this.kmsKeyArn,
      region: config.region,
      recoveryWindowDays: config.secretRecoveryWindowDays,
    });

    this.proxy = new DatabaseProxy(this, "proxy", {
      name: config.namePrefix,
      settings: config.proxy,
      database: this.database,
      network: this.network,
      users: this.users,
      region: config.region,
      kmsKeyArn: this.kmsKeyArn,
    });

    this.parameters = new DatabaseParameters(this, "parameters", {
      path: `/${config.app}/${config.name}/database`,
      host: this.proxy.endpoint,
      ...(this.proxy.readOnlyEndpoint ? { readerHost: this.proxy.readOnlyEndpoint } : {}),
      port: config.database.port,
      databaseName: config.database.databaseName,
      engine: config.database.engine,
      userSecretArns: Object.fromEntries(this.users.all.map((u) => [u.name, u.secretArn])),
      additional: config.parameters,
      kmsKeyArn: this.kmsKeyArn,
    });

    const { ecs, lambda, migrations } = config.clients;
    const shared = { account: config.account, region: config.region, proxy: this.proxy, kmsKeyArn: this.kmsKeyArn };
    const database = { databaseName: config.database.databaseName, port: config.database.port, engineFamily: this.database.engineFamily };
    if (ecs) {
      this.service = new ServiceTaskDefinition(this, "service", {
        ...shared, settings: ecs, family: config.namePrefix, users: this.users,
        logRetentionDays: ecs.logRetentionDays ?? config.defaultLogRetentionDays,
      });
    }
    if (lambda) {
      this.lambda = new LambdaClient(this, "lambda", {
        ...shared, ...database, settings: lambda, name: `${config.namePrefix}-db-check`, network: this.network,
        logRetentionDays: lambda.logRetentionDays ?? config.defaultLogRetentionDays,
      });
    }
    if (migrations) {
      this.migrations = new Migrations(this, "migrations", {
        ...shared, ...database, settings: migrations, name: config.namePrefix, network: this.network, users: this.users,
        ...(this.service ? { ecsRoleArns: [this.service.executionRoleArn, this.service.taskRoleArn] } : {}),
        logRetentionDays: migrations.logRetentionDays ?? config.defaultLogRetentionDays,
      });
    }

    this.policy = new PolicyAspect(config.production);
    Aspects.of(this).add(this.policy);
    for (const suppression of config.policySuppressions) {
      const target = this.node.tryFindChild(suppression.construct);
      if (target) suppressRule(target as IConstruct, suppression.rule, suppression.reason);
    }
    this.budget = this.connectionBudget(config);

    this.outputs(config);
  }

  /** Supply of the proxy against what the configured clients may open at once; errors fail the synth. */
  private connectionBudget(config: EnvironmentConfig): Budget {
    const { ecs, lambda, migrations } = config.clients;
    const demand: ClientDemand[] = [];
    if (ecs) {
      const pool = ecs.connections?.poolSize ?? 10;
      const tasks = ecs.connections?.maxTasks ?? 2;
      demand.push({ client: "ecs service", connections: pool * tasks, basis: `pool ${pool} × ${tasks} tasks` });
    }
    if (lambda) {
      const concurrency = lambda.reservedConcurrency ?? UNRESERVED_LAMBDA_CONCURRENCY;
      demand.push({ client: "lambda", connections: concurrency, basis: lambda.reservedConcurrency ? `reserved concurrency ${concurrency}` : `unreserved: up to the account's ${concurrency}` });
    }
    if (migrations) demand.push({ client: "migrations", connections: 1, basis: "one job, pool of 1" });
    const max = maxConnections(config.database.engine, config.database.instanceClass, config.database.serverless?.maxCapacity, config.database.maxConnections);
    const budget = computeBudget(max, config.proxy.pool.maxConnectionsPercent, demand);
    const summary = `connection budget: demand ${budget.totalDemand} of ${budget.supply} connections (${Math.round(budget.utilisation * 100)} %; max_connections ${max.value} × ${budget.maxConnectionsPercent} %)`;
    if (budget.status === "error") Annotations.of(this.proxy).addError(`${summary} — the clients can exhaust the database: lower pool sizes, task counts or Lambda concurrency, or raise the capacity`);
    else if (budget.status === "warning") Annotations.of(this.proxy).addWarning(`${summary} — above 80 %`);
    return budget;
  }

  private configureBackend(config: EnvironmentConfig): void {
    const backend = config.stateBackend;
    if (backend.type === "local") {
      new LocalBackend(this, { path: `terraform.${config.name}.tfstate` });
      return;
    }
    new S3Backend(this, {
      bucket: backend.bucket,
      key: `${backend.keyPrefix}/${config.name}.tfstate`,
      region: backend.region,
      encrypt: true,
      kmsKeyId: backend.kmsKeyArn,
    });
    // S3-native state locking (Terraform >= 1.10); cdktf 0.21's S3Backend has no property for it.
    this.addOverride("terraform.backend.s3.use_lockfile", true);
  }

  private outputs(config: EnvironmentConfig): void {
    const output = (id: string, value: string | string[], description: string) =>
      new TerraformOutput(this, id, { value, description });
    output("vpc_id", this.network.vpcId, "VPC of the database path");
    output("application_subnet_ids", this.network.applicationSubnetIds, "Private subnets for database clients");
    output("database_subnet_ids", this.network.databaseSubnetIds, "Subnets of the database and the proxy");
    output("clients_security_group_id", this.network.clientsSecurityGroupId, "Attach to anything that connects to the database proxy");
    output("proxy_security_group_id", this.network.proxySecurityGroupId, "Security group of the RDS Proxy");
    output("database_security_group_id", this.database.securityGroupId, "Security group of the database");
    output("database_identifier", this.database.identifier, "Cluster or instance identifier");
    output("database_resource_id", this.database.resourceId, "Resource id used in rds-db:connect ARNs for direct IAM auth");
    output("database_writer_endpoint", this.database.writerEndpoint, "Writer endpoint (clients should use the proxy)");
    if (this.database.readerEndpoint) output("database_reader_endpoint", this.database.readerEndpoint, "Aurora reader endpoint");
    output("database_port", String(this.database.port), "Database port");
    output("database_engine_family", this.database.engineFamily, "POSTGRESQL or MYSQL");
    output("database_name", config.database.databaseName, "Application database the bootstrap script creates");
    output("master_secret_arn", this.database.masterSecretArn, "RDS-managed master user secret (bootstrap and administration only)");
    output("master_username", this.database.masterUsername, "Master user");
    output("master_auth", config.proxy.masterAuth, "How the master user authenticates to the proxy: iam or password");
    output("database_engine", config.database.engine, "Engine, as stored in user secrets");
    output("kms_key_arn", this.kmsKeyArn, "Customer managed key of the environment");
    output("proxy_endpoint", this.proxy.endpoint, "Where clients connect (read/write)");
    if (this.proxy.readOnlyEndpoint) output("proxy_read_only_endpoint", this.proxy.readOnlyEndpoint, "Read-only proxy endpoint over the Aurora readers");
    output("proxy_arn", this.proxy.arn, "RDS Proxy ARN");
    output("proxy_name", this.proxy.name, "RDS Proxy name");
    output("proxy_resource_id", this.proxy.resourceId, "prx-… id used in rds-db:connect ARNs");
    new TerraformOutput(this, "user_secret_arns", {
      value: Object.fromEntries(this.users.all.map((u) => [u.name, u.secretArn])),
      description: "Secret of each application user (filled by the bootstrap script)",
    });
    output("ssm_parameter_path", this.parameters.path, "SSM tree with the database's host, port, name, engine and user secret ARNs");
    if (this.service) {
      output("ecs_family", this.service.family, "Task definition family");
      output("ecs_execution_role_arn", this.service.executionRoleArn, "ECS execution role: pulls the image, writes logs, reads the user secret");
      output("ecs_task_role_arn", this.service.taskRoleArn, "ECS task role of the application");
      output("ecs_log_group_name", this.service.logGroupName, "Log group of the application containers");
      output("ecs_user_secret_arn", this.service.userSecretArn, "Secret the container's DB_* settings come from");
      if (this.service.taskDefinitionArn) output("ecs_task_definition_arn", this.service.taskDefinitionArn, "Task definition managed by Terraform");
      if (this.service.templatePath) output("ecs_task_definition_template", this.service.templatePath, "Template for register-task-definition.ts, relative to the stack directory");
    }
    if (this.lambda) output("lambda_function_name", this.lambda.functionName, "Example Lambda client");
    if (this.migrations) output("migrations_project_name", this.migrations.projectName, "CodeBuild project that runs migrations");
    if (this.migrations?.pipelineName) output("pipeline_name", this.migrations.pipelineName, "Source -> Build -> Migrate -> Deploy pipeline");
    new TerraformOutput(this, "database_users", {
      value: Object.fromEntries(this.users.all.map((u) => [u.name, { auth: u.auth, privileges: u.privileges }])),
      description: "Application users: how clients authenticate and what the bootstrap script grants",
    });
  }
}
