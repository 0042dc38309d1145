/** Scheduled rotation: the schedule's validation (Secrets Manager's RotationRules), and what the shipped environments synthesize. */
import { describe, expect, it } from "vitest";
import { MAX_FUNCTION_POLICY_BYTES, resolveRotationSettings, rotationScope, validateRotationScope, validateRotationSettings, type RotationSettingsInput } from "../../modules/rotation.ts";
import { Problems } from "../../modules/validation.ts";
import { environments } from "../../stacks/environments.ts";
import { environment, fixtures, resourcesOf, synthEnvironment } from "../helpers.ts";
import { resolveEnvironments, type EnvironmentInput } from "../../stacks/config.ts";

const problemsOf = (input: unknown) => {
  const problems = new Problems();
  validateRotationSettings(input as RotationSettingsInput, problems.at("rotation"));
  return problems.all.map((p) => `${p.path}: ${p.allowed}`);
};

describe("rotation.schedule", () => {
  it("defaults to 30 days in production and to no schedule elsewhere", () => {
    expect(resolveRotationSettings(undefined, true)).toEqual({ schedule: { automaticallyAfterDays: 30 } });
    expect(resolveRotationSettings(undefined, false)).toEqual({ schedule: false });
    expect(resolveRotationSettings({ schedule: false }, true)).toEqual({ schedule: false });
  });

  it.each([
    [{ automaticallyAfterDays: 1 }], [{ automaticallyAfterDays: 1000 }], [{ scheduleExpression: "rate(4 hours)", duration: "4h" }], [{ scheduleExpression: "rate(1 day)" }],
    [{ scheduleExpression: "rate(1000 days)", duration: "24h" }], [{ scheduleExpression: "cron(0 4 ? * SUN *)", duration: "20h" }], [{ scheduleExpression: "cron(0 4/12 * * ? *)", duration: "3h" }],
    [false],
  ])("accepts %j", (schedule) => {
    expect(problemsOf({ schedule })).toEqual([]);
  });

  it.each([
    [{}, "rotation.schedule: must set exactly one of automaticallyAfterDays and scheduleExpression (Secrets Manager takes one, not both)"],
    [{ automaticallyAfterDays: 30, scheduleExpression: "rate(30 days)" }, "rotation.schedule: must set exactly one of automaticallyAfterDays and scheduleExpression (Secrets Manager takes one, not both)"],
    [{ automaticallyAfterDays: 0 }, "rotation.schedule.automaticallyAfterDays: must be a whole number from 1 to 1000"],
    [{ automaticallyAfterDays: 1001 }, "rotation.schedule.automaticallyAfterDays: must be a whole number from 1 to 1000"],
    [{ scheduleExpression: "rate(3 hours)" }, "rotation.schedule.scheduleExpression: a rate in hours must be 4..23 hours (Secrets Manager rotates at most every four hours; for a day or more, use days)"],
    [{ scheduleExpression: "rate(1001 days)" }, "rotation.schedule.scheduleExpression: a rate in days must be 1..1000 days"],
    [{ scheduleExpression: "rate(1 days)" }, 'rotation.schedule.scheduleExpression: the unit of a rate of 1 is singular: "rate(1 day)"'],
    [{ scheduleExpression: "rate(2 weeks)" }, 'rotation.schedule.scheduleExpression: must be "rate(N hours)", "rate(N days)" or "cron(0 H D M W *)"'],
    [{ scheduleExpression: "cron(0 4 * *)" }, "rotation.schedule.scheduleExpression: a cron expression has six fields: cron(Minutes Hours Day-of-month Month Day-of-week Year)"],
    [{ scheduleExpression: "cron(15 4 ? * SUN *)" }, "rotation.schedule.scheduleExpression: the minutes field must be 0: Secrets Manager rotation windows open on the hour"],
    [{ scheduleExpression: "cron(0 4 ? * SUN 2027)" }, "rotation.schedule.scheduleExpression: the year field must be *: Secrets Manager does not schedule rotations more than a year apart"],
    [{ scheduleExpression: "cron(0 4 1 * SUN *)" }, "rotation.schedule.scheduleExpression: one of day-of-month and day-of-week must be ?"],
    [{ scheduleExpression: "cron(0 24 ? * SUN *)" }, "rotation.schedule.scheduleExpression: the hours field must be 0..23"],
    [{ automaticallyAfterDays: 30, duration: "3h" }, "rotation.schedule.duration: needs scheduleExpression: the window opens where the expression says"],
    [{ scheduleExpression: "rate(10 days)", duration: "3 hours" }, 'rotation.schedule.duration: must be whole hours, "1h".."24h"'],
    [{ scheduleExpression: "rate(10 days)", duration: "25h" }, 'rotation.schedule.duration: must be whole hours, "1h".."24h"'],
    [{ scheduleExpression: "rate(6 hours)", duration: "7h" }, "rotation.schedule.duration: must end by the end of the UTC day and before the next rotation window: at most 6h for rate(6 hours)"],
    [{ scheduleExpression: "cron(0 20 ? * SUN *)", duration: "5h" }, "rotation.schedule.duration: must end by the end of the UTC day and before the next rotation window: at most 4h for cron(0 20 ? * SUN *)"],
  ])("fails when the schedule is %j", (schedule, message) => {
    expect(problemsOf({ schedule })).toEqual([message]);
  });

  it("is checked with the rest of the configuration, at the environment's path", () => {
    expect(() => resolveEnvironments([environment({ rotation: { schedule: { automaticallyAfterDays: 0 } } })], { now: new Date("2026-12-01T00:00:00Z") }))
      .toThrow('test.rotation.schedule.automaticallyAfterDays: 0 — must be a whole number from 1 to 1000');
    // The test environment runs no setup function, so there is no rotation function to schedule.
    expect(() => resolveEnvironments([environment({ rotation: { schedule: { automaticallyAfterDays: 30 } } })], { now: new Date("2026-12-01T00:00:00Z") }))
      .toThrow('test.rotation.schedule: "(set)" — needs setup.enabled: the rotation function lives with the setup function');
  });

  it("fails when the setting is not an object or the schedule neither false nor an object", () => {
    expect(problemsOf("monthly")).toEqual(["rotation: must be an object: { schedule? }"]);
    expect(problemsOf({ schedule: 30 })).toEqual(["rotation.schedule: must be false or { automaticallyAfterDays } or { scheduleExpression, duration? }"]);
  });
});

