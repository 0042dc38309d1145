import { describe, expect, it } from "vitest";
import { resolveEnvironments, ValidationError, type EnvironmentInput } from "../../stacks/config.ts";
import { environments } from "../../stacks/environments.ts";
import type { DatabaseSettingsInput } from "../../modules/database-settings.ts";
import type { CreateNetworkSettings } from "../../modules/network.ts";
import { environment, thrownMessage } from "../helpers.ts";

const createNetwork = environment().network as CreateNetworkSettings;
const withDatabase = (database: Partial<DatabaseSettingsInput>, overrides: Partial<EnvironmentInput> = {}) =>
  environment({ ...overrides, database: { ...environment().database, ...database } as DatabaseSettingsInput });
const withNetwork = (network: Partial<CreateNetworkSettings>) => environment({ network: { ...createNetwork, ...network } });

/** The single problem line a config produces, without the list bullet. */
function problemsOf(input: EnvironmentInput | EnvironmentInput[]): string[] {
  try {
    resolveEnvironments(Array.isArray(input) ? input : [input]);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).message.split("\n").slice(1).map((line) => line.replace(/^ {2}- /, ""));
  }
  return [];
}

describe("shipped environments", () => {
  it("resolve without problems, named dev, staging and prod", () => {
    const configs = resolveEnvironments(environments);
    expect(configs.map((c) => c.name)).toEqual(["dev", "staging", "prod"]);
  });

  it("give prod safe defaults and keep dev's relaxations explicit", () => {
    const [dev, staging, prod] = resolveEnvironments(environments);
    expect(prod!.database).toMatchObject({
      deletionProtection: true, skipFinalSnapshot: false, iamAuthentication: true, applyImmediately: false,
      readers: 2, instanceClass: "db.r6g.large", logRetentionDays: 365,
    });
    expect(prod!.availabilityZones).toHaveLength(3);
    expect(prod!.encryption.keyDeletionWindowDays).toBe(30);
    expect(staging!.database).toMatchObject({ readers: 1, deletionProtection: true, applyImmediately: true });
    expect(dev!.database).toMatchObject({
      instanceClass: "db.serverless", serverless: { minCapacity: 0.5, maxCapacity: 2 },
      deletionProtection: false, skipFinalSnapshot: true, backupRetentionDays: 1,
    });
    expect(dev!.encryption.keyDeletionWindowDays).toBe(7);
  });
});

describe("defaults", () => {
  it("derive the port from the engine and the name prefix from app and environment", () => {
    const [pg] = resolveEnvironments([environment()]);
    const [mysql] = resolveEnvironments([withDatabase({ engine: "mysql", engineVersion: "8.0", instanceClass: "db.t3.medium" })]);
    expect(pg!.database.port).toBe(5432);
    expect(mysql!.database.port).toBe(3306);
    expect(pg!.namePrefix).toBe("shop-test");
    expect(pg!.partition).toBe("aws");
  });

  it("turn on Multi-AZ for production RDS instances only", () => {
    const rds = { engine: "postgres", engineVersion: "16", instanceClass: "db.t4g.medium" } as const;
    expect(resolveEnvironments([withDatabase(rds, { production: true })])[0]!.database.multiAz).toBe(true);
    expect(resolveEnvironments([withDatabase(rds)])[0]!.database.multiAz).toBe(false);
    expect(resolveEnvironments([withDatabase({}, { production: true })])[0]!.database.multiAz).toBeUndefined();
  });

  it("leave Performance Insights off where the class cannot have it", () => {
    const [micro] = resolveEnvironments([withDatabase({ engine: "mysql", engineVersion: "8.0", instanceClass: "db.t3.micro" })]);
    expect(micro!.database.performanceInsights.enabled).toBe(false);
  });
});

describe("validation reports every problem at once", () => {
  it("lists problems from several settings and environments in one error", () => {
    const message = thrownMessage(() => resolveEnvironments([
      withDatabase({ serverless: { minCapacity: 0.5, maxCapacity: 300 }, instanceClass: undefined }, { name: "prod", production: true }),
      environment({ name: "dev", region: "mars-1", account: "12" }),
    ]));
    expect(message).toContain("dbstack configuration: 3 problems");
    expect(message).toContain("prod.database.serverless.maxCapacity: 300 — must be 1..256 in steps of 0.5");
    expect(message).toContain('dev.region: "mars-1" — must be an AWS region name such as "eu-west-1"');
    expect(message).toContain('dev.account: "12" — must be a 12-digit AWS account id');
  });
});

