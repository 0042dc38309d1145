import { describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { assumeRole, iamAuthToken } from "../../../scripts/lib/connection/iam-token.ts";

describe("IAM auth tokens", () => {
  it("are signed with a role assumed first, for the endpoint and user asked", async () => {
    const sts = new STSClient({ region: "eu-west-1" });
    const mock = mockClient(sts);
    mock.on(AssumeRoleCommand).resolves({
      Credentials: { AccessKeyId: "ASIAASSUMEDROLE00001", SecretAccessKey: "assumed-secret", SessionToken: "assumed-session-token", Expiration: new Date(Date.now() + 900_000) },
    });
    const credentials = await assumeRole(sts, "arn:aws:iam::210987654321:role/db-access", "dbstack-test");
    expect(mock.commandCalls(AssumeRoleCommand)[0]!.args[0].input).toEqual({ RoleArn: "arn:aws:iam::210987654321:role/db-access", RoleSessionName: "dbstack-test", DurationSeconds: 900 });
    const token = await iamAuthToken({ host: "shop.proxy-abc.eu-west-1.rds.amazonaws.com", port: 5432, user: "app", region: "eu-west-1" }, credentials);
    expect(token).toMatch(/^shop\.proxy-abc\.eu-west-1\.rds\.amazonaws\.com:5432\/\?Action=connect&DBUser=app&/);
    expect(token).toContain("X-Amz-Credential=ASIAASSUMEDROLE00001%2F");
    expect(token).toContain("X-Amz-Security-Token=assumed-session-token");
  });

  it("fail with exit code 5 when the role cannot be assumed", async () => {
    const sts = new STSClient({ region: "eu-west-1" });
    mockClient(sts).on(AssumeRoleCommand).rejects(Object.assign(new Error("not authorized"), { name: "AccessDenied" }));
    await expect(assumeRole(sts, "arn:aws:iam::1:role/x", "s")).rejects.toMatchObject({ exitCode: 5, message: "cannot assume arn:aws:iam::1:role/x: AccessDenied: not authorized" });
  });
});