describe("the shipped environments' rotation", () => {
  const synthesized = Object.fromEntries(environments.map((e) => [e.name, synthEnvironment(e).stacks[`${e.name}-proxy`]!.parsed]));
  const passwordUsers = (name: string) => Object.entries(environments.find((e) => e.name === name)!.users).filter(([, u]) => u.auth !== "direct-iam").map(([user]) => user).sort();

  it("production schedules every application user secret on the rotation function, and the master secret by managed rotation", () => {
    const proxy = synthesized.prod!;
    const [fnName] = Object.keys(resourcesOf(proxy, "aws_lambda_function")).filter((n) => n.startsWith("rotation_"));
    const fn = resourcesOf(proxy, "aws_lambda_function")[fnName!]!;
    expect(fn).toMatchObject({ function_name: "orders-prod-db-rotate", runtime: "nodejs22.x", architectures: ["arm64"] });
    const rotations = Object.values(resourcesOf(proxy, "aws_secretsmanager_secret_rotation"));
    const withFunction = rotations.filter((r) => r.rotation_lambda_arn !== undefined);
    expect(withFunction).toHaveLength(passwordUsers("prod").length);
    for (const rotation of withFunction) {
      expect(rotation).toMatchObject({ rotation_lambda_arn: `\${aws_lambda_function.${fnName}.arn}`, rotation_rules: { automatically_after_days: 30 }, rotate_immediately: false });
    }
    const userSecrets = withFunction.map((r) => r.secret_id).sort();
    const managed = rotations.filter((r) => r.rotation_lambda_arn === undefined);
    expect(managed).toHaveLength(1);
    expect(userSecrets).not.toContain(managed[0]!.secret_id);
    // Each permission lets exactly Secrets Manager, from this account, for one of those secrets, invoke the function.
    const permissions = Object.values(resourcesOf(proxy, "aws_lambda_permission")).filter((p) => String(p.function_name).includes(fnName!));
    expect(permissions.map((p) => p.source_arn).sort()).toEqual(userSecrets);
    for (const permission of permissions) {
      expect(permission).toMatchObject({ action: "lambda:InvokeFunction", principal: "secretsmanager.amazonaws.com", source_account: environments.find((e) => e.name === "prod")!.account });
    }
  });

  it.each(["dev", "staging"])("%s has the function for npm run rotate, and no schedule", (name) => {
    const proxy = synthesized[name]!;
    expect(Object.values(resourcesOf(proxy, "aws_lambda_function")).map((f) => f.function_name)).toContain(`orders-${name}-db-rotate`);
    expect(resourcesOf(proxy, "aws_secretsmanager_secret_rotation")).toEqual({});
    expect(Object.keys(resourcesOf(proxy, "aws_lambda_permission"))).toHaveLength(passwordUsers(name).length);
  });

  it("production without a schedule fails synth with SEC3 (an error there, which production cannot suppress)", () => {
    const prod = environments.find((e) => e.name === "prod")!;
    const env = synthEnvironment({ ...prod, rotation: { schedule: false } }).env;
    expect(env.policy.findings.filter((f) => f.rule === "SEC3").map((f) => [f.level, f.stack, f.message])).toEqual([
      ["error", "prod-proxy", expect.stringMatching(/^\[SEC3\] Application users' secrets rotate on a schedule\. no rotation schedule for the secret of app \(readwrite\), migrator \(owner\), analytics \(readonly\)$/)],
    ]);
  });
});

describe("the rotation function's scope", () => {
  // A MySQL instance set up on deploy (through a NAT gateway): the rotation function exists with the setup function.
  const withSetup = (overrides: Partial<EnvironmentInput>): EnvironmentInput => ({ ...fixtures["rds-mysql"]!, ...overrides });
  const users = (count: number, auth: "iam" | "password" = "iam") => Object.fromEntries(Array.from({ length: count }, (_, i) => [`user_${i}`, { auth, privileges: "readonly" as const }]));
  const facts = (count: number) => ({
    partition: "aws", region: "eu-west-1", account: "123456789012", functionName: "shop-test-db-rotate", secretPrefix: "shop/test/database",
    users: Array.from({ length: count }, (_, i) => ({ name: `user_${i}`, iamAtProxy: true })), keyArn: "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000",
  });

  it("names each secret while one statement per secret fits Lambda's function policy, and the secrets' name prefix beyond", () => {
    expect(rotationScope(facts(3))).toMatchObject({ by: "secrets" });
    const many = rotationScope(facts(60));
    expect(many.by).toBe("prefix");
    expect(rotationScope(facts(60)).functionPolicyBytes).toBeLessThan(MAX_FUNCTION_POLICY_BYTES);
    expect(rotationScope(facts(40)).by).toBe("secrets");
  });

  it("past the per-secret quota, one permission and the role name the environment's user secrets by prefix", () => {
    const stack = synthEnvironment(withSetup({ users: users(60) })).stacks["rdsmysql-proxy"]!.parsed;
    const permissions = Object.values(resourcesOf(stack, "aws_lambda_permission"));
    expect(permissions).toEqual([expect.objectContaining({ principal: "secretsmanager.amazonaws.com", source_account: "123456789012", source_arn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/rdsmysql/database/*" })]);
    const policy = Object.entries(resourcesOf(stack, "aws_iam_role_policy")).find(([name]) => name.startsWith("rotation_secrets-policy"))![1];
    expect(JSON.parse(String(policy.policy)).Statement[0]).toMatchObject({ Sid: "RotateUserSecrets", Resource: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/rdsmysql/database/*" });
  });

  it("fails when even then the role's rds-db:connect list outgrows IAM's quota (which the proxy role's, one secret ARN per user, reaches first)", () => {
    const problems = (count: number) => {
      const found = new Problems();
      validateRotationScope(facts(count), found);
      return found.all.map((p) => `${p.path}: ${String(p.value)} — ${p.allowed}`);
    };
    expect(problems(100)).toEqual([]);
    expect(problems(130)).toEqual([expect.stringMatching(/^users: 130 users with passwords — the rotation function's role would hold about 1\d{4} characters of inline policy \(rds-db:connect names each user whose clients use IAM, for the proxy check\); IAM allows 10240 per role/)]);
  });

});