// One case per rule: the config, and the exact problem line it must produce.
const cases: [string, EnvironmentInput | EnvironmentInput[], string][] = [
  ["duplicate environment names", [environment(), environment()], 'test.name: "test" — must be unique: it names the stack'],
  ["app name pattern", environment({ app: "Shop_App" }), 'test.app: "Shop_App" — must be 2..24 lowercase letters, digits and single hyphens, starting with a letter'],
  ["app name length", environment({ app: "a".repeat(25) }), `test.app: "${"a".repeat(25)}" — must be 2..24 lowercase letters, digits and single hyphens, starting with a letter`],
  ["environment name", environment({ name: "Prod--1" }), 'environments[0].name: "Prod--1" — must be 2..12 lowercase letters, digits and single hyphens, starting with a letter'],
  ["account id", environment({ account: "1234" }), 'test.account: "1234" — must be a 12-digit AWS account id'],
  ["region", environment({ region: "europe" }), 'test.region: "europe" — must be an AWS region name such as "eu-west-1"'],
  ["zone count", environment({ availabilityZones: ["eu-west-1a"] }), 'test.availabilityZones: ["eu-west-1a"] — must list 2..6 zones (RDS subnet groups and RDS Proxy need at least two)'],
  ["zone of another region", environment({ availabilityZones: ["eu-west-1a", "us-east-1b"] }), 'test.availabilityZones[1]: "us-east-1b" — must be a zone of eu-west-1, e.g. "eu-west-1a"'],
  ["repeated zone", environment({ availabilityZones: ["eu-west-1a", "eu-west-1a"] }), 'test.availabilityZones: ["eu-west-1a","eu-west-1a"] — must not repeat a zone'],
  ["tag key prefix", environment({ tags: { "aws:owner": "x" } }), 'test.tags.aws:owner: "aws:owner" — key must be 1..128 letters, digits, spaces or _.:/=+-@ and must not start with aws:'],
  ["tag value characters", environment({ tags: { Owner: "a;b" } }), 'test.tags.Owner: "a;b" — value must be at most 256 letters, digits, spaces or _.:/=+-@'],
  ["state bucket", environment({ stateBackend: { type: "s3", bucket: "My_Bucket", keyPrefix: "dbstack", region: "eu-west-1" } }), 'test.stateBackend.bucket: "My_Bucket" — must be an S3 bucket name: 3..63 lowercase letters, digits, dots and hyphens'],
  ["state key prefix", environment({ stateBackend: { type: "s3", bucket: "state", keyPrefix: "/dbstack/", region: "eu-west-1" } }), 'test.stateBackend.keyPrefix: "/dbstack/" — must be an S3 key prefix without leading or trailing "/", e.g. "dbstack/orders"'],
  ["state region", environment({ stateBackend: { type: "s3", bucket: "state", keyPrefix: "dbstack", region: "nowhere" } }), 'test.stateBackend.region: "nowhere" — must be an AWS region name such as "eu-west-1"'],
  ["state backend type", environment({ stateBackend: { type: "gcs" } as never }), 'test.stateBackend.type: "gcs" — must be one of "s3", "local"'],
  ["kms key given as alias", environment({ encryption: { kmsKeyArn: "alias/db" } }), 'test.encryption.kmsKeyArn: "alias/db" — must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias'],
  ["kms key in another region", environment({ encryption: { kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/0b2d6a1e-1111-4c1d-9a4e-123456789abc" } }), 'test.encryption.kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/0b2d6a1e-1111-4c1d-9a4e-123456789abc" — must be a key in eu-west-1'],
  ["key deletion window", environment({ encryption: { keyDeletionWindowDays: 3 } }), "test.encryption.keyDeletionWindowDays: 3 — must be a whole number from 7 to 30"],
  ["deletion window with own key", environment({ encryption: { kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/0b2d6a1e-1111-4c1d-9a4e-123456789abc", keyDeletionWindowDays: 10 } }), "test.encryption.keyDeletionWindowDays: 10 — applies only to a key dbstack creates, not to encryption.kmsKeyArn"],
  // Network
  ["vpc cidr size", withNetwork({ vpcCidr: "10.0.0.0/8" }), 'test.network.vpcCidr: "10.0.0.0/8" — must be an IPv4 CIDR from /16 to /24 with no host bits set, e.g. "10.20.0.0/16"'],
  ["vpc cidr host bits", withNetwork({ vpcCidr: "10.0.0.1/16" }), 'test.network.vpcCidr: "10.0.0.1/16" — must be an IPv4 CIDR from /16 to /24 with no host bits set, e.g. "10.20.0.0/16"'],
  ["subnets per zone", withNetwork({ databaseSubnetCidrs: ["10.0.128.0/24"] }), 'test.network.databaseSubnetCidrs: ["10.0.128.0/24"] — must list exactly one CIDR per availability zone (2)'],
  ["subnet outside the vpc", withNetwork({ databaseSubnetCidrs: ["10.0.128.0/24", "10.1.0.0/24"] }), 'test.network.databaseSubnetCidrs[1]: "10.1.0.0/24" — must lie inside the VPC range 10.0.0.0/16'],
  ["subnet too small", withNetwork({ databaseSubnetCidrs: ["10.0.128.0/24", "10.0.129.0/29"] }), 'test.network.databaseSubnetCidrs[1]: "10.0.129.0/29" — must be an IPv4 CIDR of /28 or larger with no host bits set'],
  ["overlapping subnets", withNetwork({ databaseSubnetCidrs: ["10.0.128.0/24", "10.0.8.0/24"] }), 'test.network.databaseSubnetCidrs[1]: "10.0.8.0/24" — must not overlap applicationSubnetCidrs[0]'],
  ["egress type", withNetwork({ egress: { type: "internet" } as never }), 'test.network.egress.type: "internet" — must be one of "none", "nat", "endpoints"'],
  ["nat gateways", withNetwork({ egress: { type: "nat", gateways: "two", publicSubnetCidrs: ["10.0.250.0/24", "10.0.251.0/24"] } as never }), 'test.network.egress.gateways: "two" — must be one of "single", "per-az"'],
  ["nat public subnets", withNetwork({ egress: { type: "nat", gateways: "single", publicSubnetCidrs: ["10.0.250.0/24"] } }), 'test.network.egress.publicSubnetCidrs: ["10.0.250.0/24"] — must list exactly one CIDR per availability zone (2)'],
  ["network mode", environment({ network: { mode: "import" } as never }), 'test.network.mode: "import" — must be one of "create", "adopt"'],
  ["adopted vpc id", environment({ network: { mode: "adopt", vpcId: "vpc-xyz", applicationSubnetIds: ["subnet-0123456789abcdef1"], databaseSubnetIds: ["subnet-0123456789abcdef3", "subnet-0123456789abcdef4"] } }), 'test.network.vpcId: "vpc-xyz" — must be an id like "vpc-0abc1234def567890" or { ssmParameter: "<name>" }'],
  ["adopted database subnets", environment({ network: { mode: "adopt", vpcId: "vpc-0123456789abcdef0", applicationSubnetIds: ["subnet-0123456789abcdef1"], databaseSubnetIds: ["subnet-0123456789abcdef3"] } }), 'test.network.databaseSubnetIds: ["subnet-0123456789abcdef3"] — must list at least 2 subnets in different availability zones'],
  ["adopted ssm parameter name", environment({ network: { mode: "adopt", vpcId: { ssmParameter: "bad name" }, applicationSubnetIds: ["subnet-0123456789abcdef1"], databaseSubnetIds: ["subnet-0123456789abcdef3", "subnet-0123456789abcdef4"] } }), 'test.network.vpcId.ssmParameter: "bad name" — must be an SSM parameter name such as "/network/prod/vpc-id"'],
  // Database
  ["engine", withDatabase({ engine: "oracle-ee" as never }), 'test.database.engine: "oracle-ee" — must be one of "aurora-postgresql", "aurora-mysql", "postgres", "mysql"'],
  ["aurora postgresql version", withDatabase({ engineVersion: "9.6" }), 'test.database.engineVersion: "9.6" — must be an Aurora PostgreSQL version "<major>.<minor>" with major 13..17, e.g. "16.6"'],
  ["aurora mysql version", withDatabase({ engine: "aurora-mysql", engineVersion: "5.7.mysql_aurora.2.11.2", instanceClass: "db.r6g.large" }), 'test.database.engineVersion: "5.7.mysql_aurora.2.11.2" — must be an Aurora MySQL 3 version "8.0.mysql_aurora.3.<minor>.<patch>", e.g. "8.0.mysql_aurora.3.08.0"'],
  ["rds mysql version", withDatabase({ engine: "mysql", engineVersion: "5.7.44", instanceClass: "db.t3.micro" }), 'test.database.engineVersion: "5.7.44" — must be an RDS MySQL version "8.0", "8.4" or "8.x.<patch>", e.g. "8.0.40"'],
  ["serverless v1", withDatabase({ engineMode: "serverless" }), 'test.database.engineMode: "serverless" — Aurora Serverless v1 is refused: RDS Proxy cannot front it; use serverless: { minCapacity, maxCapacity } (Serverless v2) with engineMode "provisioned"'],
  ["aurora instance class", withDatabase({ instanceClass: "db.t3.micro" }), 'test.database.instanceClass: "db.t3.micro" — must be an Aurora instance class (db.t3.medium, db.t3.large, db.t4g.medium, db.t4g.large, db.r5.large, db.r5.xlarge, …) or omitted with serverless set'],
  ["rds instance class", withDatabase({ engine: "postgres", engineVersion: "16", instanceClass: "db.x9.huge" }), 'test.database.instanceClass: "db.x9.huge" — must be an RDS instance class (db.t3.micro, db.t3.small, db.t3.medium, db.t3.large, db.t3.xlarge, db.t3.2xlarge, …)'],
  ["serverless with a class", withDatabase({ serverless: { minCapacity: 1, maxCapacity: 4 }, instanceClass: "db.r6g.large" }), 'test.database.instanceClass: "db.r6g.large" — must not be set with serverless (Serverless v2 instances are db.serverless)'],
  ["serverless min", withDatabase({ serverless: { minCapacity: 0, maxCapacity: 4 }, instanceClass: undefined }), "test.database.serverless.minCapacity: 0 — must be 0.5..256 in steps of 0.5 (dbstack does not offer 0-ACU auto-pause)"],
  ["serverless step", withDatabase({ serverless: { minCapacity: 0.5, maxCapacity: 2.25 }, instanceClass: undefined }), "test.database.serverless.maxCapacity: 2.25 — must be 1..256 in steps of 0.5"],
  ["serverless min above max", withDatabase({ serverless: { minCapacity: 8, maxCapacity: 4 }, instanceClass: undefined }), "test.database.serverless.minCapacity: 8 — must not exceed serverless.maxCapacity (4)"],
  ["serverless version", withDatabase({ engineVersion: "13.4", serverless: { minCapacity: 0.5, maxCapacity: 4 }, instanceClass: undefined }), 'test.database.engineVersion: "13.4" — does not support Serverless v2 (Aurora PostgreSQL needs 13.6+, 14.3+, 15.2+, 16.1+ or 17; Aurora MySQL 3.02.0+)'],
  ["serverless on rds", withDatabase({ engine: "postgres", engineVersion: "16", instanceClass: "db.t4g.medium", serverless: { minCapacity: 1, maxCapacity: 2 } }), 'test.database.serverless: {"minCapacity":1,"maxCapacity":2} — applies to Aurora engines only'],
  ["readers", withDatabase({ readers: 16 }), "test.database.readers: 16 — must be a whole number from 0 to 15"],
  ["readers on rds", withDatabase({ engine: "postgres", engineVersion: "16", instanceClass: "db.t4g.medium", readers: 1 }), "test.database.readers: 1 — applies to Aurora only; for read scaling use an Aurora engine"],
  ["multi-az on aurora", withDatabase({ multiAz: true }), "test.database.multiAz: true — applies to RDS instances only; Aurora gets availability from readers in other zones"],
  ["storage on aurora", withDatabase({ storage: { allocatedGiB: 50 } }), 'test.database.storage: {"allocatedGiB":50} — applies to RDS instances only; Aurora storage grows by itself'],
  ["io-optimized on rds", withDatabase({ engine: "postgres", engineVersion: "16", instanceClass: "db.t4g.medium", ioOptimized: true }), "test.database.ioOptimized: true — applies to Aurora only"],
  ["allocated storage", withDatabase({ engine: "postgres", engineVersion: "16", instanceClass: "db.t4g.medium", storage: { allocatedGiB: 10 } }), "test.database.storage.allocatedGiB: 10 — must be a whole number from 20 to 65536"],
  ["storage autoscaling ceiling", withDatabase({ engine: "postgres", engineVersion: "16", instanceClass: "db.t4g.medium", storage: { allocatedGiB: 200, maxAllocatedGiB: 100 } }), "test.database.storage.maxAllocatedGiB: 100 — must be at least storage.allocatedGiB (200)"],
  ["storage type", withDatabase({ engine: "postgres", engineVersion: "16", instanceClass: "db.t4g.medium", storage: { type: "io1" as never } }), 'test.database.storage.type: "io1" — must be one of "gp2", "gp3"'],
  ["database name", withDatabase({ databaseName: "1shop" }), 'test.database.databaseName: "1shop" — must be 1..63 letters, digits or underscores, starting with a letter or underscore'],
  ["reserved database name", withDatabase({ databaseName: "template1" }), 'test.database.databaseName: "template1" — must not be a name the engine reserves (template0, template1, rdsadmin)'],
  ["master username", withDatabase({ masterUsername: "admin-user" }), 'test.database.masterUsername: "admin-user" — must be 1..63 letters, digits or underscores, starting with a letter'],
  ["mysql master username length", withDatabase({ engine: "mysql", engineVersion: "8.0", instanceClass: "db.t3.micro", masterUsername: "a".repeat(33) }), `test.database.masterUsername: "${"a".repeat(33)}" — must be 1..32 letters, digits or underscores, starting with a letter`],
  ["reserved master username", withDatabase({ masterUsername: "rdsadmin" }), 'test.database.masterUsername: "rdsadmin" — must not be a user name RDS reserves (rdsadmin, rdsrepladmin, rdsproxyadmin, rds_superuser, rdstopmgr, mysql.sys, root)'],
  ["port", withDatabase({ port: 80 }), "test.database.port: 80 — must be a whole number from 1150 to 65535"],
  ["backup retention", withDatabase({ backupRetentionDays: 0 }), "test.database.backupRetentionDays: 0 — must be a whole number from 1 to 35"],
  ["production backups", withDatabase({ backupRetentionDays: 3 }, { production: true }), "test.database.backupRetentionDays: 3 — must be at least 7 in production"],
  ["backup window format", withDatabase({ backupWindow: "3am" }), 'test.database.backupWindow: "3am" — must be "hh:mm-hh:mm" in UTC, e.g. "03:00-04:00"'],
  ["backup window length", withDatabase({ backupWindow: "03:00-03:15" }), 'test.database.backupWindow: "03:00-03:15" — must be at least 30 minutes long'],
  ["maintenance window format", withDatabase({ maintenanceWindow: "sunday 4am" }), 'test.database.maintenanceWindow: "sunday 4am" — must be "ddd:hh:mm-ddd:hh:mm" in UTC, e.g. "sun:04:30-sun:05:30"'],
  ["maintenance window length", withDatabase({ maintenanceWindow: "sun:04:30-sun:04:40" }), 'test.database.maintenanceWindow: "sun:04:30-sun:04:40" — must be at least 30 minutes long'],
  ["windows overlap", withDatabase({ backupWindow: "23:30-00:30", maintenanceWindow: "mon:00:00-mon:01:00" }), 'test.database.maintenanceWindow: "mon:00:00-mon:01:00" — must not overlap the backup window 23:30-00:30 on any day'],
  ["production deletion protection", withDatabase({ deletionProtection: false }, { production: true }), "test.database.deletionProtection: false — must be true in production"],
  ["production final snapshot", withDatabase({ skipFinalSnapshot: true }, { production: true }), "test.database.skipFinalSnapshot: true — must be false in production"],
  ["production iam authentication", withDatabase({ iamAuthentication: false }, { production: true }), "test.database.iamAuthentication: false — must be true in production"],
  ["log export type", withDatabase({ logExports: ["slowquery"] }), 'test.database.logExports[0]: "slowquery" — must be one of "postgresql"'],
  ["repeated log export", withDatabase({ logExports: ["postgresql", "postgresql"] }), 'test.database.logExports: ["postgresql","postgresql"] — must not repeat a log type'],
  ["production log exports", withDatabase({ logExports: [] }, { production: true }), "test.database.logExports: [] — must export at least one log type in production"],
  ["mysql audit on rds", withDatabase({ engine: "mysql", engineVersion: "8.0", instanceClass: "db.t3.medium", logExports: ["audit"] }), 'test.database.logExports[0]: "audit" — must be one of "error", "general", "slowquery"'],
  ["log retention", withDatabase({ logRetentionDays: 10 }), "test.database.logRetentionDays: 10 — must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"],
  ["performance insights retention", withDatabase({ performanceInsights: { retentionDays: 30 } }), "test.database.performanceInsights.retentionDays: 30 — must be 7, 731, or a multiple of 31 up to 713 (months)"],
  ["performance insights on a micro class", withDatabase({ engine: "mysql", engineVersion: "8.0", instanceClass: "db.t3.micro", performanceInsights: { enabled: true } }), "test.database.performanceInsights.enabled: true — is not available on db.t3.micro; use a medium or larger class, or turn it off"],
  ["monitoring interval", withDatabase({ monitoringIntervalSeconds: 20 }), "test.database.monitoringIntervalSeconds: 20 — must be one of 0, 1, 5, 10, 15, 30, 60"],
  // Users
  ["user name", environment({ users: { App: { privileges: "readwrite" } } }), 'test.users.App: "App" — user name must be 1..63 lowercase letters, digits or underscores, starting with a letter or underscore'],
  ["reserved user name", environment({ users: { rds_iam: { privileges: "readwrite" } } }), 'test.users.rds_iam: "rds_iam" — user name must not be one the engine or RDS reserves (rdsadmin, rdsrepladmin, rdsproxyadmin, rds_superuser, rds_iam, rdstopmgr, postgres, root, mysql, public)'],
  ["user named like the master", environment({ users: { dbadmin: { privileges: "owner" } } }), 'test.users.dbadmin: "dbadmin" — user name must differ from the master user, which the proxy already serves'],
  ["mysql user name length", withDatabase({ engine: "mysql", engineVersion: "8.0", instanceClass: "db.t3.micro" }, { users: { ["u".repeat(33)]: { privileges: "readonly" } } }), `test.users.${"u".repeat(33)}: "${"u".repeat(33)}" — user name must be 1..32 lowercase letters, digits or underscores, starting with a letter or underscore`],
  ["password and iam at once", environment({ users: { app: { auth: "password+iam" as never, privileges: "readwrite" } } }), 'test.users.app.auth: "password+iam" — must be "iam", "password" or "direct-iam": RDS Proxy requires or disables IAM per user for PostgreSQL and MySQL, it cannot accept both'],
  ["user auth", environment({ users: { app: { auth: "kerberos" as never, privileges: "readwrite" } } }), 'test.users.app.auth: "kerberos" — must be one of "iam", "password", "direct-iam"'],
  ["direct iam without database iam", withDatabase({ iamAuthentication: false }, { users: { etl: { auth: "direct-iam", privileges: "readonly" } } }), 'test.users.etl.auth: "direct-iam" — needs database.iamAuthentication: the database itself must accept IAM tokens'],
  ["ecs as a direct iam user", environment({ users: { etl: { auth: "direct-iam", privileges: "readonly" } }, clients: { ecs: { user: "etl", container: { imageRepository: "shop", imageTag: "1", cpu: 256, memory: 512 } } } }), 'test.clients.ecs.user: "etl" — must be one of the environment\'s users (none configured)'],
  ["user privileges", environment({ users: { app: { privileges: "admin" as never } } }), 'test.users.app.privileges: "admin" — must be one of "readwrite", "readonly", "owner"'],
  // Proxy
  ["tls off in production", environment({ production: true, proxy: { requireTls: false } }), "test.proxy.requireTls: false — must be true in production"],
  ["debug logging in production", environment({ production: true, proxy: { debugLogging: true } }), "test.proxy.debugLogging: true — must be false in production: debug logs hold SQL text and results"],
  ["idle client timeout", environment({ proxy: { idleClientTimeoutSeconds: 28801 } }), "test.proxy.idleClientTimeoutSeconds: 28801 — must be a whole number from 1 to 28800"],
  ["client password auth type for the engine", environment({ proxy: { clientPasswordAuthType: "MYSQL_NATIVE_PASSWORD" } }), 'test.proxy.clientPasswordAuthType: "MYSQL_NATIVE_PASSWORD" — must be one of "POSTGRES_SCRAM_SHA_256", "POSTGRES_MD5"'],
  ["master auth", environment({ proxy: { masterAuth: "none" as never } }), 'test.proxy.masterAuth: "none" — must be one of "iam", "password"'],
  ["proxy log retention", environment({ proxy: { logRetentionDays: 2 } }), "test.proxy.logRetentionDays: 2 — must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"],
  ["borrow timeout", environment({ proxy: { pool: { borrowTimeoutSeconds: 3601 } } }), "test.proxy.pool.borrowTimeoutSeconds: 3601 — must be a whole number from 0 to 3600"],
  ["max connections percent", environment({ proxy: { pool: { maxConnectionsPercent: 0 } } }), "test.proxy.pool.maxConnectionsPercent: 0 — must be a whole number from 1 to 100"],
  ["idle above max connections", environment({ proxy: { pool: { maxConnectionsPercent: 40, maxIdleConnectionsPercent: 60 } } }), "test.proxy.pool.maxIdleConnectionsPercent: 60 — must not exceed pool.maxConnectionsPercent (40)"],
  ["empty init query", environment({ proxy: { pool: { initQuery: " " } } }), 'test.proxy.pool.initQuery: " " — must be non-empty SQL when set'],
  ["secret in init query", environment({ proxy: { pool: { initQuery: "SET my.password = 'hunter2'" } } }), 'test.proxy.pool.initQuery: "(redacted)" — must not mention passwords, secrets or tokens: the proxy stores it in plain text'],
  ["pinning filters on postgresql", environment({ proxy: { pool: { sessionPinningFilters: ["EXCLUDE_VARIABLE_SETS"] } } }), 'test.proxy.pool.sessionPinningFilters: ["EXCLUDE_VARIABLE_SETS"] — applies to MySQL only'],
  ["unknown pinning filter", withDatabase({ engine: "mysql", engineVersion: "8.0", instanceClass: "db.t3.micro" }, { proxy: { pool: { sessionPinningFilters: ["EXCLUDE_ALL"] } } }), 'test.proxy.pool.sessionPinningFilters[0]: "EXCLUDE_ALL" — must be one of "EXCLUDE_VARIABLE_SETS"'],
  ["shared group layout", withNetwork({ proxyAndDatabaseGroups: "one" as never }), 'test.network.proxyAndDatabaseGroups: "one" — must be one of "separate", "shared"'],
  ["ca certificate", withDatabase({ caCertificate: "rds-ca-2019" as never }), 'test.database.caCertificate: "rds-ca-2019" — must be one of "rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1"'],
];

describe("validation rules", () => {
  it.each(cases)("fails on %s", (_rule, input, expected) => {
    expect(problemsOf(input)).toContain(expected);
  });

  it("accepts a backup window that wraps midnight when maintenance is elsewhere", () => {
    expect(problemsOf(withDatabase({ backupWindow: "23:30-00:30", maintenanceWindow: "mon:02:00-mon:03:00" }))).toEqual([]);
  });

  it("keeps a secret-looking init query out of the error message", () => {
    expect(problemsOf(environment({ proxy: { pool: { initQuery: "SET my.password = 'hunter2'" } } })).join("\n")).not.toContain("hunter2");
  });

  it("accepts Serverless v2 from the first supporting minor version", () => {
    expect(problemsOf(withDatabase({ engineVersion: "13.6", serverless: { minCapacity: 0.5, maxCapacity: 1 }, instanceClass: undefined }))).toEqual([]);
  });
});
