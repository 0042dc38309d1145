import { Testing } from "cdktf";
import { resolveEnvironments, type EnvironmentInput } from "../stacks/config.ts";
import { DatabaseStack } from "../stacks/database-stack.ts";

/** A valid non-production environment; tests change one thing at a time. */
export function environment(overrides: Partial<EnvironmentInput> = {}): EnvironmentInput {
  return {
    app: "shop",
    name: "test",
    production: false,
    account: "123456789012",
    region: "eu-west-1",
    availabilityZones: ["eu-west-1a", "eu-west-1b"],
    stateBackend: { type: "local" },
    network: {
      mode: "create",
      vpcCidr: "10.0.0.0/16",
      applicationSubnetCidrs: ["10.0.0.0/20", "10.0.16.0/20"],
      databaseSubnetCidrs: ["10.0.128.0/24", "10.0.129.0/24"],
      egress: { type: "none" },
    },
    database: { engine: "aurora-postgresql", engineVersion: "16.6", instanceClass: "db.t4g.medium", databaseName: "shop" },
    users: { app: { auth: "iam", privileges: "readwrite" }, reporting: { auth: "password", privileges: "readonly" } },
    ...overrides,
  };
}

/** Fixture configs beyond the shipped environments: every engine shape and the adopt mode. */
export const fixtures: Record<string, EnvironmentInput> = {
  "rds-postgres": environment({
    name: "rdspg",
    database: { engine: "postgres", engineVersion: "16.6", instanceClass: "db.t4g.medium", databaseName: "shop", multiAz: true },
  }),
  // Seed 001's shape: a small MySQL instance behind the proxy, reached from Lambda.
  "rds-mysql": environment({
    name: "rdsmysql",
    database: {
      engine: "mysql", engineVersion: "8.0.40", instanceClass: "db.t3.micro", databaseName: "shop",
      performanceInsights: { enabled: false }, logExports: ["error", "slowquery", "general"],
    },
    users: { lambda: { auth: "iam", privileges: "readwrite" }, etl: { auth: "direct-iam", privileges: "readonly" } },
  }),
  "aurora-mysql": environment({
    name: "auroramysql",
    database: {
      engine: "aurora-mysql", engineVersion: "8.0.mysql_aurora.3.08.0", instanceClass: "db.r6g.large", readers: 1,
      databaseName: "shop", logExports: ["audit", "error", "slowquery"], maxConnections: 2000,
    },
    proxy: { clientPasswordAuthType: "MYSQL_CACHING_SHA2_PASSWORD", pool: { sessionPinningFilters: ["EXCLUDE_VARIABLE_SETS"], initQuery: "SET time_zone = '+00:00'" } },
  }),
  "adopt-ids": environment({
    name: "adopt",
    network: {
      mode: "adopt",
      vpcId: "vpc-0123456789abcdef0",
      applicationSubnetIds: ["subnet-0123456789abcdef1", "subnet-0123456789abcdef2"],
      databaseSubnetIds: ["subnet-0123456789abcdef3", "subnet-0123456789abcdef4"],
      proxyAndDatabaseGroups: "shared",
    },
  }),
};

/** Synthesizes one environment's stack through the same validation main.ts uses. */
export function synthEnvironment(input: EnvironmentInput): { json: string; stack: DatabaseStack; parsed: SynthesizedStack } {
  const [config] = resolveEnvironments([input]);
  const stack = new DatabaseStack(Testing.app(), config!);
  const json = Testing.synth(stack);
  return { json, stack, parsed: JSON.parse(json) as SynthesizedStack };
}

export interface SynthesizedStack {
  terraform: Record<string, unknown>;
  provider: Record<string, Record<string, unknown>[]>;
  resource: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  locals?: Record<string, unknown>;
  output: Record<string, { value: unknown; description?: string }>;
}

/** Every resource of one type, by logical name. */
export function resourcesOf(stack: SynthesizedStack, type: string): Record<string, Record<string, unknown>> {
  return stack.resource[type] ?? {};
}

/** The message of what `fn` throws (fails the test if it does not throw). */
export function thrownMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected the call to throw");
}
