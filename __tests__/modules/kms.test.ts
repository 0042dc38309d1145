import { describe, expect, it } from "vitest";
import { Testing } from "cdktf";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias/index.js";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key/index.js";
import { EnvironmentKey } from "../../modules/kms.ts";
import { thrownMessage, type SynthesizedStack } from "../helpers.ts";

function synthKey(deletionWindowDays?: number, region = "eu-west-1") {
  const json = Testing.synthScope((scope) => {
    new EnvironmentKey(scope, "key", { alias: "shop-test", account: "123456789012", region, ...(deletionWindowDays ? { deletionWindowDays } : {}) });
  });
  const parsed = JSON.parse(json) as SynthesizedStack;
  const key = Object.values(parsed.resource.aws_kms_key!)[0]!;
  return { json, key, policy: JSON.parse(String(key.policy)) as { Statement: Record<string, unknown>[] } };
}

describe("EnvironmentKey", () => {
  it("rotates, waits 30 days before deletion by default and has an alias", () => {
    const { json } = synthKey();
    expect(json).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true, deletion_window_in_days: 30 });
    expect(json).toHaveResourceWithProperties(KmsAlias, { name: "alias/shop-test" });
  });

  it("delegates to IAM, lets CloudWatch Logs use it for this account's log groups only, and lets alarms and RDS events publish to the topic it encrypts", () => {
    const { policy } = synthKey();
    expect(policy.Statement).toEqual([
      { Sid: "AccountAdministersKeyThroughIam", Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "kms:*", Resource: "*" },
      {
        Sid: "CloudWatchLogsEncryptsThisAccountsLogGroups", Effect: "Allow", Principal: { Service: "logs.eu-west-1.amazonaws.com" },
        Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"], Resource: "*",
        Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:123456789012:log-group:*" } },
      },
      {
        Sid: "AlarmsAndRdsEventsPublishToTheEncryptedTopic", Effect: "Allow", Principal: { Service: ["cloudwatch.amazonaws.com", "events.rds.amazonaws.com"] },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"], Resource: "*",
      },
    ]);
  });

  it("uses the region's partition", () => {
    const { policy } = synthKey(undefined, "cn-north-1");
    expect(policy.Statement[0]!.Principal).toEqual({ AWS: "arn:aws-cn:iam::123456789012:root" });
    expect(policy.Statement[1]!.Principal).toEqual({ Service: "logs.cn-north-1.amazonaws.com.cn" });
  });

  it("fails when the deletion window is outside 7..30 days", () => {
    expect(thrownMessage(() => synthKey(45))).toBe("EnvironmentKey deletionWindowDays: 45 — must be a whole number from 7 to 30");
  });
});
