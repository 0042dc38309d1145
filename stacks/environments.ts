import type { EnvironmentInput } from "./config.ts";

/**
 * The environments this repository deploys. Each becomes its layered stacks, `<name>-network` to
 * `<name>-clients`, deployed together with `npm run deploy -- staging` (`cdktf deploy 'staging-*'`).
 * Replace the accounts, bucket and CIDRs with yours; `npm run synth` tells you,
 * all at once, everything a change gets wrong.
 */
const app = "orders";
const region = "eu-west-1";
/**
 * Two state layouts, both in use: dev and staging keep state in a bucket of their own account (the
 * deploying credentials reach it; bucket names are global, so each carries its account id); prod keeps
 * it in the central bucket of the state account, reached by assuming a role there.
 * `npm run bootstrap-state -- <env>` creates each bucket.
 */
const accountStateBucket = (account: string) => ({ type: "s3", bucket: `orders-terraform-state-${account}`, keyPrefix: "dbstack", region }) as const;
const centralStateBucket = {
  type: "s3", bucket: "orders-terraform-state", keyPrefix: "dbstack", region,
  assumeRole: { roleArn: "arn:aws:iam::444444444444:role/orders-terraform-state", sessionName: "dbstack-prod" },
} as const;
/** Aurora PostgreSQL 16.8 is a long-term support release: standard support to 2029-02-28 (release calendar). */
const engineVersion = "16.8";

