import type { Construct } from "constructs";
import { AURORA_INSTANCE_CLASSES, RDS_INSTANCE_CLASSES, SERVERLESS_INSTANCE_CLASS, engineFamilyOf, isAurora } from "../modules/database-engines.ts";
import type { Budget } from "../modules/budget.ts";
import { PathAlarms, alarmSpecs, type AlarmSpec, type WatchedPath } from "../modules/monitoring/alarms.ts";
import { DataPathDashboard } from "../modules/monitoring/dashboard.ts";
import { DatabaseEvents } from "../modules/monitoring/events.ts";
import { deriveThresholds, type Thresholds } from "../modules/monitoring/settings.ts";
import { NotificationTopic } from "../modules/monitoring/topic.ts";
import type { ClientsStack } from "./clients-stack.ts";
import type { EnvironmentConfig } from "./config.ts";
import type { DatabaseStack } from "./database-stack.ts";
import { LayerStack } from "./layer-stack.ts";
import type { ProxyStack } from "./proxy-stack.ts";

/**
 * <env>-monitoring: the alarm topic and its subscriptions, the alarms of the whole path, the RDS event
 * subscriptions and the dashboard. Last in apply order and stateless, so tuning an alarm never plans
 * against a stateful layer. It watches resources by the names the environment derived once (the names the
 * upstream layers give AWS, see modules/names.ts) and declares its dependencies on those layers, so it is
 * applied after them and destroyed before them; the key ARN is its one cross-stack reference.
 */
export class MonitoringStack extends LayerStack {
  readonly topic: NotificationTopic;
  readonly thresholds: Thresholds;
  readonly alarmSpecs: readonly AlarmSpec[];
  readonly alarms: PathAlarms;
  readonly events: DatabaseEvents;
  readonly dashboard: DataPathDashboard;

  constructor(scope: Construct, config: EnvironmentConfig, upstream: { database: DatabaseStack; proxy: ProxyStack; clients?: ClientsStack }, budget: Budget) {
    super(scope, config, "monitoring");
    for (const stack of [upstream.database, upstream.proxy, ...(upstream.clients ? [upstream.clients] : [])]) this.addDependency(stack);
    const { names, database } = config;
    const cluster = isAurora(database.engine);

    // Every Lambda client is watched; the single client of old (construct id "lambda") keeps its alarms' names.
    const lambdaFunctions = config.clientList.filter((c) => c.kind === "function")
      .map((c) => ({ key: c.constructId === "lambda" ? "lambda" : `function-${c.name}`, name: c.awsName }));
    const path: WatchedPath = {
      proxyName: names.proxy.name,
      readOnlyEndpoint: cluster && database.readers > 0,
      database: {
        identifier: names.database.identifier,
        isCluster: cluster,
        readers: cluster ? database.readers : 0,
        serverless: database.instanceClass === SERVERLESS_INSTANCE_CLASS,
        engineFamily: engineFamilyOf(database.engine),
      },
      ...(upstream.clients && lambdaFunctions.length > 0 ? { lambdaFunctions } : {}),
      ...(upstream.proxy.setup && names.setup ? { setupFunctionName: names.setup.functionName } : {}),
      ...(upstream.proxy.rotation && names.rotation ? { rotationFunctionName: names.rotation.functionName } : {}),
      ...(upstream.clients?.migrations && names.migrations ? { migrationsProjectName: names.migrations.project } : {}),
    };

    this.topic = new NotificationTopic(this, "notifications", {
      name: names.monitoring.topic, settings: config.monitoring, account: config.account, region: config.region, kmsKeyArn: upstream.database.kmsKeyArn,
    });

    this.thresholds = deriveThresholds(config.monitoring.thresholds, {
      budget,
      borrowTimeoutSeconds: config.proxy.pool.borrowTimeoutSeconds,
      // Serverless v2 has 2 GiB per ACU; the floor is set from the minimum, where memory is scarcest.
      instanceMemoryGiB: database.serverless ? database.serverless.minCapacity * 2 : (AURORA_INSTANCE_CLASSES[database.instanceClass] ?? RDS_INSTANCE_CLASSES[database.instanceClass] ?? 0),
      ...(database.storage && !cluster ? { allocatedStorageGiB: database.storage.allocatedGiB } : {}),
    });
    this.alarmSpecs = alarmSpecs(path, this.thresholds);
    this.alarms = new PathAlarms(this, "alarms", { specs: this.alarmSpecs, namePrefix: names.monitoring.alarmPrefix, actionArns: [this.topic.topicArn] });

    this.events = new DatabaseEvents(this, "events", {
      namePrefix: names.prefix,
      topicArn: this.topic.topicArn,
      ...(cluster ? { clusterIdentifier: names.database.identifier } : {}),
      instanceIdentifiers: names.database.instances,
      proxyName: names.proxy.name,
    });

    this.dashboard = new DataPathDashboard(this, "dashboard", {
      name: names.monitoring.dashboard,
      path,
      model: { region: config.region, supply: budget.supply, demand: budget.totalDemand, maxConnections: budget.maxConnections.value },
    });

    this.output("alarm_topic_arn", this.topic.topicArn, "Where alarms and RDS events are sent");
    this.output("alarm_names", Object.values(this.alarms.names), "Every alarm of the environment");
    this.output("dashboard_name", this.dashboard.name, "CloudWatch dashboard of the data path");
  }
}
