import { Testing } from "cdktf";
import { resolveEnvironments, type EnvironmentInput } from "../stacks/config.ts";
import { Environment } from "../stacks/environment.ts";

/**
 * A valid non-production environment; tests change one thing at a time. Its network has no egress, so the
 * setup function (which needs Secrets Manager) is off here; it is on in the shipped environments and the
 * rds-mysql (NAT) and adopt-ids fixtures.
 */
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
    database: { engine: "aurora-postgresql", engineVersion: "16.8", instanceClass: "db.t4g.medium", databaseName: "shop" },
    users: { app: { auth: "iam", privileges: "readwrite" }, reporting: { auth: "password", privileges: "readonly" } },
    setup: { enabled: false },
    ...overrides,
  };
}

/** Fixture configs beyond the shipped environments: every engine shape and the adopt mode. */
export const fixtures: Record<string, EnvironmentInput> = {
  "rds-postgres": environment({
    name: "rdspg",
    database: { engine: "postgres", engineVersion: "16", instanceClass: "db.t4g.medium", databaseName: "shop", multiAz: true },
  }),
  // Seed 001's shape: a small MySQL instance behind the proxy, reached from Lambda; set up on deploy through a NAT gateway.
  "rds-mysql": environment({
    name: "rdsmysql",
    network: {
      mode: "create", vpcCidr: "10.0.0.0/16", applicationSubnetCidrs: ["10.0.0.0/20", "10.0.16.0/20"], databaseSubnetCidrs: ["10.0.128.0/24", "10.0.129.0/24"],
      egress: { type: "nat", gateways: "single", publicSubnetCidrs: ["10.0.240.0/24", "10.0.241.0/24"] },
    },
    setup: {},
    database: {
      engine: "mysql", engineVersion: "8.4", instanceClass: "db.t3.micro", databaseName: "shop",
      performanceInsights: { enabled: false }, logExports: ["error", "slowquery", "general"],
    },
    users: { lambda: { auth: "iam", privileges: "readwrite" }, etl: { auth: "direct-iam", privileges: "readonly" } },
  }),
  "aurora-mysql": environment({
    name: "auroramysql",
    database: {
      engine: "aurora-mysql", engineVersion: "8.0.mysql_aurora.3.10.4", instanceClass: "db.r6g.large", readers: 1,
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
    // An adopted network is assumed to reach Secrets Manager already.
    setup: {},
  }),
};

/** Builds one environment's stacks through the same validation main.ts uses, in a fresh test app. */
export function buildEnvironment(input: EnvironmentInput): Environment {
  const [config] = resolveEnvironments([input]);
  return new Environment(Testing.app(), config!);
}

export interface SynthesizedEnvironment {
  env: Environment;
  /** Each stack alone, by stack name ("<env>-<layer>"). */
  stacks: Record<string, { json: string; parsed: SynthesizedStack }>;
  /** Every stack's resources, data sources, locals and outputs in one document, for assertions on the whole path. */
  json: string;
  parsed: SynthesizedStack;
}

/**
 * Synthesizes every stack of an environment. Stacks are prepared first, as `app.synth()` does, so every
 * cross-stack output exists before any stack is written.
 */
export function synthEnvironment(input: EnvironmentInput): SynthesizedEnvironment {
  const env = buildEnvironment(input);
  for (const stack of env.stacks) stack.prepareStack();
  const stacks = Object.fromEntries(env.stacks.map((stack) => {
    const json = Testing.synth(stack);
    return [stack.node.id, { json, parsed: JSON.parse(json) as SynthesizedStack }];
  }));
  const parsed = mergeStacks(Object.values(stacks).map((s) => s.parsed));
  return { env, stacks, json: JSON.stringify(parsed), parsed };
}

/** One document with the blocks of several stacks; a key in two stacks would be a bug, so it throws. */
function mergeStacks(stacks: readonly SynthesizedStack[]): SynthesizedStack {
  const merged: SynthesizedStack = { terraform: {}, provider: {}, resource: {}, data: {}, locals: {}, output: {} };
  const mergeInto = (target: Record<string, unknown>, source: Record<string, unknown> | undefined, what: string) => {
    for (const [key, value] of Object.entries(source ?? {})) {
      if (key in target && !key.startsWith("cross-stack-")) throw new Error(`${what} ${key} is in two stacks`);
      target[key] = value;
    }
  };
  for (const stack of stacks) {
    for (const [type, byName] of Object.entries(stack.resource ?? {})) mergeInto((merged.resource[type] ??= {}), byName, `resource ${type}`);
    for (const [type, byName] of Object.entries(stack.data ?? {})) mergeInto((merged.data![type] ??= {}), byName, `data source ${type}`);
    mergeInto(merged.locals as Record<string, unknown>, stack.locals as Record<string, unknown> | undefined, "local");
    mergeInto(merged.output, Object.fromEntries(Object.entries(stack.output ?? {}).filter(([name]) => !name.startsWith("cross-stack-output-"))), "output");
  }
  return merged;
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
