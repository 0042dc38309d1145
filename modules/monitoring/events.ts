/**
 * RDS event subscriptions to the environment's topic: the database (the Aurora cluster and its instances,
 * or the RDS instance) and the proxy. Categories per source type as the RDS User Guide lists them
 * ("Amazon RDS event categories and event messages", "Working with RDS Proxy events").
 */
import { Construct } from "constructs";
import { DbEventSubscription } from "@cdktf/provider-aws/lib/db-event-subscription/index.js";

/** What happens to a database worth a message: it failed over, failed, ran low on storage, is maintained, changed, or RDS says so. */
export const EVENT_CATEGORIES = {
  "db-cluster": ["failover", "failure", "maintenance", "notification"],
  "db-instance": ["availability", "configuration change", "failover", "failure", "low storage", "maintenance", "notification"],
  "db-proxy": ["configuration change", "failure"],
} as const;

export interface DatabaseEventsProps {
  /** Prefix of the subscription names: "<prefix>-cluster-events", "-instance-events", "-proxy-events". */
  readonly namePrefix: string;
  readonly topicArn: string;
  /** The Aurora cluster identifier, when the database is a cluster. */
  readonly clusterIdentifier?: string;
  /** The instance identifiers (a cluster's members, or the RDS instance). */
  readonly instanceIdentifiers: readonly string[];
  readonly proxyName: string;
}

export class DatabaseEvents extends Construct {
  readonly subscriptionNames: readonly string[];

  constructor(scope: Construct, id: string, props: DatabaseEventsProps) {
    super(scope, id);
    const subscriptions: [string, keyof typeof EVENT_CATEGORIES, readonly string[]][] = [
      ...(props.clusterIdentifier ? [["cluster", "db-cluster", [props.clusterIdentifier]] as [string, "db-cluster", string[]]] : []),
      ["instance", "db-instance", props.instanceIdentifiers],
      ["proxy", "db-proxy", [props.proxyName]],
    ];
    this.subscriptionNames = subscriptions.map(([key, sourceType, sourceIds]) => {
      const name = `${props.namePrefix}-${key}-events`;
      new DbEventSubscription(this, key, {
        name,
        snsTopic: props.topicArn,
        sourceType,
        sourceIds: [...sourceIds],
        eventCategories: [...EVENT_CATEGORIES[sourceType]],
        enabled: true,
      });
      return name;
    });
  }
}
