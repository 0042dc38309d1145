import { describe, expect, it } from "vitest";
import { resolveEnvironments, type EnvironmentInput } from "../../../stacks/config.ts";
import { computeBudget } from "../../../modules/budget.ts";
import { deriveThresholds, type MonitoringSettingsInput } from "../../../modules/monitoring/settings.ts";
import { environment, thrownMessage } from "../../helpers.ts";

const s3State = { type: "s3", bucket: "shop-terraform-state", keyPrefix: "dbstack", region: "eu-west-1" } as const;
const withMonitoring = (monitoring: unknown, overrides: Partial<EnvironmentInput> = {}) => environment({ monitoring: monitoring as MonitoringSettingsInput, ...overrides });
const problemsOf = (input: EnvironmentInput) => thrownMessage(() => resolveEnvironments([input])).split("\n").slice(1).map((line) => line.replace(/^ {2}- /, ""));

describe("monitoring settings", () => {
  it("resolve subscriptions from every protocol, in order", () => {
    const [config] = resolveEnvironments([withMonitoring({ notifications: { email: ["a@example.com"], https: ["https://pager.example.com/hook"], sqs: ["arn:aws:sqs:eu-west-1:123456789012:alarms"], lambda: ["arn:aws:lambda:eu-west-1:123456789012:function:relay"] } })]);
    expect(config!.monitoring.subscriptions).toEqual([
      { protocol: "email", endpoint: "a@example.com" },
      { protocol: "https", endpoint: "https://pager.example.com/hook" },
      { protocol: "sqs", endpoint: "arn:aws:sqs:eu-west-1:123456789012:alarms" },
      { protocol: "lambda", endpoint: "arn:aws:lambda:eu-west-1:123456789012:function:relay" },
    ]);
  });

  it("accept production with an existing topic or a subscription", () => {
    expect(() => resolveEnvironments([withMonitoring({ notifications: { topicArn: "arn:aws:sns:eu-west-1:123456789012:oncall" } }, { production: true, stateBackend: s3State, users: { app: { auth: "iam", privileges: "readwrite" } } })])).not.toThrow();
  });
});

