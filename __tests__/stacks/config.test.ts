import { describe, expect, it } from "vitest";
import { resolveEnvironments, ValidationError, type EnvironmentInput } from "../../stacks/config.ts";
import { environments } from "../../stacks/environments.ts";
import type { DatabaseSettingsInput } from "../../modules/database-settings.ts";
import type { CreateNetworkSettings } from "../../modules/network.ts";
import { environment } from "../helpers.ts";

/** The day validation rules are checked on, so retirement dates give the same answer every day. */
export const NOW = new Date("2026-11-23T12:00:00Z");

const createNetwork = environment().network as CreateNetworkSettings;
const withDatabase = (database: Partial<DatabaseSettingsInput>, overrides: Partial<EnvironmentInput> = {}) =>
  environment({ ...overrides, database: { ...environment().database, ...database } as DatabaseSettingsInput });
const withNetwork = (network: Partial<CreateNetworkSettings>) => environment({ network: { ...createNetwork, ...network } });
const rdsMysql = { engine: "mysql", engineVersion: "8.4", instanceClass: "db.t3.micro" } as const;

/** The problem lines a config produces on `now`, without the list bullets. */
export function problemsOf(input: EnvironmentInput | EnvironmentInput[], now: Date = NOW): string[] {
  try {
    resolveEnvironments(Array.isArray(input) ? input : [input], { now });
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).message.split("\n").slice(1).map((line) => line.replace(/^ {2}- /, ""));
  }
  return [];
}

function thrownMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected the call to throw");
}

describe("shipped environments", () => {
  it("resolve without problems or warnings today, named dev, staging and prod", () => {
    // The real clock on purpose: a shipped runtime or version AWS stops accepting must fail this test.
    const configs = resolveEnvironments(environments);
    expect(configs.map((c) => c.name)).toEqual(["dev", "staging", "prod"]);
    expect(configs.flatMap((c) => c.warnings)).toEqual([]);
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
    const [pg] = resolveEnvironments([environment()], { now: NOW });
    const [mysql] = resolveEnvironments([withDatabase({ ...rdsMysql, instanceClass: "db.t3.medium" })], { now: NOW });
    expect(pg!.database.port).toBe(5432);
    expect(mysql!.database.port).toBe(3306);
    expect(pg!.namePrefix).toBe("shop-test");
    expect(pg!.partition).toBe("aws");
  });

  it("turn on Multi-AZ for production RDS instances only", () => {
    const rds = { engine: "postgres", engineVersion: "16", instanceClass: "db.t4g.medium" } as const;
    expect(resolveEnvironments([withDatabase(rds, { production: true, stateBackend: s3State, monitoring: oncall })], { now: NOW })[0]!.database.multiAz).toBe(true);
    expect(resolveEnvironments([withDatabase(rds)], { now: NOW })[0]!.database.multiAz).toBe(false);
    expect(resolveEnvironments([withDatabase({}, { production: true, stateBackend: s3State, monitoring: oncall })], { now: NOW })[0]!.database.multiAz).toBeUndefined();
  });

  it("leave Performance Insights off where the class cannot have it", () => {
    const [micro] = resolveEnvironments([withDatabase(rdsMysql)], { now: NOW });
    expect(micro!.database.performanceInsights.enabled).toBe(false);
  });

  it("follow each engine's Performance Insights classes: on for RDS PostgreSQL micro, off for Aurora MySQL on db.t3", () => {
    const [postgresMicro, auroraMysqlT3, auroraMysqlR6g] = resolveEnvironments([
      withDatabase({ engine: "postgres", engineVersion: "16", instanceClass: "db.t3.micro" }),
      withDatabase({ engine: "aurora-mysql", engineVersion: "8.0.mysql_aurora.3.10.0", instanceClass: "db.t3.medium" }, { name: "t3" }),
      withDatabase({ engine: "aurora-mysql", engineVersion: "8.0.mysql_aurora.3.10.0", instanceClass: "db.r6g.large" }, { name: "r6g" }),
    ], { now: NOW });
    expect([postgresMicro, auroraMysqlT3, auroraMysqlR6g].map((e) => e!.database.performanceInsights.enabled)).toEqual([true, false, true]);
  });
});

describe("validation reports every problem at once", () => {
  it("lists problems from several settings and environments in one error", () => {
    const message = thrownMessage(() => resolveEnvironments([
      withDatabase({ serverless: { minCapacity: 0.5, maxCapacity: 300 }, instanceClass: undefined }, { name: "prod", production: true, stateBackend: s3State, monitoring: oncall }),
      environment({ name: "dev", region: "mars-1", account: "12" }),
    ], { now: NOW }));
    expect(message).toContain("dbstack configuration: 3 problems");
    expect(message).toContain("prod.database.serverless.maxCapacity: 300 — must be 1..256 in steps of 0.5");
    expect(message).toContain(`dev.region: "mars-1" — must be ${REGION_TEXT}`);
    expect(message).toContain('dev.account: "12" — must be a 12-digit AWS account id');
  });
});

const s3State = { type: "s3", bucket: "shop-terraform-state", keyPrefix: "dbstack", region: "eu-west-1" } as const;
/** Production must notify someone (monitoring.notifications). */
const oncall = { notifications: { email: ["oncall@example.com"] } };
const REGION_TEXT = 'an AWS region of the aws, aws-cn or aws-us-gov partitions (catalog of 2026-11-23), such as "eu-west-1"';
/** Aurora PostgreSQL versions more than 90 days from their end of standard support on the catalog's day. */
const AURORA_PG_CURRENT = "15.10, 15.14, 15.15, 15.17, 16.8, 16.10, 16.11, 16.13, 17.6, 17.7, 17.9, 18.3";
/** Of those, the ones AWS still creates on NOW and not within 90 days of stopping (14.x stops on 2027-02-01). */
const AURORA_PG_OFFERED = "15.10, 15.14, 15.15, 15.17, 16.8, 16.10, 16.11, 16.13, 17.6, 17.7, 17.9, 18.3";

