import { describe, expect, it } from "vitest";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter/index.js";
import { resolveEnvironments } from "../../stacks/config.ts";
import { environment, resourcesOf, synthEnvironment } from "../helpers.ts";

describe("DatabaseParameters", () => {
  const { json, parsed } = synthEnvironment(environment({ database: { ...environment().database, readers: 1 }, parameters: { "feature/flags": "a,b", "cache/auth-token": "t0k3n" } }));
  const byName = Object.fromEntries(Object.values(resourcesOf(parsed, "aws_ssm_parameter")).map((p) => [p.name, p]));

  it("writes where the database is as plain String parameters", () => {
    expect(Object.keys(byName).sort()).toEqual([
      "/shop/test/database/cache/auth-token", "/shop/test/database/engine", "/shop/test/database/feature/flags",
      "/shop/test/database/host", "/shop/test/database/name", "/shop/test/database/port", "/shop/test/database/reader-host",
      "/shop/test/database/user-secret-arn/app", "/shop/test/database/user-secret-arn/reporting",
    ]);
    expect(json).toHaveResourceWithProperties(SsmParameter, { name: "/shop/test/database/port", type: "String", value: "5432" });
    expect(json).toHaveResourceWithProperties(SsmParameter, { name: "/shop/test/database/engine", type: "String", value: "aurora-postgresql" });
    expect(byName["/shop/test/database/host"]!.value).toMatch(/^\$\{aws_db_proxy\.proxy_[0-9A-F]+\.endpoint\}$/);
    expect(byName["/shop/test/database/reader-host"]!.value).toMatch(/aws_db_proxy_endpoint\.proxy_read-only-endpoint_[0-9A-F]+\.endpoint/);
    expect(byName["/shop/test/database/user-secret-arn/app"]!.value).toMatch(/cross-stack-output-aws_secretsmanager_secretusers_secret-app_[0-9A-F]+arn/);
  });

  it("stores no password, and a secret-looking extra as SecureString with the environment key", () => {
    expect(Object.keys(byName).some((n) => /password/i.test(n))).toBe(false);
    expect(byName["/shop/test/database/cache/auth-token"]).toMatchObject({ type: "SecureString", key_id: expect.stringMatching(/aws_kms_keykey_/) });
    expect(byName["/shop/test/database/feature/flags"]).toMatchObject({ type: "String" });
    expect(byName["/shop/test/database/feature/flags"]!.key_id).toBeUndefined();
  });

  it("has no reader-host without a read-only endpoint", () => {
    const names = Object.values(resourcesOf(synthEnvironment(environment()).parsed, "aws_ssm_parameter")).map((p) => p.name);
    expect(names).not.toContain("/shop/test/database/reader-host");
  });

  it.each([
    [{ "bad name": "x" }, 'test.parameters.bad name: "bad name" — must be a parameter name: letters, digits, _ . - and / between parts'],
    [{ host: "x" }, 'test.parameters.host: "host" — is written by dbstack (host, reader-host, port, name, engine, user-secret-arn)'],
    [{ "db/password": "" }, 'test.parameters.db/password: "(redacted)" — value must be 1..4096 characters (SSM standard tier)'],
  ])("fails on %j", (parameters, expected) => {
    expect(() => resolveEnvironments([environment({ parameters })])).toThrow(expected);
  });
});