const CASES: [string, EnvironmentInput, string][] = [
  ["production without a notification target", environment({ production: true, stateBackend: s3State, users: { app: { auth: "iam", privileges: "readwrite" } } }),
    'test.monitoring.notifications: "(no topicArn, no subscription)" — must name an existing topicArn or at least one email, https, sqs or lambda subscription in production: an alarm nobody receives watches nothing'],
  ["monitoring that is not an object", withMonitoring("email me"), 'test.monitoring: "email me" — must be { notifications?, thresholds? }'],
  ["notifications that are not an object", withMonitoring({ notifications: [] }), "test.monitoring.notifications: [] — must be { topicArn?, email?, https?, sqs?, lambda? }"],
  ["an email list that is not a list", withMonitoring({ notifications: { email: "a@example.com" } }), 'test.monitoring.notifications.email: "a@example.com" — must be a list'],
  ["an address that is not one", withMonitoring({ notifications: { email: ["oncall"] } }), 'test.monitoring.notifications.email[0]: "oncall" — must be an email address'],
  ["a repeated address", withMonitoring({ notifications: { email: ["a@example.com", "a@example.com"] } }), 'test.monitoring.notifications.email: ["a@example.com","a@example.com"] — must not repeat an endpoint'],
  ["a plain http endpoint", withMonitoring({ notifications: { https: ["http://pager.example.com"] } }), 'test.monitoring.notifications.https[0]: "http://pager.example.com" — must be an https:// URL'],
  ["a queue that is not an ARN", withMonitoring({ notifications: { sqs: ["alarms"] } }), 'test.monitoring.notifications.sqs[0]: "alarms" — must be an SQS queue ARN (arn:aws:sqs:<region>:<account>:<queue>)'],
  ["a queue in another region", withMonitoring({ notifications: { sqs: ["arn:aws:sqs:us-east-1:123456789012:alarms"] } }), 'test.monitoring.notifications.sqs[0]: "arn:aws:sqs:us-east-1:123456789012:alarms" — must be in eu-west-1: SNS delivers to sqs in its own region only'],
  ["a function that is not an ARN", withMonitoring({ notifications: { lambda: ["relay"] } }), 'test.monitoring.notifications.lambda[0]: "relay" — must be a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>)'],
  ["a topic that is not an ARN", withMonitoring({ notifications: { topicArn: "oncall" } }), 'test.monitoring.notifications.topicArn: "oncall" — must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)'],
  ["a topic in another region", withMonitoring({ notifications: { topicArn: "arn:aws:sns:us-east-1:123456789012:oncall" } }), 'test.monitoring.notifications.topicArn: "arn:aws:sns:us-east-1:123456789012:oncall" — must be a topic in eu-west-1: CloudWatch alarms notify topics in their own region only'],
  ["a topic and subscriptions", withMonitoring({ notifications: { topicArn: "arn:aws:sns:eu-west-1:123456789012:oncall", email: ["a@example.com"] } }),
    'test.monitoring.notifications.topicArn: "arn:aws:sns:eu-west-1:123456789012:oncall" — cannot be combined with email, https, sqs or lambda: subscribe those on the existing topic itself'],
  ["thresholds that are not an object", withMonitoring({ thresholds: 80 }), "test.monitoring.thresholds: 80 — must be an object of threshold overrides"],
  ["an unknown threshold", withMonitoring({ thresholds: { cpu: 80 } }), "test.monitoring.thresholds.cpu: 80 — is not a threshold; known: borrowLatencyPercentOfTimeout, pinnedPercent, clientConnections, cpuPercent, freeableMemoryMiB, databaseConnectionsPercent, acuUtilizationPercent, replicaLagMs, freeLocalStorageMiB, freeStoragePercent, readLatencyMs, writeLatencyMs, maximumUsedTransactionIds, proxyPoolPercent"],
  ["a percentage above 100", withMonitoring({ thresholds: { cpuPercent: 120 } }), "test.monitoring.thresholds.cpuPercent: 120 — must be a whole number from 1 to 100"],
  ["a wraparound threshold past 2^31", withMonitoring({ thresholds: { maximumUsedTransactionIds: 2_100_000_000 } }), "test.monitoring.thresholds.maximumUsedTransactionIds: 2100000000 — must be a whole number from 100000000 to 2000000000"],
  ["a fractional latency", withMonitoring({ thresholds: { readLatencyMs: 2.5 } }), "test.monitoring.thresholds.readLatencyMs: 2.5 — must be a whole number from 1 to 10000"],
  ["a pool level that is not an object", withMonitoring({ thresholds: { proxyPoolPercent: 80 } }), "test.monitoring.thresholds.proxyPoolPercent: 80 — must be { warning?, error? }"],
  ["a pool error level of 0", withMonitoring({ thresholds: { proxyPoolPercent: { error: 0 } } }), "test.monitoring.thresholds.proxyPoolPercent.error: 0 — must be a whole number from 1 to 100"],
  ["a warning above its error level", withMonitoring({ thresholds: { proxyPoolPercent: { warning: 95, error: 90 } } }),
    "test.monitoring.thresholds.proxyPoolPercent.warning: 95 — must be below the error level (90): a warning comes before the error it warns of"],
  ["a warning at the default error level", withMonitoring({ thresholds: { proxyPoolPercent: { warning: 100 } } }),
    "test.monitoring.thresholds.proxyPoolPercent.warning: 100 — must be below the error level (100): a warning comes before the error it warns of"],
];

describe("monitoring validation", () => {
  it.each(CASES)("fails on %s", (_, input, message) => {
    expect(problemsOf(input)).toContain(message);
  });
});

describe("thresholds from the model", () => {
  const budget = computeBudget({ value: 1000, source: "test" }, 90, [{ client: "lambda", connections: 20, basis: "reserved concurrency 20" }]);

  it("derive every default from the budget, the pool and the instance", () => {
    expect(deriveThresholds({}, { budget, borrowTimeoutSeconds: 10, instanceMemoryGiB: 8, allocatedStorageGiB: 100 })).toEqual({
      proxyPoolWarningPercent: 80, proxyPoolErrorPercent: 100, borrowLatencyMicroseconds: 5_000_000, pinnedPercent: 50, clientConnections: 25,
      cpuPercent: 80, freeableMemoryBytes: Math.round(8 * 1024 ** 3 * 0.1), databaseConnections: 900, acuUtilizationPercent: 90, replicaLagMs: 1000,
      freeLocalStorageBytes: 2048 * 1024 ** 2, freeStorageBytes: 5 * 1024 ** 3, readLatencySeconds: 0.02, writeLatencySeconds: 0.02, maximumUsedTransactionIds: 1_000_000_000,
    });
  });

  it("watch borrow latency against a second when the timeout is 0 (fail at once)", () => {
    expect(deriveThresholds({}, { budget, borrowTimeoutSeconds: 0, instanceMemoryGiB: 8 }).borrowLatencyMicroseconds).toBe(500_000);
  });

  it("replace only what is overridden", () => {
    const t = deriveThresholds({ freeableMemoryMiB: 256, freeStoragePercent: 20, borrowLatencyPercentOfTimeout: 10 }, { budget, borrowTimeoutSeconds: 10, instanceMemoryGiB: 8, allocatedStorageGiB: 100 });
    expect([t.freeableMemoryBytes, t.freeStorageBytes, t.borrowLatencyMicroseconds, t.cpuPercent]).toEqual([256 * 1024 ** 2, 20 * 1024 ** 3, 1_000_000, 80]);
  });
});
