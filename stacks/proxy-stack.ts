import type { Construct } from "constructs";
import { DatabaseParameters } from "../modules/parameters.ts";
import { DatabaseProxy } from "../modules/proxy.ts";
import { DatabaseRotation } from "../modules/rotation.ts";
import { DatabaseSetup } from "../modules/setup.ts";
import type { EnvironmentConfig } from "./config.ts";
import type { DatabaseStack } from "./database-stack.ts";
import { LayerStack } from "./layer-stack.ts";
import type { NetworkStack } from "./network-stack.ts";

/**
 * <env>-proxy: the RDS Proxy with its role, default target group, target and endpoints, its log group,
 * the SSM parameters that describe the path (they name the proxy endpoint, so they live with it), and the
 * setup function Terraform runs once the proxy target exists (it must run before any client layer).
 */
export class ProxyStack extends LayerStack {
  readonly proxy: DatabaseProxy;
  readonly parameters: DatabaseParameters;
  readonly setup?: DatabaseSetup;
  readonly rotation?: DatabaseRotation;

  constructor(scope: Construct, config: EnvironmentConfig, upstream: { network: NetworkStack; database: DatabaseStack }) {
    super(scope, config, "proxy");
    const { database, users, kmsKeyArn } = upstream.database;

    this.proxy = new DatabaseProxy(this, "proxy", {
      name: config.names.proxy.name,
      settings: config.proxy,
      database,
      network: upstream.network.network,
      users,
      region: config.region,
      kmsKeyArn,
    });

    this.parameters = new DatabaseParameters(this, "parameters", {
      path: config.names.parameters.path,
      host: this.proxy.endpoint,
      ...(this.proxy.readOnlyEndpoint ? { readerHost: this.proxy.readOnlyEndpoint } : {}),
      port: config.database.port,
      databaseName: config.database.databaseName,
      engine: config.database.engine,
      userSecretArns: Object.fromEntries(users.all.map((u) => [u.name, u.secretArn])),
      additional: config.parameters,
      kmsKeyArn,
    });

    const { network } = upstream.network;
    if (config.setup.enabled && network.setupSecurityGroupId) {
      this.setup = new DatabaseSetup(this, "setup", {
        settings: config.setup,
        functionName: config.names.setup!.functionName,
        account: config.account,
        region: config.region,
        network: { applicationSubnetIds: network.applicationSubnetIds, setupSecurityGroupId: network.setupSecurityGroupId },
        database,
        databaseName: config.database.databaseName,
        engine: config.database.engine,
        users,
        proxy: this.proxy,
        kmsKeyArn,
        logRetentionDays: config.setup.logRetentionDays ?? config.defaultLogRetentionDays,
      });
      this.output("setup_function_name", this.setup.functionName, "Runs the database setup on every deploy; npm run setup invokes it by hand");
      this.output("setup_input", this.setup.input, "What Terraform sends the setup function (no secret); npm run setup sends it as is");

      // The rotation function shares the setup's network path (writer, proxy, Secrets Manager) and its group.
      this.rotation = new DatabaseRotation(this, "rotation", {
        functionName: config.names.rotation!.functionName,
        account: config.account,
        region: config.region,
        partition: config.partition,
        network: { applicationSubnetIds: network.applicationSubnetIds, setupSecurityGroupId: network.setupSecurityGroupId },
        database,
        databaseName: config.database.databaseName,
        users,
        secretPrefix: config.names.secrets.prefix,
        proxy: this.proxy,
        kmsKeyArn,
        settings: config.rotation,
        logRetentionDays: config.setup.logRetentionDays ?? config.defaultLogRetentionDays,
        after: [this.setup.invocation],
      });
      this.output("rotation_function_arn", this.rotation.functionArn, "Secrets Manager's rotation function for the application users' secrets; npm run rotate starts it through RotateSecret");
      this.output("rotated_secrets", Object.fromEntries(users.all.filter((u) => this.rotation!.rotatedUsers.includes(u.name)).map((u) => [u.name, u.secretArn])), "User secrets the rotation function rotates, by user");
    }

    this.output("proxy_endpoint", this.proxy.endpoint, "Where clients connect (read/write)");
    if (this.proxy.readOnlyEndpoint) this.output("proxy_read_only_endpoint", this.proxy.readOnlyEndpoint, "Read-only proxy endpoint over the Aurora readers");
    this.output("proxy_arn", this.proxy.arn, "RDS Proxy ARN");
    this.output("proxy_name", this.proxy.name, "RDS Proxy name");
    this.output("proxy_resource_id", this.proxy.resourceId, "prx-… id used in rds-db:connect ARNs");
    this.output("master_auth", config.proxy.masterAuth, "How the master user authenticates to the proxy: iam or password");
    this.output("ssm_parameter_path", this.parameters.path, "SSM tree with the database's host, port, name, engine and user secret ARNs");
  }
}
