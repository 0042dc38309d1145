import { describe, expect, it } from "vitest";
import { Aspects, TerraformStack, Testing } from "cdktf";
import { DbEventSubscription } from "@cdktf/provider-aws/lib/db-event-subscription/index.js";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission/index.js";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription/index.js";
import { environments } from "../../../stacks/environments.ts";
import { resolveEnvironments, type EnvironmentInput } from "../../../stacks/config.ts";
import { PathAlarms, type AlarmSpec } from "../../../modules/monitoring/alarms.ts";
import { KNOWN_METRICS, ProxyMetrics } from "../../../modules/monitoring/metrics.ts";
import { PolicyAspect } from "../../../modules/policy/aspect.ts";
import { suppressRule } from "../../../modules/policy/suppressions.ts";
import { environment, fixtures, resourcesOf, synthEnvironment, thrownMessage } from "../../helpers.ts";

const monitoringStack = (input: EnvironmentInput) => synthEnvironment(input).stacks[`${input.name}-monitoring`]!;
const prodInput = environments.find((e) => e.name === "prod")!;
const prod = monitoringStack(prodInput);
const one = (stack: { parsed: Parameters<typeof resourcesOf>[0] }, type: string) => {
  const all = Object.values(resourcesOf(stack.parsed, type));
  expect(all).toHaveLength(1);
  return all[0]!;
};

describe("the alarm topic", () => {
  it("is encrypted with the environment key, read from the database layer", () => {
    expect(one(prod, "aws_sns_topic")).toMatchObject({ name: "orders-prod-alarms", kms_master_key_id: expect.stringMatching(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-prod-database\.outputs\.cross-stack-output-aws_kms_keykey_[0-9A-F]+arn\}$/) });
  });

  it("lets only this account's CloudWatch alarms and RDS event subscriptions publish", () => {
    const topic = `\${aws_sns_topic.${Object.keys(resourcesOf(prod.parsed, "aws_sns_topic"))[0]}.arn}`;
    const policy = one(prod, "aws_sns_topic_policy");
    expect(policy.arn).toBe(topic);
    expect(JSON.parse(String(policy.policy)).Statement).toEqual([
      {
        Sid: "CloudWatchAlarmsOfThisAccountPublish", Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: "sns:Publish", Resource: topic,
        Condition: { StringEquals: { "aws:SourceAccount": "333333333333" }, ArnLike: { "aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:333333333333:alarm:*" } },
      },
      {
        Sid: "RdsEventSubscriptionsOfThisAccountPublish", Effect: "Allow", Principal: { Service: "events.rds.amazonaws.com" }, Action: "sns:Publish", Resource: topic,
        Condition: { StringEquals: { "aws:SourceAccount": "333333333333" }, ArnLike: { "aws:SourceArn": "arn:aws:rds:eu-west-1:333333333333:*" } },
      },
    ]);
  });

  it("subscribes what the config names, and lets the topic invoke a Lambda subscriber", () => {
    expect(prod.json).toHaveResourceWithProperties(SnsTopicSubscription, { protocol: "email", endpoint: "database-oncall@example.com" });
    const relay = "arn:aws:lambda:eu-west-1:123456789012:function:relay";
    const stack = monitoringStack(environment({ monitoring: { notifications: { lambda: [relay], https: ["https://pager.example.com/hook"] } } }));
    expect(stack.json).toHaveResourceWithProperties(SnsTopicSubscription, { protocol: "https", endpoint: "https://pager.example.com/hook" });
    expect(stack.json).toHaveResourceWithProperties(SnsTopicSubscription, { protocol: "lambda", endpoint: relay });
    expect(stack.json).toHaveResourceWithProperties(LambdaPermission, { function_name: relay, principal: "sns.amazonaws.com", action: "lambda:InvokeFunction" });
  });

  it("is not created when an existing topic is named: alarms and events notify that one", () => {
    const topicArn = "arn:aws:sns:eu-west-1:123456789012:oncall";
    const stack = monitoringStack(environment({ monitoring: { notifications: { topicArn } } }));
    expect(resourcesOf(stack.parsed, "aws_sns_topic")).toEqual({});
    expect(resourcesOf(stack.parsed, "aws_sns_topic_policy")).toEqual({});
    for (const alarm of Object.values(resourcesOf(stack.parsed, "aws_cloudwatch_metric_alarm"))) expect(alarm.alarm_actions).toEqual([topicArn]);
    for (const sub of Object.values(resourcesOf(stack.parsed, "aws_db_event_subscription"))) expect(sub.sns_topic).toBe(topicArn);
  });
});

