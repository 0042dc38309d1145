import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { App, Testing } from "cdktf";
import { resolveEnvironments } from "../../../stacks/config.ts";
import { Environment } from "../../../stacks/environment.ts";
import { environments } from "../../../stacks/environments.ts";
import { evaluate, levelOf } from "../../../modules/policy/aspect.ts";
import { packRule } from "../../../modules/policy/pack.ts";
import { suppressRule, suppressionFor } from "../../../modules/policy/suppressions.ts";
import { buildEnvironment, environment, thrownMessage } from "../../helpers.ts";

/** Annotations end up as construct metadata; Testing.synth does not throw on errors, so read them there. */
function annotations(env: Environment): { level: string; message: string }[] {
  for (const stack of env.stacks) stack.prepareStack();
  for (const stack of env.stacks) Testing.synth(stack);
  return env.stacks.flatMap((stack) => stack.node.findAll()).flatMap((c) => c.node.metadata
    .filter((m) => ["@cdktf/error", "@cdktf/warn", "@cdktf/info"].includes(m.type))
    .map((m) => ({ level: m.type.replace("@cdktf/", ""), message: String(m.data) })));
}

const stackOf = (input: Parameters<typeof environment>[0]) => buildEnvironment(environment(input));

describe("the policy aspect", () => {
  it("finds no errors or warnings in the shipped environments; dev's and staging's relaxations are suppressed with reasons", () => {
    for (const input of environments) {
      const stack = buildEnvironment(input);
      const found = annotations(stack);
      expect(found.filter((a) => a.level !== "info"), input.name).toEqual([]);
      if (input.name === "dev") {
        expect(stack.policy.findings.map((f) => [f.rule, f.level, f.suppressed !== undefined])).toEqual([
          ["DBS3", "info", true], ["DBS4", "info", true], ["DBS5", "info", true], ["PRX2", "info", true], ["PRX3", "info", true], ["SEC3", "info", true],
        ]);
        expect(found.find((a) => a.message.startsWith("[PRX2]"))!.message).toContain("— suppressed: the reporting tool in dev cannot sign IAM tokens");
      } else if (input.name === "staging") {
        // No rotation schedule outside production, on purpose: npm run rotate on demand.
        expect(stack.policy.findings.map((f) => [f.rule, f.level, f.suppressed !== undefined])).toEqual([["SEC3", "info", true]]);
      } else {
        expect(stack.policy.findings).toEqual([]);
      }
    }
  });

  it("warns outside production and errors in production for an escalating rule", () => {
    const dev = stackOf({});
    expect(annotations(dev)).toContainEqual({ level: "warn", message: "[PRX2] Every proxy user requires IAM authentication. iam_auth is not REQUIRED for reporting (readonly)" });
    const prod = stackOf({ production: true, stateBackend: { type: "s3", bucket: "shop-terraform-state", keyPrefix: "dbstack", region: "eu-west-1" }, monitoring: { notifications: { email: ["oncall@example.com"] } } });
    expect(annotations(prod)).toContainEqual({ level: "error", message: "[PRX2] Every proxy user requires IAM authentication. iam_auth is not REQUIRED for reporting (readonly)" });
  });

  it("fails a real synth (what cdktf synth runs) on an error finding, naming it", () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), "dbstack-policy-")) });
    const stateBackend = { type: "s3", bucket: "shop-terraform-state", keyPrefix: "dbstack", region: "eu-west-1" } as const;
    new Environment(app, resolveEnvironments([environment({ production: true, stateBackend, monitoring: { notifications: { email: ["oncall@example.com"] } } })])[0]!);
    const message = thrownMessage(() => app.synth());
    expect(message).toContain('Encountered Annotations with level "ERROR"');
    expect(message).toContain("[PRX2] Every proxy user requires IAM authentication.");
  });

  it("levels: errors stay errors, escalating warnings become errors in production only", () => {
    expect(levelOf(packRule("SG2")!, false)).toBe("error");
    expect(levelOf(packRule("DBS3")!, false)).toBe("warning");
    expect(levelOf(packRule("DBS3")!, true)).toBe("error");
    expect(levelOf(packRule("DBS6")!, true)).toBe("warning");
  });

  it("evaluates one resource against every rule that applies", () => {
    const found = evaluate({ type: "aws_db_proxy", address: "aws_db_proxy.p", production: false, attributes: { require_tls: false, debug_logging: true, auth: [{ iam_auth: "REQUIRED" }], vpc_security_group_ids: ["sg"] } });
    expect(found.map((f) => [f.rule.id, f.status, f.detail])).toEqual([
      ["PRX1", "non-compliant", "require_tls is not true"], ["PRX3", "non-compliant", "debug_logging is true"],
      ["SEC3", "unknown", "the proxy's stack was not given, so its rotation schedules cannot be seen"],
    ]);
  });
});

describe("suppressions", () => {
  it("need a known rule and a reason of at least 10 characters", () => {
    const stack = stackOf({});
    expect(thrownMessage(() => suppressRule(stack.proxy.proxy, "NOPE1", "a long enough reason"))).toBe('suppressRule: no policy rule "NOPE1"');
    expect(thrownMessage(() => suppressRule(stack.proxy.proxy, "PRX2", "because"))).toBe('suppressRule PRX2 on test-proxy/proxy: the reason must be at least 10 characters, got "because"');
  });

  it("cover the construct and everything under it, and are still listed", () => {
    const stack = stackOf({});
    suppressRule(stack.proxy.proxy, "PRX2", "reporting tool needs a password");
    const inner = stack.proxy.proxy.node.findAll().find((c) => c.node.id === "proxy" && c !== stack.proxy.proxy)!;
    expect(suppressionFor(inner, "PRX2")).toEqual({ id: "PRX2", reason: "reporting tool needs a password" });
    expect(suppressionFor(inner, "PRX3")).toBeUndefined();
    annotations(stack);
    expect(stack.policy.findings).toContainEqual(expect.objectContaining({ rule: "PRX2", level: "info", stack: "test-proxy", suppressed: "reporting tool needs a password" }));
  });

  it("come from the environment's config, validated", () => {
    expect(() => resolveEnvironments([environment({ policySuppressions: [{ rule: "PRX9", construct: "proxy", reason: "a long enough reason" }] })]))
      .toThrow('test.policySuppressions[0].rule: "PRX9" — must be a rule id of the dbstack pack (see modules/policy/pack.ts)');
    expect(() => resolveEnvironments([environment({ policySuppressions: [{ rule: "PRX2", construct: "proxy", reason: "short" }] })]))
      .toThrow('test.policySuppressions[0].reason: "short" — must explain the suppression in at least 10 characters');
    expect(() => resolveEnvironments([environment({ policySuppressions: [{ rule: "PRX2", construct: "everything" as never, reason: "a long enough reason" }] })]))
      .toThrow('test.policySuppressions[0].construct: "everything" — must be one of');
  });
});