// One case per rule: the config, and the exact problem line it must produce.
const cases: [string, EnvironmentInput | EnvironmentInput[], string][] = [
  ["duplicate environment names", [environment(), environment()], 'test.name: "test" — must be unique: it names the stack'],
  ["app name pattern", environment({ app: "Shop_App" }), 'test.app: "Shop_App" — must be 2..24 lowercase letters, digits and single hyphens, starting with a letter'],
  ["app name length", environment({ app: "a".repeat(25) }), `test.app: "${"a".repeat(25)}" — must be 2..24 lowercase letters, digits and single hyphens, starting with a letter`],
  ["environment name", environment({ name: "Prod--1" }), 'environments[0].name: "Prod--1" — must be 2..12 lowercase letters, digits and single hyphens, starting with a letter'],
  ["account id", environment({ account: "1234" }), 'test.account: "1234" — must be a 12-digit AWS account id'],
  ["region", environment({ region: "europe" }), `test.region: "europe" — must be ${REGION_TEXT}`],
  ["zone count", environment({ availabilityZones: ["eu-west-1a"] }), 'test.availabilityZones: ["eu-west-1a"] — must list 2..6 zones (RDS subnet groups and RDS Proxy need at least two)'],
  ["zone of another region", environment({ availabilityZones: ["eu-west-1a", "us-east-1b"] }), 'test.availabilityZones[1]: "us-east-1b" — must be a zone of eu-west-1, e.g. "eu-west-1a"'],
  ["repeated zone", environment({ availabilityZones: ["eu-west-1a", "eu-west-1a"] }), 'test.availabilityZones: ["eu-west-1a","eu-west-1a"] — must not repeat a zone'],
  ["tag key prefix", environment({ tags: { "aws:owner": "x" } }), 'test.tags.aws:owner: "aws:owner" — key must be 1..128 letters, digits, spaces or _.:/=+-@ and must not start with aws: or rds:'],
  ["tag key prefix RDS keeps", environment({ tags: { "RDS:team": "x" } }), 'test.tags.RDS:team: "RDS:team" — key must be 1..128 letters, digits, spaces or _.:/=+-@ and must not start with aws: or rds:'],
  ["tag value prefix", environment({ tags: { Owner: "aws:shop" } }), 'test.tags.Owner: "aws:shop" — value must be at most 256 letters, digits, spaces or _.:/=+-@ and must not start with aws: or rds:'],
  ["tag value prefix RDS keeps", environment({ tags: { Owner: "rds:shop" } }), 'test.tags.Owner: "rds:shop" — value must be at most 256 letters, digits, spaces or _.:/=+-@ and must not start with aws: or rds:'],
  ["tag value characters", environment({ tags: { Owner: "a;b" } }), 'test.tags.Owner: "a;b" — value must be at most 256 letters, digits, spaces or _.:/=+-@ and must not start with aws: or rds:'],
  ["state bucket", environment({ stateBackend: { type: "s3", bucket: "My_Bucket", keyPrefix: "dbstack", region: "eu-west-1" } }), 'test.stateBackend.bucket: "My_Bucket" — must be an S3 bucket name: 3..63 lowercase letters, digits, dots and hyphens'],
  ["state key prefix", environment({ stateBackend: { type: "s3", bucket: "state", keyPrefix: "/dbstack/", region: "eu-west-1" } }), 'test.stateBackend.keyPrefix: "/dbstack/" — must be an S3 key prefix without leading or trailing "/", e.g. "dbstack/orders"'],
  ["state region", environment({ stateBackend: { type: "s3", bucket: "state", keyPrefix: "dbstack", region: "nowhere" } }), `test.stateBackend.region: "nowhere" — must be ${REGION_TEXT}`],
  ["state backend type", environment({ stateBackend: { type: "gcs" } as never }), 'test.stateBackend.type: "gcs" — must be one of "s3", "local"'],
  ["state role that is not an IAM role ARN", environment({ stateBackend: { ...s3State, assumeRole: { roleArn: "arn:aws:iam::444444444444:user/ci" } } }),
    'test.stateBackend.assumeRole.roleArn: "arn:aws:iam::444444444444:user/ci" — must be an IAM role ARN: arn:<partition>:iam::<12-digit account>:role/[<path>/]<name>'],
  ["state role with a region", environment({ stateBackend: { ...s3State, assumeRole: { roleArn: "arn:aws:iam:eu-west-1:444444444444:role/state" } } }),
    'test.stateBackend.assumeRole.roleArn: "arn:aws:iam:eu-west-1:444444444444:role/state" — must be an IAM role ARN: arn:<partition>:iam::<12-digit account>:role/[<path>/]<name>'],
  ["state role in another partition", environment({ stateBackend: { ...s3State, assumeRole: { roleArn: "arn:aws-cn:iam::444444444444:role/state" } } }),
    'test.stateBackend.assumeRole.roleArn: "arn:aws-cn:iam::444444444444:role/state" — must be in the aws partition of the state bucket\'s region eu-west-1 (arn:aws:iam::…), not aws-cn'],
  ["state role in the China partition for a bucket there", environment({ region: "cn-north-1", availabilityZones: ["cn-north-1a", "cn-north-1b"], stateBackend: { ...s3State, region: "cn-north-1", assumeRole: { roleArn: "arn:aws:iam::444444444444:role/state" } } }),
    'test.stateBackend.assumeRole.roleArn: "arn:aws:iam::444444444444:role/state" — must be in the aws-cn partition of the state bucket\'s region cn-north-1 (arn:aws-cn:iam::…), not aws'],
  ["state role given as a bare name", environment({ stateBackend: { ...s3State, assumeRole: "state" as never } }),
    'test.stateBackend.assumeRole: "state" — must be { roleArn, externalId?, sessionName? }'],
  ["state role external id too short", environment({ stateBackend: { ...s3State, assumeRole: { roleArn: "arn:aws:iam::444444444444:role/state", externalId: "x" } } }),
    'test.stateBackend.assumeRole.externalId: "x" — must be 2..1224 letters, digits and _+=,.@:/- (STS AssumeRole ExternalId)'],
  ["state role external id with a space", environment({ stateBackend: { ...s3State, assumeRole: { roleArn: "arn:aws:iam::444444444444:role/state", externalId: "orders ci" } } }),
    'test.stateBackend.assumeRole.externalId: "orders ci" — must be 2..1224 letters, digits and _+=,.@:/- (STS AssumeRole ExternalId)'],
  ["state role session name too long", environment({ stateBackend: { ...s3State, assumeRole: { roleArn: "arn:aws:iam::444444444444:role/state", sessionName: "s".repeat(65) } } }),
    `test.stateBackend.assumeRole.sessionName: "${"s".repeat(65)}" — must be 2..64 letters, digits and _+=,.@- (STS AssumeRole RoleSessionName)`],
  ["state role session name with a slash", environment({ stateBackend: { ...s3State, assumeRole: { roleArn: "arn:aws:iam::444444444444:role/state", sessionName: "ci/prod" } } }),
    'test.stateBackend.assumeRole.sessionName: "ci/prod" — must be 2..64 letters, digits and _+=,.@- (STS AssumeRole RoleSessionName)'],
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
  ["aurora postgresql version", withDatabase({ engineVersion: "9.6" }), `test.database.engineVersion: "9.6" — must be an Aurora PostgreSQL version AWS offers, written "<major>.<minor>", e.g. "16.8"; current versions (catalog of 2026-12-07): ${AURORA_PG_CURRENT}`],
  ["aurora mysql version", withDatabase({ engine: "aurora-mysql", engineVersion: "5.7.mysql_aurora.2.11.2", instanceClass: "db.r6g.large" }), 'test.database.engineVersion: "5.7.mysql_aurora.2.11.2" — must be an Aurora MySQL version AWS offers, written "8.0.mysql_aurora.3.<minor>.<patch>", e.g. "8.0.mysql_aurora.3.10.0"; current versions (catalog of 2026-12-07): 8.0.mysql_aurora.3.10.0, 8.0.mysql_aurora.3.10.1, 8.0.mysql_aurora.3.10.2, 8.0.mysql_aurora.3.10.3, 8.0.mysql_aurora.3.10.4, 8.0.mysql_aurora.3.13.0'],
  ["rds mysql version", withDatabase({ engine: "mysql", engineVersion: "5.7.44", instanceClass: "db.t3.micro" }), 'test.database.engineVersion: "5.7.44" — must be an RDS for MySQL version AWS offers, written "<major>" or "<major>.<patch>", e.g. "8.4" or "8.4.8"; current versions (catalog of 2026-12-07): 8.4, 8.4.9, 8.4.10, 8.4.11'],
  ["serverless v1", withDatabase({ engineMode: "serverless" }), 'test.database.engineMode: "serverless" — Aurora Serverless v1 is refused: RDS Proxy cannot front it; use serverless: { minCapacity, maxCapacity } (Serverless v2) with engineMode "provisioned"'],
  ["aurora instance class", withDatabase({ instanceClass: "db.t3.micro" }), 'test.database.instanceClass: "db.t3.micro" — must be an Aurora instance class (db.t3.medium, db.t3.large, db.t4g.medium, db.t4g.large, db.r5.large, db.r5.xlarge, …) or omitted with serverless set'],
  ["rds instance class", withDatabase({ engine: "postgres", engineVersion: "16", instanceClass: "db.x9.huge" }), 'test.database.instanceClass: "db.x9.huge" — must be an RDS instance class (db.t3.micro, db.t3.small, db.t3.medium, db.t3.large, db.t3.xlarge, db.t3.2xlarge, …)'],
  ["serverless with a class", withDatabase({ serverless: { minCapacity: 1, maxCapacity: 4 }, instanceClass: "db.r6g.large" }), 'test.database.instanceClass: "db.r6g.large" — must not be set with serverless (Serverless v2 instances are db.serverless)'],
  ["serverless min", withDatabase({ serverless: { minCapacity: 0, maxCapacity: 4 }, instanceClass: undefined }), "test.database.serverless.minCapacity: 0 — must be 0.5..256 in steps of 0.5 (dbstack does not offer 0-ACU auto-pause)"],
  ["serverless step", withDatabase({ serverless: { minCapacity: 0.5, maxCapacity: 2.25 }, instanceClass: undefined }), "test.database.serverless.maxCapacity: 2.25 — must be 1..256 in steps of 0.5"],
  ["serverless min above max", withDatabase({ serverless: { minCapacity: 8, maxCapacity: 4 }, instanceClass: undefined }), "test.database.serverless.minCapacity: 8 — must not exceed serverless.maxCapacity (4)"],

  ["serverless on rds", withDatabase({ engine: "postgres", engineVersion: "16", instanceClass: "db.t4g.medium", serverless: { minCapacity: 1, maxCapacity: 2 } }), 'test.database.serverless: {"minCapacity":1,"maxCapacity":2} — applies to Aurora engines only'],
  ["readers", withDatabase({ readers: 16 }), "test.database.readers: 16 — must be a whole number from 0 to 15"],
  ["readers on rds", withDatabase({ engine: "postgres", engineVersion: "16", instanceClass: "db.t4g.medium", readers: 1 }), "test.database.readers: 1 — applies to Aurora only; for read scaling use an Aurora engine"],
  ["multi-az on aurora", withDatabase({ multiAz: true }), "test.database.multiAz: true — applies to RDS instances only; Aurora gets availability from readers in other zones"],
  ["storage on aurora", withDatabase({ storage: { allocatedGiB: 50 } }), 'test.database.storage: {"allocatedGiB":50} — applies to RDS instances only; Aurora storage grows by itself'],
  ["io-optimized on rds", withDatabase({ engine: "postgres", engineVersion: "16", instanceClass: "db.t4g.medium", ioOptimized: true }), "test.database.ioOptimized: true — applies to Aurora only"],
  ["allocated storage", withDatabase({ engine: "postgres", engineVersion: "16", instanceClass: "db.t4g.medium", storage: { allocatedGiB: 10 } }), "test.database.storage.allocatedGiB: 10 — must be a whole number from 20 to 65536"],
  ["storage autoscaling ceiling", withDatabase({ engine: "postgres", engineVersion: "16", instanceClass: "db.t4g.medium", storage: { allocatedGiB: 200, maxAllocatedGiB: 100 } }), "test.database.storage.maxAllocatedGiB: 100 — must be at least 10 % above storage.allocatedGiB (200): 220 or more — RDS storage autoscaling refuses a lower ceiling"],
  ["storage type", withDatabase({ engine: "postgres", engineVersion: "16", instanceClass: "db.t4g.medium", storage: { type: "io1" as never } }), 'test.database.storage.type: "io1" — must be one of "gp2", "gp3"'],
  ["database name", withDatabase({ databaseName: "1shop" }), 'test.database.databaseName: "1shop" — must be lowercase letters, digits or underscores, starting with a letter or underscore'],
  ["reserved database name", withDatabase({ databaseName: "template1" }), 'test.database.databaseName: "template1" — must not be one PostgreSQL reserves (postgres, template0, template1, rdsadmin)'],
  ["master username", withDatabase({ masterUsername: "admin-user" }), 'test.database.masterUsername: "admin-user" — must be ASCII letters, digits or underscores, starting with a letter'],
  ["mysql master username length", withDatabase({ ...rdsMysql, masterUsername: "a".repeat(33) }), `test.database.masterUsername: "${"a".repeat(33)}" — must be at most 32 bytes in UTF-8, not 33: MySQL would truncate or refuse it`],
  ["database name whose derived group role PostgreSQL would truncate", withDatabase({ databaseName: "d".repeat(54) }),
    `test.database.databaseName: "${"d".repeat(54)}" — must be at most 53 bytes in UTF-8, not 54: the group role "${"d".repeat(54)}_readwrite" derived from it would be 64 bytes, and PostgreSQL keeps 63`],
  ["multibyte master name past MySQL's 32 bytes", withDatabase({ ...rdsMysql, masterUsername: "adminé".repeat(5) }), `test.database.masterUsername: "${"adminé".repeat(5)}" — must be ASCII letters, digits or underscores, starting with a letter`],
  ["a setting that must be true or false", withDatabase({ deletionProtection: "yes" as never }), 'test.database.deletionProtection: "yes" — must be true or false'],
  ["a proxy setting that must be true or false", environment({ proxy: { requireTls: 1 as never } }), "test.proxy.requireTls: 1 — must be true or false"],
  ["proxy settings that are not an object", environment({ proxy: "tls" as never }), 'test.proxy: "tls" — must be an object of proxy settings'],
  ["tags that are not a map", environment({ tags: ["a"] as never }), 'test.tags: ["a"] — must be a map of tag key to value'],
  ["a user that is not an object", environment({ users: { app: null as never } }), "test.users.app: null — must be { auth?, privileges }"],
  ["a client that is not an object", environment({ clients: { services: { api: "yes" as never } } }), 'test.clients.services.api: "yes" — must be an object of settings'],
  ["serverless that is not an object", withDatabase({ serverless: null as never, instanceClass: undefined }), "test.database.serverless: null — must be { minCapacity, maxCapacity }"],
  ["suppressions that are not a list", environment({ policySuppressions: { rule: "PRX2" } as never }), 'test.policySuppressions: {"rule":"PRX2"} — must be a list of { rule, construct, reason }'],
  ["reserved master username", withDatabase({ masterUsername: "rdsadmin" }), 'test.database.masterUsername: "rdsadmin" — must not be one RDS reserves (public, none, current_user, current_role, session_user, information_schema, rdsadmin, rdsrepladmin, rdsproxyadmin, rdstopmgr, admin, or starting with pg_ or rds_)'],
  ["master username PostgreSQL engines refuse", withDatabase({ masterUsername: "admin" }), 'test.database.masterUsername: "admin" — must not be one RDS reserves (public, none, current_user, current_role, session_user, information_schema, rdsadmin, rdsrepladmin, rdsproxyadmin, rdstopmgr, admin, or starting with pg_ or rds_)'],
  ["master username a reserved key word", withDatabase({ masterUsername: "user" }), 'test.database.masterUsername: "user" — must not be a key word PostgreSQL reserves (such as user, table or select): RDS refuses it as the master user name'],
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
  ["mysql audit on rds", withDatabase({ ...rdsMysql, instanceClass: "db.t3.medium", logExports: ["audit"] }), 'test.database.logExports[0]: "audit" — must be one of "error", "general", "slowquery"'],
  ["log retention", withDatabase({ logRetentionDays: 10 }), "test.database.logRetentionDays: 10 — must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"],
  ["performance insights retention", withDatabase({ performanceInsights: { retentionDays: 30 } }), "test.database.performanceInsights.retentionDays: 30 — must be 7, 731, or a multiple of 31 up to 713 (months)"],
  ["performance insights on a micro class", withDatabase({ ...rdsMysql, performanceInsights: { enabled: true } }), "test.database.performanceInsights.enabled: true — is not available on db.t3.micro with mysql (not on db.t2.micro, db.t2.small, db.t3.micro, db.t3.small, db.t4g.micro, db.t4g.small); use another class, or turn it off"],
  ["performance insights on Aurora MySQL's db.t3", withDatabase({ engine: "aurora-mysql", engineVersion: "8.0.mysql_aurora.3.10.0", instanceClass: "db.t3.medium", performanceInsights: { enabled: true } }),
    "test.database.performanceInsights.enabled: true — is not available on db.t3.medium with aurora-mysql (not on db.t2.*, db.t3.*, db.t4g.micro, db.t4g.small); use another class, or turn it off"],
  ["monitoring interval", withDatabase({ monitoringIntervalSeconds: 20 }), "test.database.monitoringIntervalSeconds: 20 — must be one of 0, 1, 5, 10, 15, 30, 60"],
  // Users
  ["user name", environment({ users: { App: { privileges: "readwrite" } } }), 'test.users.App: "App" — user name must be 1..63 lowercase letters, digits or underscores, starting with a letter or underscore'],
  ["reserved user name", environment({ users: { rds_iam: { privileges: "readwrite" } } }), 'test.users.rds_iam: "rds_iam" — user name must not be one PostgreSQL or RDS reserves (public, none, current_user, current_role, session_user, postgres, information_schema, rdsadmin, rdsrepladmin, rdsproxyadmin, rdstopmgr, or starting with pg_ or rds_)'],
  ["user named like the master", environment({ users: { dbadmin: { privileges: "owner" } } }), 'test.users.dbadmin: "dbadmin" — user name must differ from the master user, which the proxy already serves'],
  ["mysql user name length", withDatabase(rdsMysql, { users: { ["u".repeat(33)]: { privileges: "readonly" } } }), `test.users.${"u".repeat(33)}: "${"u".repeat(33)}" — user name must be 1..32 lowercase letters, digits or underscores, starting with a letter or underscore`],
  ["password and iam at once", environment({ users: { app: { auth: "password+iam" as never, privileges: "readwrite" } } }), 'test.users.app.auth: "password+iam" — must be "iam", "password" or "direct-iam": RDS Proxy requires or disables IAM per user for PostgreSQL and MySQL, it cannot accept both'],
  ["user auth", environment({ users: { app: { auth: "kerberos" as never, privileges: "readwrite" } } }), 'test.users.app.auth: "kerberos" — must be one of "iam", "password", "direct-iam"'],
  ["direct iam without database iam", withDatabase({ iamAuthentication: false }, { users: { etl: { auth: "direct-iam", privileges: "readonly" } } }), 'test.users.etl.auth: "direct-iam" — needs database.iamAuthentication: the database itself must accept IAM tokens'],
  ["ecs as a direct iam user", environment({ users: { etl: { auth: "direct-iam", privileges: "readonly" } }, clients: { services: { api: { user: "etl", container: { imageRepository: "shop", imageTag: "1", cpu: 256, memory: 512 } } } } }), 'test.clients.services.api.user: "etl" — must be one of the environment\'s users (none configured)'],
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
  ["unknown pinning filter", withDatabase(rdsMysql, { proxy: { pool: { sessionPinningFilters: ["EXCLUDE_ALL"] } } }), 'test.proxy.pool.sessionPinningFilters[0]: "EXCLUDE_ALL" — must be one of "EXCLUDE_VARIABLE_SETS"'],
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

  it("accepts Serverless v2 at 256 ACUs on a current version", () => {
    expect(problemsOf(withDatabase({ serverless: { minCapacity: 0.5, maxCapacity: 256 }, instanceClass: undefined }))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// What AWS, the provider or the engine would refuse at deploy: refused at synth, naming the setting
// ---------------------------------------------------------------------------------------------------------

const withClients = (clients: EnvironmentInput["clients"], overrides: Partial<EnvironmentInput> = {}) =>
  environment({ users: { app: { auth: "iam", privileges: "readwrite" }, migrator: { auth: "iam", privileges: "owner" } }, clients, ...overrides });
const container = { imageRepository: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop", imageTag: "1", cpu: 256, memory: 512 };
const pipeline = {
  connectionArn: "arn:aws:codeconnections:eu-west-1:123456789012:connection/0f5e8a52-3b1d-4c8e-9a77-2f0d6c1b9e10",
  repository: "example/shop", branch: "main", ecsCluster: "shop", ecsService: "shop",
  imageRepository: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop",
};
const withPipeline = (overrides: Partial<EnvironmentInput> = {}, pipelineChanges: Partial<typeof pipeline> = {}) =>
  withClients({ services: { api: { user: "app", container } }, migrations: { user: "migrator", pipeline: { ...pipeline, ...pipelineChanges } } }, overrides);
const adopt = (databaseSubnetIds: unknown[]) => environment({
  network: { mode: "adopt", vpcId: "vpc-0123456789abcdef0", applicationSubnetIds: ["subnet-0123456789abcdef1"], databaseSubnetIds: databaseSubnetIds as never },
});
const auroraMysql304 = { engine: "aurora-mysql", engineVersion: "8.0.mysql_aurora.3.04.3", instanceClass: "db.r6g.large" } as const;
/** A day 3.04 (LTS) was still offered: 128-ACU and class limits of older versions show on real data. */
const JUNE_2026 = new Date("2026-06-01T00:00:00Z");
const users = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`user_${i}`, { auth: "iam" as const, privileges: "readonly" as const }]));
const tags = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`Tag${i}`, "x"]));