describe("RDS event subscriptions", () => {
  it("cover the Aurora cluster, its instances and the proxy, with the categories each source type has", () => {
    const topic = `\${aws_sns_topic.${Object.keys(resourcesOf(prod.parsed, "aws_sns_topic"))[0]}.arn}`;
    expect(Object.values(resourcesOf(prod.parsed, "aws_db_event_subscription")).map((s) => [s.name, s.source_type, s.source_ids, s.event_categories, s.sns_topic])).toEqual([
      ["orders-prod-cluster-events", "db-cluster", ["orders-prod"], ["failover", "failure", "maintenance", "notification"], topic],
      ["orders-prod-instance-events", "db-instance", ["orders-prod-1", "orders-prod-2", "orders-prod-3"], ["availability", "configuration change", "failover", "failure", "low storage", "maintenance", "notification"], topic],
      ["orders-prod-proxy-events", "db-proxy", ["orders-prod"], ["configuration change", "failure"], topic],
    ]);
  });

  it("cover an RDS instance and the proxy", () => {
    const stack = monitoringStack(fixtures["rds-mysql"]!);
    expect(Object.values(resourcesOf(stack.parsed, "aws_db_event_subscription")).map((s) => [s.source_type, s.source_ids])).toEqual([
      ["db-instance", ["shop-rdsmysql"]], ["db-proxy", ["shop-rdsmysql"]],
    ]);
    expect(stack.json).toHaveResourceWithProperties(DbEventSubscription, { name: "shop-rdsmysql-instance-events", enabled: true });
  });
});

describe("the data-path dashboard", () => {
  type Widget = { type: string; y: number; properties: { markdown?: string; title?: string; metrics?: unknown[][]; annotations?: { horizontal: { label: string; value: number }[] } } };
  const widgetsOf = (stack: ReturnType<typeof monitoringStack>) => {
    const dashboard = one(stack, "aws_cloudwatch_dashboard");
    return (JSON.parse(String(dashboard.dashboard_body)) as { widgets: Widget[] }).widgets;
  };

  it("is valid JSON laid out as clients -> proxy -> database", () => {
    expect(one(prod, "aws_cloudwatch_dashboard").dashboard_name).toBe("orders-prod-data-path");
    const headings = widgetsOf(prod).filter((w) => w.type === "text").map((w) => [w.properties.markdown, w.y]);
    expect(headings.map(([h]) => h)).toEqual(["## Clients", "## RDS Proxy", "## Database"]);
    expect(headings.map(([, y]) => y as number)).toEqual([...headings.map(([, y]) => y as number)].sort((a, b) => a - b));
  });

  it("names only metrics that exist, each with the dimensions of its source", () => {
    for (const input of [prodInput, environments[0]!, fixtures["rds-mysql"]!]) {
      const metrics = widgetsOf(monitoringStack(input)).flatMap((w) => w.properties.metrics ?? []);
      expect(metrics.length).toBeGreaterThan(15);
      for (const [namespace, name, ...rest] of metrics) {
        expect(KNOWN_METRICS[namespace as string], `${namespace} ${name}`).toContain(name);
        const dimensionKeys = rest.slice(0, -1).filter((_, i) => i % 2 === 0);
        expect([["ProxyName"], ["ProxyName", "TargetGroup", "TargetRole"], ["DBClusterIdentifier", "Role"], ["DBInstanceIdentifier"], ["FunctionName"], ["ProjectName"]]).toContainEqual(dimensionKeys);
      }
    }
  });

  it("draws the budget's supply on the connection graphs and max_connections on the database's", () => {
    const byTitle = Object.fromEntries(widgetsOf(prod).filter((w) => w.properties.title).map((w) => [w.properties.title, w.properties.annotations?.horizontal ?? []]));
    expect(byTitle["Proxy database connections"]).toEqual([{ label: "budget supply 1527", value: 1527 }]);
    expect(byTitle["Client connections to the proxy"]).toEqual([{ label: "budget demand 66", value: 66 }, { label: "budget supply 1527", value: 1527 }]);
    expect(byTitle["Database connections"]).toEqual([{ label: "budget supply 1527", value: 1527 }, { label: "max_connections 1697", value: 1697 }]);
  });
});

