/** The zip the stack deploys for the rotation function: CommonJS, self-contained, a `handler` that checks its environment and the event before any call. */
import { beforeAll, describe, expect, it } from "vitest";
import { runBundle, unpackedSetupBundle } from "../../support/setup-bundle.ts";

const ENVIRONMENT = {
  AWS_REGION: "eu-west-1", DB_DIALECT: "postgresql", DB_WRITER_HOST: "shop-test.cluster-abc.eu-west-1.rds.amazonaws.com", DB_PORT: "5432", DB_NAME: "shop",
  DB_MASTER_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-master-AbCdEf", DB_USER_PREFIX: "shop/test/database",
  DB_PROXY_HOST: "shop-test.proxy-abc.eu-west-1.rds.amazonaws.com", DB_PROXY_IAM_USERS: "app",
};

describe("the rotation function's bundle", () => {
  let file: string;
  beforeAll(() => {
    file = unpackedSetupBundle("db-rotate");
  }, 60_000);

  it("loads with require in a fresh Node process, exports handler, and refuses to run without its environment", async () => {
    const run = await runBundle(file, {}, {});
    expect(run.stderr).not.toMatch(/Cannot find module/);
    expect(run.exports).toContain("handler");
    expect(run.error).toEqual({ name: "RotationError", message: "rotation failed at event: the rotation function is misconfigured: DB_DIALECT is not set; DB_PORT is not set; AWS_REGION is not set; DB_WRITER_HOST is not set; DB_NAME is not set; DB_MASTER_ARN is not set; DB_USER_PREFIX is not set; DB_PROXY_HOST is not set; DB_PROXY_IAM_USERS is not set" });
    expect(run.stdout).toContain(run.error!.message);
  }, 60_000);

  it("refuses an event that is not Secrets Manager's before any call", async () => {
    const run = await runBundle(file, { SecretId: "x", ClientRequestToken: "t", Step: "rotate" }, ENVIRONMENT);
    expect(run.error?.message).toBe("rotation failed at event: not a Secrets Manager rotation event: ClientRequestToken: must be a version id (32..64 letters, digits, hyphens); Step: must be one of createSecret, setSecret, testSecret, finishSecret");
  }, 30_000);
});