const deployCases: [string, EnvironmentInput, string, Date?][] = [
  // ----- Names and places that exist
  ["a region that does not exist", environment({ region: "eu-west-4", availabilityZones: ["eu-west-4a", "eu-west-4b"] }), `test.region: "eu-west-4" — must be ${REGION_TEXT}`],
  ["a zone the region does not have", environment({ availabilityZones: ["eu-west-1a", "eu-west-1d"] }), 'test.availabilityZones[1]: "eu-west-1d" — must be a zone eu-west-1 has: eu-west-1a, eu-west-1b, eu-west-1c'],
  ["a China zone that does not exist", environment({ region: "cn-north-1", availabilityZones: ["cn-north-1a", "cn-north-1c"] }), 'test.availabilityZones[1]: "cn-north-1c" — must be a zone cn-north-1 has: cn-north-1a, cn-north-1b, cn-north-1d'],
  ["a zone letter no account has", environment({ region: "ca-central-1", availabilityZones: ["ca-central-1a", "ca-central-1e"] }),
    'test.availabilityZones[1]: "ca-central-1e" — must be a zone ca-central-1 has: ca-central-1a, ca-central-1b, ca-central-1c, ca-central-1d'],
  ["a key in another partition", environment({ encryption: { kmsKeyArn: "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/0b2d6a1e-1111-4c1d-9a4e-123456789abc" } }),
    'test.encryption.kmsKeyArn: "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/0b2d6a1e-1111-4c1d-9a4e-123456789abc" — must be in the aws partition of eu-west-1 (arn:aws:…), not aws-us-gov'],
  ["a state key outside the state bucket's region", environment({ stateBackend: { type: "s3", bucket: "shop-state", keyPrefix: "dbstack", region: "eu-west-1", kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/0b2d6a1e-1111-4c1d-9a4e-123456789abc" } }),
    'test.stateBackend.kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/0b2d6a1e-1111-4c1d-9a4e-123456789abc" — must be in eu-west-1 (the state bucket\'s region)'],
  ["a connection in another partition", withPipeline({}, { connectionArn: "arn:aws-cn:codeconnections:cn-north-1:123456789012:connection/0f5e8a52-3b1d-4c8e-9a77-2f0d6c1b9e10" }),
    'test.clients.migrations.pipeline.connectionArn: "arn:aws-cn:codeconnections:cn-north-1:123456789012:connection/0f5e8a52-3b1d-4c8e-9a77-2f0d6c1b9e10" — must be in the aws partition of eu-west-1 (arn:aws:…), not aws-cn'],
  ["an image repository in another partition", withClients({ services: { api: { user: "app", container: { ...container, imageRepository: "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/shop" } } } }),
    'test.clients.services.api.container.imageRepository: "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/shop" — is in the aws-cn partition; the environment (eu-west-1) is in aws, and ECS cannot pull across partitions'],
  ["an image repository in a region that does not exist", withPipeline({}, { imageRepository: "123456789012.dkr.ecr.eu-west-9.amazonaws.com/shop" }),
    `test.clients.migrations.pipeline.imageRepository: "123456789012.dkr.ecr.eu-west-9.amazonaws.com/shop" — names region "eu-west-9", which is not ${REGION_TEXT}`],
  // ----- Every derived name within its service's rules
  ["an artifact bucket name over 63 characters", withPipeline({ app: "orders-fulfilment-engine", name: "integration" }),
    'integration.names.migrations.pipeline.artifactsBucket: "orders-fulfilment-engine-integration-pipeline-123456789012-eu-west-1" — must be 3..63 characters (it is 68) (Amazon S3 User Guide, General purpose bucket naming rules); it is derived from app, name, account and region: shorten app or name'],
  ["a bucket name with a prefix S3 reserves", withPipeline({ app: "sthree" }),
    'test.names.migrations.pipeline.artifactsBucket: "sthree-test-pipeline-123456789012-eu-west-1" — must not start with "sthree-", a prefix S3 reserves (Amazon S3 User Guide, General purpose bucket naming rules); it is derived from app, name, account and region: shorten app or name'],
  ["a security group name starting with sg-", environment({ app: "sg" }),
    'test.names.network.securityGroups.database-clients: "sg-test-database-clients" — must not start with "sg-" (Amazon EC2 API Reference, CreateSecurityGroup GroupName); it is derived from app and name: shorten them'],
  ["parameter names Parameter Store reserves", environment({ app: "awsome" }),
    'test.names.parameters.host: "/awsome/test/database/host" — must not start with "aws" or "ssm", which Parameter Store reserves (AWS Systems Manager User Guide, Parameter Store: requirements and constraints for parameter names); it is derived from app, name and the user names'],
  ["a state bucket S3 would refuse", environment({ stateBackend: { type: "s3", bucket: "shop-state--ol-s3", keyPrefix: "dbstack", region: "eu-west-1" } }),
    'test.stateBackend.bucket: "shop-state--ol-s3" — must not end with "--ol-s3", a suffix S3 reserves (Amazon S3 User Guide, General purpose bucket naming rules)'],
  // ----- Counts that include what the modules add
  ["tags that leave no room for dbstack's", environment({ tags: tags(45) }),
    'test.tags: "45 tags" — must leave room for dbstack\'s own: AWS allows 50 tags per resource, and dbstack adds App, Environment, ManagedBy to every resource and Name, Tier, Private to subnets, so at most 44 other tags (a fixed limit)'],
  ["more secrets than one proxy may have", environment({ users: users(200) }),
    'test.users: "200 users served by the proxy" — RDS Proxy allows at most 200 secrets per proxy, the master user\'s included: at most 199 proxy users (Amazon RDS User Guide, Quotas and limitations for RDS Proxy)'],
  ["a parameter hierarchy deeper than 15 levels", environment({ parameters: { "a/b/c/d/e/f/g/h/i/j/k/l/m": "x" } }),
    'test.parameters.a/b/c/d/e/f/g/h/i/j/k/l/m: "/shop/test/database/a/b/c/d/e/f/g/h/i/j/k/l/m" — must be at most 15 levels deep (it is 16) (AWS Systems Manager User Guide, Parameter Store: requirements and constraints for parameter names)'],
  ["a parameter name longer than 1011 characters with its ARN", environment({ parameters: { ["x".repeat(950)]: "x" } }),
    `test.parameters.${"x".repeat(950)}: "/shop/test/database/${"x".repeat(950)}" — must be at most 1011 characters counting its ARN (it is 1014) (AWS Systems Manager User Guide, Parameter Store: requirements and constraints for parameter names)`],
  ["a parameter value over 4 KB", environment({ parameters: { motd: "é".repeat(2049) } }),
    'test.parameters.motd: "4098 bytes" — value must be at most 4 KB (4096 bytes) in the SSM standard tier (AWS Systems Manager User Guide, Managing parameter tiers)'],
  // ----- Engine versions and features as data
  ["an Aurora version the calendar does not list", withDatabase({ engineVersion: "16.12" }),
    `test.database.engineVersion: "16.12" — must be an Aurora PostgreSQL version AWS offers, written "<major>.<minor>", e.g. "16.8"; current versions (catalog of 2026-12-07): ${AURORA_PG_CURRENT}`],
  ["an RDS version AWS marked NO_CREATE", withDatabase({ engine: "postgres", engineVersion: "16.12", instanceClass: "db.t4g.medium" }),
    'test.database.engineVersion: "16.12" — must be an RDS for PostgreSQL version AWS offers, written "<major>" or "<major>.<minor>", e.g. "16" or "16.10"; current versions (catalog of 2026-12-07): 15, 15.18, 15.19, 16, 16.14, 16.15, 17, 17.10, 17.11, 18, 18.4, 18.6'],
  ["a version that was never released", withDatabase({ engineVersion: "16.7" }),
    `test.database.engineVersion: "16.7" — must be an Aurora PostgreSQL version AWS offers, written "<major>.<minor>", e.g. "16.8"; current versions (catalog of 2026-12-07): ${AURORA_PG_CURRENT}`],
  ["a Serverless v2 capacity the version cannot reach", withDatabase({ ...auroraMysql304, instanceClass: undefined, serverless: { minCapacity: 0.5, maxCapacity: 256 } }),
    "test.database.serverless.maxCapacity: 256 — must be at most 128 on Aurora MySQL 8.0.mysql_aurora.3.04.3: 256 ACUs need 3.06.0 or later", JUNE_2026],
  ["an instance class the version does not support", withDatabase({ ...auroraMysql304, instanceClass: "db.r8g.large" }),
    'test.database.instanceClass: "db.r8g.large" — needs Aurora MySQL 3.08.0 or later; engineVersion is 8.0.mysql_aurora.3.04.3', JUNE_2026],
  // ----- Things that expire
  ["an Aurora minor version past its end of standard support", withDatabase({ engineVersion: "16.6" }),
    `test.database.engineVersion: "16.6" — is refused for new databases since 2026-05-01: AWS stops creating Aurora PostgreSQL 16.6 databases in the month before its end of standard support (2026-05-31); use a version it still offers: ${AURORA_PG_OFFERED}`],
  ["an Aurora minor version in the month before its end of standard support", withDatabase({ engineVersion: "17.4" }),
    `test.database.engineVersion: "17.4" — is refused for new databases since 2026-11-01: AWS stops creating Aurora PostgreSQL 17.4 databases in the month before its end of standard support (2026-11-30); use a version it still offers: ${AURORA_PG_OFFERED}`],
  ["an Aurora MySQL minor version AWS stopped creating", withDatabase({ engine: "aurora-mysql", engineVersion: "8.0.mysql_aurora.3.09.0", instanceClass: "db.r6g.large" }),
    'test.database.engineVersion: "8.0.mysql_aurora.3.09.0" — is refused for new databases since 2026-08-01: AWS stops creating Aurora MySQL 8.0.mysql_aurora.3.09.0 databases in the month before its end of standard support (2026-08-31); use a version it still offers: 8.0.mysql_aurora.3.10.0, 8.0.mysql_aurora.3.10.1, 8.0.mysql_aurora.3.10.2, 8.0.mysql_aurora.3.10.3, 8.0.mysql_aurora.3.10.4, 8.0.mysql_aurora.3.13.0'],
  ["an RDS for MySQL minor version AWS stopped creating", withDatabase({ ...rdsMysql, engineVersion: "8.4.7" }),
    'test.database.engineVersion: "8.4.7" — is refused for new databases since 2026-11-01: AWS stops creating RDS for MySQL 8.4.7 databases in the month before its end of standard support (2026-11-30); use a version it still offers: 8.4, 8.4.9, 8.4.10, 8.4.11'],
  ["an RDS major version past its end of standard support", withDatabase({ ...rdsMysql, engineVersion: "8.0" }),
    'test.database.engineVersion: "8.0" — is refused for new databases since 2026-07-01, the month before its end of standard support (2026-07-31): AWS then creates RDS for MySQL 8.0 databases only under paid RDS Extended Support, which dbstack does not opt into; use a version it still offers: 8.4, 8.4.9, 8.4.10, 8.4.11'],
  ["the Lambda runtime once AWS blocks creating functions on it", withClients({ functions: { reports: { user: "app" } } }),
    'test.clients.functions.reports.runtime: "nodejs22.x" — AWS Lambda blocks creating functions on nodejs22.x since 2027-06-01 (updates from 2027-07-01): move to a supported runtime (LAMBDA_RUNTIME in modules/clients.ts)', new Date("2027-06-01T00:00:00Z")],
  ["the migrations' Node.js after its end of life", withClients({ migrations: { user: "migrator" } }),
    'test.clients.migrations.runtime: "nodejs 22" — Node.js 22 reached end of life on 2027-04-30 and CodeBuild drops end-of-life runtimes from its images: move the buildspec to a newer Node.js (MIGRATIONS_NODEJS_MAJOR in modules/migrations.ts)', new Date("2027-05-01T00:00:00Z")],
  ["a build image without the buildspec's Node.js", withClients({ migrations: { user: "migrator", image: "aws/codebuild/standard:6.0" } }),
    'test.clients.migrations.image: "aws/codebuild/standard:6.0" — offers Node.js 16, 18, not 22, which the migration buildspec needs; use aws/codebuild/amazonlinux-x86_64-standard:5.0'],
  ["a build image CodeBuild does not provide", withClients({ migrations: { user: "migrator", image: "aws/codebuild/amazonlinux-aarch64-standard:3.0" } }),
    'test.clients.migrations.image: "aws/codebuild/amazonlinux-aarch64-standard:3.0" — must be a CodeBuild x86_64 Linux image in the catalog (aws/codebuild/amazonlinux-x86_64-standard:6.0, aws/codebuild/amazonlinux-x86_64-standard:5.0, aws/codebuild/amazonlinux2-x86_64-standard:5.0, aws/codebuild/amazonlinux2-x86_64-standard:4.0, aws/codebuild/standard:8.0, aws/codebuild/standard:7.0, aws/codebuild/standard:6.0) or an image from another registry'],
  ["the Amazon Linux 2 image, which has no Node.js 22", withClients({ migrations: { user: "migrator", image: "aws/codebuild/amazonlinux2-x86_64-standard:4.0" } }),
    'test.clients.migrations.image: "aws/codebuild/amazonlinux2-x86_64-standard:4.0" — offers Node.js 16, 18, not 22, which the migration buildspec needs; use aws/codebuild/amazonlinux-x86_64-standard:5.0'],
  // ----- RDS storage autoscaling
  ["an autoscaling ceiling equal to the allocation", withDatabase({ engine: "postgres", engineVersion: "16", instanceClass: "db.t4g.medium", storage: { allocatedGiB: 500, maxAllocatedGiB: 500 } }),
    "test.database.storage.maxAllocatedGiB: 500 — must be at least 10 % above storage.allocatedGiB (500): 550 or more — RDS storage autoscaling refuses a lower ceiling"],
  ["an allocation that leaves no room to autoscale", withDatabase({ engine: "postgres", engineVersion: "16", instanceClass: "db.t4g.medium", storage: { allocatedGiB: 60000 } }),
    "test.database.storage.allocatedGiB: 60000 — must be at most 59578: storage autoscaling (always on) needs a ceiling 10 % above it, and RDS storage ends at 65536 GiB"],
  // ----- Adopted networks
  ["the same subnet listed twice", adopt(["subnet-0123456789abcdef3", "subnet-0123456789abcdef3"]),
    'test.network.databaseSubnetIds[1]: "subnet-0123456789abcdef3" — repeats databaseSubnetIds[0]: list each subnet once'],
  ["database subnets that cannot span two zones", adopt([{ ssmParameter: "/net/db-a" }, { ssmParameter: "/net/db-a" }]),
    'test.network.databaseSubnetIds: [{"ssmParameter":"/net/db-a"},{"ssmParameter":"/net/db-a"}] — must list at least 2 different subnets in different availability zones (a DB subnet group and RDS Proxy need two zones)'],
  // ----- The production contract
  ["local state in production", environment({ production: true }),
    'test.stateBackend.type: "local" — must be "s3" in production: local state is unshared, unlocked and unencrypted'],
  ["suppressing a rule that escalates in production", environment({ production: true, stateBackend: s3State, policySuppressions: [{ rule: "DBS3", construct: "database", reason: "we would like to delete it freely" }] }),
    'test.policySuppressions[0].rule: "DBS3" — escalates to an error in production: production cannot suppress it (relax it in a non-production environment only)'],
  ["suppressing an error rule in production", environment({ production: true, stateBackend: s3State, policySuppressions: [{ rule: "DBS1", construct: "database", reason: "the default key is good enough here" }] }),
    'test.policySuppressions[0].rule: "DBS1" — is an error-level rule: production cannot suppress it'],
  // ----- Secrets in values, not only names
  ["a connection URL with a password in a plain variable", withClients({ services: { api: { user: "app", container: { ...container, environment: { DATABASE_URL: "postgres://app:hunter2@db.example.com:5432/shop" } } } } }),
    'test.clients.services.api.container.environment.DATABASE_URL: "(redacted)" — value looks like a URL with a password in it (scheme://user:password@host): plain environment variables are visible in the task definition; store it in Secrets Manager'],
  ["an access key in a plain variable", withClients({ services: { api: { user: "app", container: { ...container, environment: { UPLOADS: "AKIAIOSFODNN7EXAMPLE" } } } } }),
    'test.clients.services.api.container.environment.UPLOADS: "(redacted)" — value looks like an AWS access key id: plain environment variables are visible in the task definition; store it in Secrets Manager'],
  ["a credential in a plain parameter", environment({ parameters: { "cache/url": "redis://:s3cr3t@cache.example.com:6379" } }),
    'test.parameters.cache/url: "(redacted)" — value looks like a URL with a password in it (scheme://user:password@host): it would be a plain String parameter, readable with ssm:GetParameter; keep it in Secrets Manager'],
];

describe("what AWS would refuse at deploy is refused at synth", () => {
  it.each(deployCases)("fails on %s", (_rule, input, expected, now) => {
    expect(problemsOf(input, now)).toContain(expected);
  });

  it("fails when the proxy role's inline policy would outgrow IAM's 10,240 characters", () => {
    expect(problemsOf(environment({ users: users(140) }))).toContainEqual(expect.stringMatching(
      /^test\.users: "140 users served by the proxy" — the proxy role's inline policy would be about \d{5} characters \(one secret ARN per user\); IAM allows 10240 per role, a quota AWS does not raise/));
    expect(problemsOf(environment({ users: users(100) }))).toEqual([]);
  });

  it("counts tags once when the user's repeat dbstack's keys", () => {
    expect(problemsOf(environment({ tags: { ...tags(43), Name: "shared" } }))).toEqual([]);
    expect(problemsOf(environment({ tags: tags(44) }))).toEqual([]);
  });

  it("keeps credentials out of the error message", () => {
    const input = withClients({ services: { api: { user: "app", container: { ...container, environment: { DATABASE_URL: "postgres://app:hunter2@db:5432/shop" } } } } }, { parameters: { "cache/url": "redis://:s3cr3t@cache:6379" } });
    const message = problemsOf(input).join("\n");
    expect(message).not.toContain("hunter2");
    expect(message).not.toContain("s3cr3t");
  });

  it("accepts plain URLs and values without credentials", () => {
    const input = withClients({ services: { api: { user: "app", container: { ...container, environment: { API_URL: "https://api.example.com:8443/v1", HEALTH: "http://localhost:8000/health" } } } } }, { parameters: { "feature/flags": "a=1,b=2" } });
    expect(problemsOf(input)).toEqual([]);
  });

  it("accepts zone letters that exist only for older accounts", () => {
    expect(problemsOf(environment({ region: "ap-northeast-1", availabilityZones: ["ap-northeast-1a", "ap-northeast-1b"] }))).toEqual([]);
    expect(problemsOf(environment({ region: "ca-central-1", availabilityZones: ["ca-central-1a", "ca-central-1c"] }))).toEqual([]);
  });

  it("accepts the newer CodeBuild images, which offer Node.js 22", () => {
    for (const image of ["aws/codebuild/amazonlinux-x86_64-standard:6.0", "aws/codebuild/standard:8.0"]) {
      expect(problemsOf(withClients({ migrations: { user: "migrator", image } }))).toEqual([]);
    }
  });

  it("accepts GovCloud and China regions with their own zones and partitions", () => {
    const [gov] = resolveEnvironments([environment({ region: "us-gov-west-1", availabilityZones: ["us-gov-west-1a", "us-gov-west-1b"] })], { now: NOW });
    const [china] = resolveEnvironments([environment({ region: "cn-north-1", availabilityZones: ["cn-north-1a", "cn-north-1d"] })], { now: NOW });
    expect(gov!.partition).toBe("aws-us-gov");
    expect(china!.partition).toBe("aws-cn");
  });

  it("accepts both state layouts: a bucket of the account, and a central bucket through a role with a path, external id and session name", () => {
    expect(problemsOf(environment({ production: true, stateBackend: s3State, monitoring: oncall }))).toEqual([]);
    const assumeRole = { roleArn: "arn:aws:iam::444444444444:role/platform/dbstack-state", externalId: "orders:ci/2026=a,b.c@d-e_f+g", sessionName: "dbstack_prod+ci=1,2.3@x-y" };
    expect(problemsOf(environment({ production: true, stateBackend: { ...s3State, assumeRole }, monitoring: oncall }))).toEqual([]);
    expect(problemsOf(environment({ stateBackend: { ...s3State, assumeRole: { roleArn: "arn:aws:iam::444444444444:role/state", externalId: "e".repeat(1224), sessionName: "s".repeat(64) } } }))).toEqual([]);
  });

  it("lets production suppress a warning that does not escalate", () => {
    expect(problemsOf(environment({ production: true, stateBackend: s3State, monitoring: oncall, policySuppressions: [{ rule: "DBS6", construct: "database", reason: "snapshots are tagged by the backup plan" }] }))).toEqual([]);
  });

  it("gives larger disks a default autoscaling ceiling RDS accepts", () => {
    const [config] = resolveEnvironments([withDatabase({ engine: "postgres", engineVersion: "16", instanceClass: "db.t4g.medium", storage: { allocatedGiB: 500 } })], { now: NOW });
    expect(config!.database.storage).toEqual({ allocatedGiB: 500, maxAllocatedGiB: 1000, type: "gp3" });
  });
});

describe("warnings: accepted today, refused soon", () => {
  it("name the day AWS stops creating an engine version within 90 days, on that environment only", () => {
    const [soon, later] = resolveEnvironments([
      withDatabase({ engineVersion: "17.5" }, { name: "soon" }),
      withDatabase({ engineVersion: "16.8" }, { name: "later" }),
    ], { now: NOW });
    expect(soon!.warnings).toEqual([
      'soon.database.engineVersion: "17.5" — AWS stops creating Aurora PostgreSQL 17.5 databases on 2026-12-01, in 8 days (the month before its end of standard support, 2026-12-31, when it also upgrades running ones); move to a newer version',
    ]);
    expect(later!.warnings).toEqual([]);
  });

  it("name the creation-block day of the last RDS minors the calendar lists", () => {
    const [mysql] = resolveEnvironments([withDatabase({ ...rdsMysql, engineVersion: "8.4.8" })], { now: NOW });
    expect(mysql!.warnings).toEqual([
      'test.database.engineVersion: "8.4.8" — AWS stops creating RDS for MySQL 8.4.8 databases on 2027-01-01, in 39 days (the month before its end of standard support, 2027-02-03, when it also upgrades running ones); move to a newer version',
    ]);
    const rdsPostgres = withDatabase({ engine: "postgres", engineVersion: "16.13", instanceClass: "db.t4g.medium" });
    expect(resolveEnvironments([rdsPostgres], { now: NOW })[0]!.warnings).toEqual([]);
    expect(resolveEnvironments([rdsPostgres], { now: new Date("2027-02-01T00:00:00Z") })[0]!.warnings).toEqual([
      'test.database.engineVersion: "16.13" — AWS stops creating RDS for PostgreSQL 16.13 databases on 2027-03-01, in 28 days (the month before its end of standard support, 2027-03-31, when it also upgrades running ones); move to a newer version',
    ]);
  });

  it("name the Lambda runtime's block date within 90 days", () => {
    const [config] = resolveEnvironments([withClients({ functions: { reports: { user: "app" } } })], { now: new Date("2027-04-01T00:00:00Z") });
    expect(config!.warnings).toContain(
      'test.clients.functions.reports.runtime: "nodejs22.x" — AWS Lambda blocks creating functions on nodejs22.x from 2027-06-01, in 61 days (updates from 2027-07-01): move to a newer runtime (LAMBDA_RUNTIME in modules/clients.ts)');
  });

  it("name the migrations' Node.js end of life within 90 days", () => {
    const [config] = resolveEnvironments([withClients({ migrations: { user: "migrator" } })], { now: new Date("2027-02-15T00:00:00Z") });
    expect(config!.warnings).toEqual([
      'test.clients.migrations.runtime: "nodejs 22" — Node.js 22 reaches end of life on 2027-04-30, in 74 days, and CodeBuild then drops it from its images: move to a newer Node.js (MIGRATIONS_NODEJS_MAJOR in modules/migrations.ts)',
    ]);
  });
});

describe("derived names", () => {
  it("are exposed once, as the constructs build them", () => {
    const [config] = resolveEnvironments([withPipeline({ parameters: { "feature/flags": "on" } })], { now: NOW });
    const names = config!.names;
    expect(names.prefix).toBe("shop-test");
    expect(names.kms).toEqual({ alias: "shop-test", aliasName: "alias/shop-test" });
    expect(names.database).toMatchObject({ identifier: "shop-test", instances: ["shop-test-1"], parameterGroups: ["shop-test-cluster"], finalSnapshot: "shop-test-final",
      monitoringRole: "shop-test-monitoring", logGroups: ["/aws/rds/cluster/shop-test/postgresql"] });
    expect(names.proxy).toEqual({ name: "shop-test", role: "shop-test-proxy", logGroup: "/aws/rds/proxy/shop-test" });
    expect(names.secrets).toEqual({ prefix: "shop/test/database", users: { app: "shop/test/database/app", migrator: "shop/test/database/migrator" } });
    expect(names.parameters.names).toContain("/shop/test/database/user-secret-arn/migrator");
    expect(names.parameters.names).toContain("/shop/test/database/feature/flags");
    expect(names.services).toEqual({ api: { family: "shop-test-api", logGroup: "/ecs/shop-test-api", executionRole: "shop-test-api-ecs-execution", taskRole: "shop-test-api-ecs-task" } });
    expect(names.migrations?.pipeline?.artifactsBucket).toBe("shop-test-pipeline-123456789012-eu-west-1");
    expect(names.functions).toEqual({});
  });
});

describe("adjustable quotas", () => {
  it("warn when a Lambda reserves more concurrency than a default account allows", () => {
    const [config] = resolveEnvironments([withClients({ functions: { reports: { user: "app", reservedConcurrency: 950 } } })], { now: NOW });
    expect(config!.warnings).toEqual([
      "test.clients.functions.reports.reservedConcurrency: 950 — is more than a default account can reserve (900: Lambda keeps 100 of the account's 1,000 concurrent executions unreserved); AWS refuses it unless the account's concurrency quota was raised (an adjustable quota)",
    ]);
  });
});