describe("alarms in the policy pack", () => {
  const orphan: AlarmSpec = {
    key: "proxy-auth-failures", metric: new ProxyMetrics("shop-test").metricClientConnectionsSetupFailedAuth(), comparison: "GreaterThanThreshold", threshold: 0,
    evaluationPeriods: 1, datapointsToAlarm: 1, treatMissingData: "notBreaching", meaning: "m.", firstStep: "f.", runbook: "proxy-authentication-failures",
  };
  const findingsFor = (production: boolean, suppress?: string) => {
    const tf = new TerraformStack(Testing.app(), "alarms-only");
    const alarms = new PathAlarms(tf, "alarms", { specs: [orphan], namePrefix: "shop-test", actionArns: [] });
    if (suppress) suppressRule(alarms, "MON1", suppress);
    const aspect = new PolicyAspect(production);
    Aspects.of(tf).add(aspect);
    Testing.synth(tf);
    return aspect.findings.map((f) => [f.rule, f.level, f.suppressed ?? null]);
  };

  it("finds an alarm without actions: a warning outside production, an error in production", () => {
    expect(findingsFor(false)).toEqual([["MON1", "warning", null]]);
    expect(findingsFor(true)).toEqual([["MON1", "error", null]]);
  });

  it("can be suppressed outside production, with its reason, and is still listed", () => {
    expect(findingsFor(false, "a scratch environment nobody is paged for")).toEqual([["MON1", "info", "a scratch environment nobody is paged for"]]);
  });

  it("cannot be suppressed by a production config", () => {
    const input = environment({ production: true, stateBackend: { type: "s3", bucket: "shop-terraform-state", keyPrefix: "dbstack", region: "eu-west-1" },
      monitoring: { notifications: { email: ["oncall@example.com"] } }, policySuppressions: [{ rule: "MON1", construct: "alarms", reason: "nobody watches this one anyway" }] });
    expect(thrownMessage(() => resolveEnvironments([input]))).toContain('test.policySuppressions[0].rule: "MON1" — escalates to an error in production: production cannot suppress it');
  });

  it("finds nothing in the shipped environments' monitoring layers", () => {
    for (const input of environments) {
      const env = synthEnvironment(input).env;
      expect(env.policy.findings.filter((f) => f.stack.endsWith("-monitoring")), input.name).toEqual([]);
    }
  });
});

describe("PathAlarms", () => {
  const spec: AlarmSpec = {
    key: "proxy-auth-failures", metric: new ProxyMetrics("shop-test").metricClientConnectionsSetupFailedAuth(), comparison: "GreaterThanThreshold", threshold: 0,
    evaluationPeriods: 1, datapointsToAlarm: 1, treatMissingData: "notBreaching", meaning: "m.", firstStep: "f.", runbook: "proxy-authentication-failures",
  };
  const build = (specs: AlarmSpec[], namePrefix = "shop-test") => new PathAlarms(new TerraformStack(Testing.app(), "s"), "alarms", { specs, namePrefix, actionArns: ["arn:aws:sns:eu-west-1:123456789012:t"] });

  it("fails when an alarm name or description is longer than CloudWatch allows, or a key repeats, naming each", () => {
    expect(thrownMessage(() => build([{ ...spec, meaning: "x".repeat(1100) }, spec], "p".repeat(250)))).toBe([
      "PathAlarms alarms: 4 problems",
      `  - specs.proxy-auth-failures: "${"p".repeat(250)}-proxy-auth-failures" — must be 1..255 characters (it is 270) printable ASCII characters (Amazon CloudWatch API Reference, PutMetricAlarm AlarmName)`,
      '  - specs.proxy-auth-failures.description: "1178 characters" — must be at most 1024 characters (PutMetricAlarm AlarmDescription)',
      `  - specs.proxy-auth-failures: "${"p".repeat(250)}-proxy-auth-failures" — must be 1..255 characters (it is 270) printable ASCII characters (Amazon CloudWatch API Reference, PutMetricAlarm AlarmName)`,
      '  - specs: ["proxy-auth-failures","proxy-auth-failures"] — must not repeat a key: it names the alarm',
    ].join("\n"));
  });

  it("names each alarm <prefix>-<key>", () => {
    expect(build([spec]).names).toEqual({ "proxy-auth-failures": "shop-test-proxy-auth-failures" });
  });
});

describe("the shipped environments", () => {
  it.each(environments.map((e) => e.name))("%s has the topic, the alarms of its shape, the event subscriptions and the dashboard", (name) => {
    const stack = monitoringStack(environments.find((e) => e.name === name)!);
    const count = (type: string) => Object.keys(resourcesOf(stack.parsed, type)).length;
    expect([count("aws_sns_topic"), count("aws_sns_topic_policy"), count("aws_db_event_subscription"), count("aws_cloudwatch_dashboard")]).toEqual([1, 1, 3, 1]);
    expect(count("aws_cloudwatch_metric_alarm")).toBe({ dev: 22, staging: 29, prod: 29 }[name]);
    expect(Object.keys(stack.parsed.output)).toEqual(expect.arrayContaining(["alarm_topic_arn", "alarm_names", "dashboard_name"]));
  });
});
