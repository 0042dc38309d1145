import type { Construct } from "constructs";
import { Network } from "../modules/network.ts";
import type { EnvironmentConfig } from "./config.ts";
import { LayerStack } from "./layer-stack.ts";

/** <env>-network: VPC, subnets, egress, the client -> proxy -> database security groups, DB subnet group. */
export class NetworkStack extends LayerStack {
  readonly network: Network;

  constructor(scope: Construct, config: EnvironmentConfig) {
    super(scope, config, "network");
    this.network = new Network(this, "network", {
      settings: config.network,
      namePrefix: config.names.prefix,
      region: config.region,
      availabilityZones: config.availabilityZones,
      databasePort: config.database.port,
      directDatabaseAccess: Object.values(config.users).some((u) => u.auth === "direct-iam"),
      setupAccess: config.setup.enabled,
    });

    this.output("vpc_id", this.network.vpcId, "VPC of the database path");
    this.output("application_subnet_ids", this.network.applicationSubnetIds, "Private subnets for database clients");
    this.output("database_subnet_ids", this.network.databaseSubnetIds, "Subnets of the database and the proxy");
    this.output("clients_security_group_id", this.network.clientsSecurityGroupId, "Attach to anything that connects to the database proxy");
    this.output("proxy_security_group_id", this.network.proxySecurityGroupId, "Security group of the RDS Proxy");
    this.output("database_security_group_id", this.network.databaseSecurityGroupId, "Security group of the database");
    if (this.network.setupSecurityGroupId) this.output("setup_security_group_id", this.network.setupSecurityGroupId, "Security group of the setup function");
  }
}
