/**
 * Where an environment's alarms and RDS events go: one SNS topic, encrypted with the environment's key,
 * that only CloudWatch alarms and RDS event subscriptions of this account may publish to — or an existing
 * topic given by ARN. Subscriptions come from config.
 */
import { Construct } from "constructs";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission/index.js";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic/index.js";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy/index.js";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription/index.js";
import { partitionOf } from "../aws-regions.ts";
import { renderPolicy } from "../iam.ts";
import { TOPIC_PUBLISHERS } from "../kms.ts";
import type { MonitoringSettings } from "./settings.ts";

export interface NotificationTopicProps {
  /** Topic name, 1..256 letters, digits, hyphens and underscores (ignored with `settings.topicArn`). */
  readonly name: string;
  /** Existing topic and subscriptions (resolveMonitoringSettings). */
  readonly settings: MonitoringSettings;
  readonly account: string;
  readonly region: string;
  /**
   * The environment's key; its policy must let cloudwatch.amazonaws.com and events.rds.amazonaws.com use
   * it (EnvironmentKey's does).
   */
  readonly kmsKeyArn: string;
}

/** The services that publish to the topic: CloudWatch alarms and RDS event subscriptions. */
export const PUBLISHERS = { alarms: TOPIC_PUBLISHERS[0], rdsEvents: TOPIC_PUBLISHERS[1] } as const;

const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;

export class NotificationTopic extends Construct {
  readonly topicArn: string;
  /** Whether dbstack created the topic (false: an existing topic's ARN). */
  readonly created: boolean;

  constructor(scope: Construct, id: string, props: NotificationTopicProps) {
    super(scope, id);
    const { settings } = props;
    if (settings.topicArn) {
      this.topicArn = settings.topicArn;
      this.created = false;
      return;
    }
    if (!TOPIC_NAME.test(props.name)) throw new Error(`NotificationTopic name: ${JSON.stringify(props.name)} — must be 1..256 letters, digits, hyphens and underscores`);
    const partition = partitionOf(props.region);
    const topic = new SnsTopic(this, "topic", { name: props.name, kmsMasterKeyId: props.kmsKeyArn });
    const sourceAccount = { StringEquals: { "aws:SourceAccount": [props.account] } };
    new SnsTopicPolicy(this, "policy", {
      arn: topic.arn,
      policy: renderPolicy([
        {
          sid: "CloudWatchAlarmsOfThisAccountPublish",
          actions: ["sns:Publish"],
          resources: [topic.arn],
          principals: { service: [PUBLISHERS.alarms] },
          conditions: { ...sourceAccount, ArnLike: { "aws:SourceArn": [`arn:${partition}:cloudwatch:${props.region}:${props.account}:alarm:*`] } },
        },
        {
          sid: "RdsEventSubscriptionsOfThisAccountPublish",
          actions: ["sns:Publish"],
          resources: [topic.arn],
          principals: { service: [PUBLISHERS.rdsEvents] },
          // The source is the RDS resource the event is about (db:, cluster:, db-proxy:…), as the RDS User Guide shows.
          conditions: { ...sourceAccount, ArnLike: { "aws:SourceArn": [`arn:${partition}:rds:${props.region}:${props.account}:*`] } },
        },
      ]),
    });
    settings.subscriptions.forEach(({ protocol, endpoint }, i) => {
      new SnsTopicSubscription(this, `subscription-${protocol}-${i}`, { topicArn: topic.arn, protocol, endpoint });
      if (protocol === "lambda") {
        new LambdaPermission(this, `subscription-${protocol}-${i}-permission`, {
          statementId: "InvokedByAlarmTopic",
          action: "lambda:InvokeFunction",
          functionName: endpoint,
          principal: "sns.amazonaws.com",
          sourceArn: topic.arn,
        });
      }
    });
    this.topicArn = topic.arn;
    this.created = true;
  }
}
