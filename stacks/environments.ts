import type { EnvironmentInput } from "./config.ts";

/**
 * The environments this repository deploys. Each becomes a stack of the same name:
 * `cdktf deploy staging`. Replace the accounts, bucket and CIDRs with yours; `npm run synth` tells you,
 * all at once, everything a change gets wrong.
 */
const app = "orders";
const region = "eu-west-1";
const stateBackend = { type: "s3", bucket: "orders-terraform-state", keyPrefix: "dbstack", region } as const;

export const environments: EnvironmentInput[] = [
  {
    app,
    name: "dev",
    production: false,
    account: "111111111111",
    region,
    availabilityZones: ["eu-west-1a", "eu-west-1b"],
    tags: { CostCenter: "engineering" },
    stateBackend,
    network: {
      mode: "create",
      vpcCidr: "10.10.0.0/16",
      applicationSubnetCidrs: ["10.10.0.0/20", "10.10.16.0/20"],
      databaseSubnetCidrs: ["10.10.128.0/24", "10.10.129.0/24"],
      egress: { type: "nat", gateways: "single", publicSubnetCidrs: ["10.10.240.0/24", "10.10.241.0/24"] },
    },
    database: {
      engine: "aurora-postgresql",
      engineVersion: "16.6",
      serverless: { minCapacity: 0.5, maxCapacity: 2 },
      databaseName: "orders",
      // Dev databases are disposable: relaxed on purpose, and only here.
      deletionProtection: false,
      skipFinalSnapshot: true,
    },
    users: {
      app: { auth: "iam", privileges: "readwrite" },
      migrator: { auth: "iam", privileges: "owner" },
      // A password user, for tools that cannot sign IAM tokens.
      reporting: { auth: "password", privileges: "readonly" },
    },
    proxy: { debugLogging: true },
  },
  {
    app,
    name: "staging",
    production: false,
    account: "222222222222",
    region,
    availabilityZones: ["eu-west-1a", "eu-west-1b"],
    tags: { CostCenter: "engineering" },
    stateBackend,
    network: {
      mode: "create",
      vpcCidr: "10.20.0.0/16",
      applicationSubnetCidrs: ["10.20.0.0/20", "10.20.16.0/20"],
      databaseSubnetCidrs: ["10.20.128.0/24", "10.20.129.0/24"],
      egress: { type: "endpoints" },
    },
    database: {
      engine: "aurora-postgresql",
      engineVersion: "16.6",
      instanceClass: "db.t4g.medium",
      readers: 1,
      databaseName: "orders",
      backupRetentionDays: 7,
    },
    users: {
      app: { auth: "iam", privileges: "readwrite" },
      migrator: { auth: "iam", privileges: "owner" },
    },
  },
  {
    app,
    name: "prod",
    production: true,
    account: "333333333333",
    region,
    availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
    tags: { CostCenter: "orders", DataClassification: "confidential" },
    stateBackend,
    network: {
      mode: "create",
      vpcCidr: "10.30.0.0/16",
      applicationSubnetCidrs: ["10.30.0.0/20", "10.30.16.0/20", "10.30.32.0/20"],
      databaseSubnetCidrs: ["10.30.128.0/24", "10.30.129.0/24", "10.30.130.0/24"],
      egress: { type: "nat", gateways: "per-az", publicSubnetCidrs: ["10.30.240.0/24", "10.30.241.0/24", "10.30.242.0/24"] },
    },
    database: {
      engine: "aurora-postgresql",
      engineVersion: "16.6",
      instanceClass: "db.r6g.large",
      readers: 2,
      databaseName: "orders",
      backupRetentionDays: 35,
      monitoringIntervalSeconds: 15,
      performanceInsights: { retentionDays: 31 },
    },
    users: {
      app: { auth: "iam", privileges: "readwrite" },
      migrator: { auth: "iam", privileges: "owner" },
      analytics: { auth: "iam", privileges: "readonly" },
    },
    proxy: { idleClientTimeoutSeconds: 900, pool: { maxConnectionsPercent: 90, maxIdleConnectionsPercent: 30, borrowTimeoutSeconds: 30 } },
  },
];