export const environments: EnvironmentInput[] = [
  {
    app,
    name: "dev",
    production: false,
    account: "111111111111",
    region,
    availabilityZones: ["eu-west-1a", "eu-west-1b"],
    tags: { CostCenter: "engineering" },
    stateBackend: accountStateBucket("111111111111"),
    network: {
      mode: "create",
      vpcCidr: "10.10.0.0/16",
      applicationSubnetCidrs: ["10.10.0.0/20", "10.10.16.0/20"],
      databaseSubnetCidrs: ["10.10.128.0/24", "10.10.129.0/24"],
      egress: { type: "nat", gateways: "single", publicSubnetCidrs: ["10.10.240.0/24", "10.10.241.0/24"] },
    },
    database: {
      engine: "aurora-postgresql",
      engineVersion,
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
    clients: {
      services: {
        // legacyNames: the single service of earlier versions, kept at its addresses and names (orders-dev).
        api: {
          legacyNames: true,
          user: "app",
          // The path check below connects as the same user, on purpose.
          sharedUser: true,
          mode: "template",
          container: {
            imageRepository: "111111111111.dkr.ecr.eu-west-1.amazonaws.com/orders",
            imageTag: "latest",
            cpu: 256,
            memory: 512,
            port: 8000,
            healthCheck: { command: "curl -fsS http://localhost:8000/health || exit 1" },
          },
        },
      },
      functions: { "db-check": { legacyNames: true, user: "app", sharedUser: true, reservedConcurrency: 5 } },
      migrations: { user: "migrator" },
    },
    // What dev relaxes, on purpose: listed in every synth and review.
    policySuppressions: [
      { rule: "DBS3", construct: "database", reason: "dev data is disposable; the cluster is recreated freely" },
      { rule: "DBS4", construct: "database", reason: "dev data is disposable; no snapshot is kept on destroy" },
      { rule: "DBS5", construct: "database", reason: "one day of point-in-time recovery is enough for dev" },
      { rule: "PRX2", construct: "proxy", reason: "the reporting tool in dev cannot sign IAM tokens and uses its password" },
      { rule: "PRX3", construct: "proxy", reason: "debug logs help develop against the proxy; dev holds no personal data" },
      { rule: "SEC3", construct: "proxy", reason: "dev rotates on demand only (npm run rotate); its passwords guard no real data" },
    ],
  },
  {
    app,
    name: "staging",
    production: false,
    account: "222222222222",
    region,
    availabilityZones: ["eu-west-1a", "eu-west-1b"],
    tags: { CostCenter: "engineering" },
    stateBackend: accountStateBucket("222222222222"),
    network: {
      mode: "create",
      vpcCidr: "10.20.0.0/16",
      applicationSubnetCidrs: ["10.20.0.0/20", "10.20.16.0/20"],
      databaseSubnetCidrs: ["10.20.128.0/24", "10.20.129.0/24"],
      egress: { type: "endpoints" },
    },
    database: {
      engine: "aurora-postgresql",
      engineVersion,
      instanceClass: "db.t4g.medium",
      readers: 1,
      databaseName: "orders",
      backupRetentionDays: 7,
    },
    users: {
      app: { auth: "iam", privileges: "readwrite" },
      migrator: { auth: "iam", privileges: "owner" },
      // The queue worker's own user: its own grants, proxy auth entry and share of the connections.
      worker: { auth: "iam", privileges: "readwrite" },
    },
    clients: {
      services: {
        api: {
          legacyNames: true,
          user: "app",
          container: {
            imageRepository: "222222222222.dkr.ecr.eu-west-1.amazonaws.com/orders",
            imageTag: "1.4.2",
            cpu: 512,
            memory: 1024,
            port: 8000,
            healthCheck: { command: "curl -fsS http://localhost:8000/health || exit 1" },
          },
        },
        // A second task definition, family orders-staging-worker: no listener, a small pool.
        worker: {
          user: "worker",
          container: {
            imageRepository: "222222222222.dkr.ecr.eu-west-1.amazonaws.com/orders-worker",
            imageTag: "1.4.2",
            cpu: 256,
            memory: 512,
          },
          connections: { poolSize: 4, maxTasks: 2 },
        },
      },
      migrations: { user: "migrator" },
    },
    policySuppressions: [
      { rule: "SEC3", construct: "proxy", reason: "staging rotates on demand (npm run rotate) to rehearse it; the schedule runs in production" },
    ],
  },
  {
    app,
    name: "prod",
    production: true,
    account: "333333333333",
    region,
    availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
    tags: { CostCenter: "orders", DataClassification: "confidential" },
    stateBackend: centralStateBucket,
    network: {
      mode: "create",
      vpcCidr: "10.30.0.0/16",
      applicationSubnetCidrs: ["10.30.0.0/20", "10.30.16.0/20", "10.30.32.0/20"],
      databaseSubnetCidrs: ["10.30.128.0/24", "10.30.129.0/24", "10.30.130.0/24"],
      egress: { type: "nat", gateways: "per-az", publicSubnetCidrs: ["10.30.240.0/24", "10.30.241.0/24", "10.30.242.0/24"] },
    },
    database: {
      engine: "aurora-postgresql",
      engineVersion,
      instanceClass: "db.r6g.large",
      // Two readers Terraform creates, up to five when their CPU stays above 60 % (Aurora Auto Scaling);
      // npm run destroy removes the ones Auto Scaling added before the cluster goes.
      readers: { min: 2, max: 5, target: { metric: "cpu", value: 60 }, scaleInCooldownSeconds: 900 },
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
    // Production must notify someone; replace the address with your on-call list (or set topicArn).
    monitoring: { notifications: { email: ["database-oncall@example.com"] } },
    clients: {
      services: {
        // Seed 000: the task definition stays out of Terraform state; CI registers revisions per commit.
        api: {
          legacyNames: true,
          user: "app",
          mode: "template",
          container: {
            imageRepository: "333333333333.dkr.ecr.eu-west-1.amazonaws.com/orders",
            imageTag: "bootstrap",
            cpu: 1024,
            memory: 2048,
            port: 8000,
            healthCheck: { command: "curl -fsS http://localhost:8000/health || exit 1", startPeriodSeconds: 30 },
          },
          connections: { poolSize: 10, maxTasks: 6 },
        },
      },
      migrations: {
        user: "migrator",
        pipeline: {
          connectionArn: "arn:aws:codeconnections:eu-west-1:333333333333:connection/0f5e8a52-3b1d-4c8e-9a77-2f0d6c1b9e10",
          repository: "example/orders",
          branch: "main",
          ecsCluster: "orders-prod",
          ecsService: "orders",
          imageRepository: "333333333333.dkr.ecr.eu-west-1.amazonaws.com/orders",
        },
      },
    },
  },
];
