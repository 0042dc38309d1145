import type { Construct } from "constructs";
import { Database } from "../modules/database.ts";
import { EnvironmentKey } from "../modules/kms.ts";
import { DatabaseUsers } from "../modules/users.ts";
import type { EnvironmentConfig } from "./config.ts";
import { LayerStack } from "./layer-stack.ts";
import type { NetworkStack } from "./network-stack.ts";

/**
 * <env>-database: the environment key (or the one passed in), the cluster or instance with its parameter
 * groups, log groups and monitoring role, and the users' secret containers. The key lives here, not in
 * the network layer, because the database is the first thing that needs it and the longest-lived.
 */
export class DatabaseStack extends LayerStack {
  readonly kmsKeyArn: string;
  readonly database: Database;
  readonly users: DatabaseUsers;

  constructor(scope: Construct, config: EnvironmentConfig, upstream: { network: NetworkStack }) {
    super(scope, config, "database");
    const { network } = upstream.network;

    this.kmsKeyArn = config.encryption.kmsKeyArn ?? new EnvironmentKey(this, "key", {
      alias: config.names.kms.alias,
      account: config.account,
      region: config.region,
      deletionWindowDays: config.encryption.keyDeletionWindowDays,
    }).arn;

    this.database = new Database(this, "database", {
      settings: config.database,
      identifier: config.names.database.identifier,
      region: config.region,
      availabilityZones: config.availabilityZones,
      subnetGroupName: network.dbSubnetGroupName,
      securityGroupId: network.databaseSecurityGroupId,
      kmsKeyArn: this.kmsKeyArn,
    });

    this.users = new DatabaseUsers(this, "users", {
      users: config.users,
      secretPrefix: config.names.secrets.prefix,
      engine: config.database.engine,
      masterUsername: config.database.masterUsername,
      masterSecretArn: this.database.masterSecretArn,
      masterAuth: config.proxy.masterAuth,
      kmsKeyArn: this.kmsKeyArn,
      region: config.region,
      recoveryWindowDays: config.secretRecoveryWindowDays,
    });

    this.output("database_identifier", this.database.identifier, "Cluster or instance identifier");
    this.output("database_resource_id", this.database.resourceId, "Resource id used in rds-db:connect ARNs for direct IAM auth");
    this.output("database_writer_endpoint", this.database.writerEndpoint, "Writer endpoint (clients should use the proxy)");
    if (this.database.readerEndpoint) this.output("database_reader_endpoint", this.database.readerEndpoint, "Aurora reader endpoint");
    this.output("database_port", String(this.database.port), "Database port");
    this.output("database_engine_family", this.database.engineFamily, "POSTGRESQL or MYSQL");
    this.output("database_engine", config.database.engine, "Engine, as stored in user secrets");
    this.output("database_name", config.database.databaseName, "Application database the bootstrap creates");
    this.output("master_secret_arn", this.database.masterSecretArn, "RDS-managed master user secret (bootstrap and administration only)");
    this.output("master_username", this.database.masterUsername, "Master user");
    this.output("kms_key_arn", this.kmsKeyArn, "Customer managed key of the environment");
    this.output("user_secret_arns", Object.fromEntries(this.users.all.map((u) => [u.name, u.secretArn])),
      "Secret of each application user (filled by the bootstrap)");
    this.output("database_users", Object.fromEntries(this.users.all.map((u) => [u.name, { auth: u.auth, privileges: u.privileges }])),
      "Application users: how clients authenticate and what the bootstrap grants");
  }
}
