import { Construct } from "constructs";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias/index.js";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key/index.js";
import { dnsSuffixOf, partitionOf } from "./aws-regions.ts";
import { renderPolicy } from "./iam.ts";

/** The services that publish to an SNS topic encrypted with the key (modules/monitoring/topic.ts). */
export const TOPIC_PUBLISHERS = ["cloudwatch.amazonaws.com", "events.rds.amazonaws.com"] as const;

export interface EnvironmentKeyProps {
  /** Alias without the "alias/" prefix, e.g. "orders-prod". */
  readonly alias: string;
  /** Account that owns the key; its IAM policies decide who else may use it. */
  readonly account: string;
  readonly region: string;
  /**
   * Days a scheduled deletion waits before the key is gone (AWS allows 7..30).
   * @default 30
   */
  readonly deletionWindowDays?: number;
}

/**
 * The customer managed key of one environment: storage, the master secret, Performance Insights and log
 * groups are encrypted with it. Rotation is on.
 *
 * The key policy delegates to IAM (RDS and Secrets Manager use the key on behalf of a caller whose IAM
 * policy allows it, so each role gets exactly what its grant gives it) and lets CloudWatch Logs use it for
 * this account's log groups in this region only, and lets CloudWatch alarms and RDS event subscriptions
 * (which publish to the environment's encrypted alarm topic) create and read the topic's data keys: SNS
 * calls the key on the publisher's behalf, so the publishing services need it in the key policy.
 */
export class EnvironmentKey extends Construct {
  readonly arn: string;
  readonly keyId: string;
  readonly aliasName: string;

  constructor(scope: Construct, id: string, props: EnvironmentKeyProps) {
    super(scope, id);
    const deletionWindowDays = props.deletionWindowDays ?? 30;
    if (!Number.isInteger(deletionWindowDays) || deletionWindowDays < 7 || deletionWindowDays > 30) {
      throw new Error(`EnvironmentKey deletionWindowDays: ${deletionWindowDays} — must be a whole number from 7 to 30`);
    }
    const partition = partitionOf(props.region);
    const logsArnPattern = `arn:${partition}:logs:${props.region}:${props.account}:log-group:*`;

    const key = new KmsKey(this, "key", {
      description: `dbstack ${props.alias}: database storage, secrets, Performance Insights and logs`,
      enableKeyRotation: true,
      deletionWindowInDays: deletionWindowDays,
      policy: renderPolicy([
        {
          sid: "AccountAdministersKeyThroughIam",
          actions: ["kms:*"],
          resources: ["*"],
          principals: { aws: [`arn:${partition}:iam::${props.account}:root`] },
        },
        {
          sid: "CloudWatchLogsEncryptsThisAccountsLogGroups",
          actions: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
          resources: ["*"],
          principals: { service: [`logs.${props.region}.${dnsSuffixOf(props.region)}`] },
          conditions: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": [logsArnPattern] } },
        },
        {
          sid: "AlarmsAndRdsEventsPublishToTheEncryptedTopic",
          actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
          resources: ["*"],
          principals: { service: [...TOPIC_PUBLISHERS] },
        },
      ]),
    });
    const alias = new KmsAlias(this, "alias", { name: `alias/${props.alias}`, targetKeyId: key.keyId });

    this.arn = key.arn;
    this.keyId = key.keyId;
    this.aliasName = alias.name;
  }
}
