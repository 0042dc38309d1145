import { afterEach, describe, expect, it } from "vitest";
import { createHandler, iamToken, settingsFromEnvironment, type CheckSettings } from "../../scripts/lambda/db-check.ts";

const env = { DB_HOST: "proxy.example", DB_PORT: "5432", DB_USER: "app", DB_NAME: "shop", DB_ENGINE_FAMILY: "POSTGRESQL", DB_REGION: "eu-west-1" };
const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe("the example Lambda handler", () => {
  it("reads its settings from the environment and refuses a missing one", () => {
    expect(settingsFromEnvironment(env)).toEqual({ host: "proxy.example", port: 5432, user: "app", database: "shop", engineFamily: "POSTGRESQL", region: "eu-west-1" });
    expect(() => settingsFromEnvironment({ ...env, DB_HOST: "" })).toThrow("environment variable DB_HOST is not set");
    expect(() => settingsFromEnvironment({ ...env, DB_ENGINE_FAMILY: "ORACLE" })).toThrow("DB_ENGINE_FAMILY must be POSTGRESQL or MYSQL, not ORACLE");
  });

  it("connects with a fresh token as the password and reports SELECT 1", async () => {
    Object.assign(process.env, env);
    const seen: { settings?: CheckSettings; password?: string } = {};
    const handler = createHandler(async () => "token-1", async (settings, password) => {
      Object.assign(seen, { settings, password });
      return 1;
    });
    expect(await handler()).toEqual({ ok: true, engineFamily: "POSTGRESQL" });
    expect(seen).toEqual({ settings: settingsFromEnvironment(env), password: "token-1" });
  });

  it("signs an RDS IAM token for the proxy endpoint and user, locally, without calling AWS", async () => {
    process.env.AWS_ACCESS_KEY_ID = "AKIAEXAMPLEEXAMPLE00";
    process.env.AWS_SECRET_ACCESS_KEY = "example-not-a-real-secret";
    const token = await iamToken(settingsFromEnvironment(env));
    expect(token).toMatch(/^proxy\.example:5432\/\?Action=connect&DBUser=app&X-Amz-Algorithm=AWS4-HMAC-SHA256&/);
    expect(token).toContain("X-Amz-Expires=900");
  });
});
