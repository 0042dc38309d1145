import { Construct } from "constructs";
import type { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import type { TerraformResource } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { DbInstance } from "@cdktf/provider-aws/lib/db-instance/index.js";
import { DbParameterGroup, type DbParameterGroupParameter } from "@cdktf/provider-aws/lib/db-parameter-group/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js";
import { RdsCluster } from "@cdktf/provider-aws/lib/rds-cluster/index.js";
import { RdsClusterInstance } from "@cdktf/provider-aws/lib/rds-cluster-instance/index.js";
import { RdsClusterParameterGroup } from "@cdktf/provider-aws/lib/rds-cluster-parameter-group/index.js";
import { partitionOf } from "./aws-regions.ts";
import { engineFamilyOf, forceTlsParameterOf, isAurora, type EngineFamily } from "./database-engines.ts";
import { validateDatabaseSettings, type DatabaseSettings } from "./database-settings.ts";
import { attachGrant, dbUserArn, serviceTrustPolicy, type Grantee } from "./iam.ts";
import { ReaderScaling } from "./reader-scaling.ts";
import { DatabaseMetrics } from "./monitoring/metrics.ts";
import { Problems } from "./validation.ts";

export interface DatabaseProps {
  /** Resolved settings (`resolveDatabaseSettings`); validated again here against what RDS accepts. */
  readonly settings: DatabaseSettings;
  /** Cluster or instance identifier; instances of a cluster are "<identifier>-<n>". */
  readonly identifier: string;
  readonly region: string;
  /** Zones the instances are spread over, writer first. */
  readonly availabilityZones: readonly string[];
  readonly subnetGroupName: string;
  /** The database security group (accepts the proxy only). */
  readonly securityGroupId: string;
  /** Customer managed key for storage, the master secret, Performance Insights and log groups. */
  readonly kmsKeyArn: string;
}

/**
 * An Aurora cluster (provisioned or Serverless v2, writer plus readers) or an RDS instance, encrypted with
 * the environment's key, its master password generated and rotated by RDS in Secrets Manager, TLS forced
 * by a parameter group, its logs exported to groups created here with retention and the key.
 */
export class Database extends Construct {
  readonly engineFamily: EngineFamily;
  readonly identifier: string;
  readonly arn: string;
  /** Cluster resource id ("cluster-…") or instance resource id ("db-…"), used in `rds-db:connect` ARNs. */
  readonly resourceId: string;
  readonly writerEndpoint: string;
  /** Aurora's reader endpoint; undefined for an RDS instance. */
  readonly readerEndpoint?: string;
  readonly port: number;
  readonly masterSecretArn: string;
  readonly masterUsername: string;
  readonly securityGroupId: string;
  readonly kmsKeyArn: string;
  readonly isCluster: boolean;
  /** Whether an Aurora cluster has reader instances (a read-only proxy endpoint is then useful). */
  readonly hasReaders: boolean;
  readonly subnetGroupName: string;
  /** The instances that serve connections: a cluster's members, or the RDS instance. */
  readonly instances: TerraformResource[] = [];
  private readonly iamAuthentication: boolean;
  /** Created with the first grant, so databases without one synthesize no unused local. */

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const problems = new Problems();
    validateDatabaseSettings(props.settings, false, problems);
    problems.check(props.availabilityZones.length > 0, "availabilityZones", props.availabilityZones, "must name at least one zone");
    problems.throwIfAny(`Database ${id}`);

    const s = props.settings;
    this.engineFamily = engineFamilyOf(s.engine);
    this.identifier = props.identifier;
    this.port = s.port;
    this.masterUsername = s.masterUsername;
    this.securityGroupId = props.securityGroupId;
    this.kmsKeyArn = props.kmsKeyArn;
    this.isCluster = isAurora(s.engine);
    this.hasReaders = this.isCluster && s.readers > 0;
    this.subnetGroupName = props.subnetGroupName;
    this.iamAuthentication = s.iamAuthentication;

    const logGroups = s.logExports.map((type) => new CloudwatchLogGroup(this, `log-group-${type}`, {
      name: `/aws/rds/${this.isCluster ? "cluster" : "instance"}/${props.identifier}/${type}`,
      retentionInDays: s.logRetentionDays,
      kmsKeyId: props.kmsKeyArn,
    }));
    const monitoringRoleArn = s.monitoringIntervalSeconds > 0 ? this.monitoringRole(props).arn : undefined;
    const parameters = serverParameters(s);
    // What every database instance gets, whether it belongs to a cluster or stands alone.
    const instanceSettings = {
      publiclyAccessible: false,
      autoMinorVersionUpgrade: s.autoMinorVersionUpgrade,
      caCertIdentifier: s.caCertificate,
      monitoringInterval: s.monitoringIntervalSeconds,
      monitoringRoleArn,
      performanceInsightsEnabled: s.performanceInsights.enabled,
      performanceInsightsKmsKeyId: s.performanceInsights.enabled ? props.kmsKeyArn : undefined,
      performanceInsightsRetentionPeriod: s.performanceInsights.enabled ? s.performanceInsights.retentionDays : undefined,
      copyTagsToSnapshot: s.copyTagsToSnapshot,
      applyImmediately: s.applyImmediately,
    };

    if (this.isCluster) {
      const parameterGroup = new RdsClusterParameterGroup(this, "cluster-parameters", {
        name: `${props.identifier}-cluster${s.parameterGroupNameSuffix}`,
        family: s.parameterGroupFamily,
        description: `${props.identifier}: TLS required${s.logExports.length ? ", logs for export" : ""}`,
        parameter: parameters,
        lifecycle: { createBeforeDestroy: true },
      });
      // max_connections is an instance-level parameter in Aurora: it needs an instance parameter group.
      const instanceParameters = s.maxConnections === undefined ? undefined : new DbParameterGroup(this, "instance-parameters", {
        name: `${props.identifier}-instance${s.parameterGroupNameSuffix}`,
        family: s.parameterGroupFamily,
        description: `${props.identifier}: instance parameters`,
        parameter: [maxConnectionsParameter(s)!],
        lifecycle: { createBeforeDestroy: true },
      });
      const cluster = new RdsCluster(this, "cluster", {
        clusterIdentifier: props.identifier,
        engine: s.engine,
        engineMode: "provisioned",
        engineVersion: s.engineVersion,
        masterUsername: s.masterUsername,
        manageMasterUserPassword: true,
        masterUserSecretKmsKeyId: props.kmsKeyArn,
        port: s.port,
        dbSubnetGroupName: props.subnetGroupName,
        vpcSecurityGroupIds: [props.securityGroupId],
        dbClusterParameterGroupName: parameterGroup.name,
        storageEncrypted: true,
        kmsKeyId: props.kmsKeyArn,
        storageType: s.ioOptimized ? "aurora-iopt1" : undefined,
        iamDatabaseAuthenticationEnabled: s.iamAuthentication,
        deletionProtection: s.deletionProtection,
        skipFinalSnapshot: s.skipFinalSnapshot,
        finalSnapshotIdentifier: s.skipFinalSnapshot ? undefined : `${props.identifier}-final`,
        backupRetentionPeriod: s.backupRetentionDays,
        preferredBackupWindow: s.backupWindow,
        preferredMaintenanceWindow: s.maintenanceWindow,
        copyTagsToSnapshot: s.copyTagsToSnapshot,
        enabledCloudwatchLogsExports: [...s.logExports],
        serverlessv2ScalingConfiguration: s.serverless,
        allowMajorVersionUpgrade: s.upgrade?.major ?? false,
        // A major upgrade of a cluster whose instances have a custom parameter group must name the new family's
        // group, or RDS refuses it (terraform-provider-aws#17357); RDS accepts it only with a major upgrade.
        dbInstanceParameterGroupName: s.upgrade?.major ? instanceParameters?.name : undefined,
        applyImmediately: s.applyImmediately,
        dependsOn: logGroups,
        lifecycle: versionLifecycle(s),
      });
      // The writer is whichever instance RDS promotes; names are ordinal so a failover does not make them lie.
      for (let i = 0; i <= s.readers; i++) {
        // Instance 1 is the writer; reader settings (modules/reader-scaling.ts) start at instance 2.
        const reader = i === 0 ? undefined : s.readerInstances[i - 1];
        this.instances.push(new RdsClusterInstance(this, `instance-${i + 1}`, {
          identifier: `${props.identifier}-${i + 1}`,
          clusterIdentifier: cluster.id,
          engine: s.engine,
          engineVersion: s.engineVersion,
          instanceClass: reader?.instanceClass ?? s.instanceClass,
          availabilityZone: reader?.availabilityZone ?? props.availabilityZones[i % props.availabilityZones.length],
          promotionTier: reader?.promotionTier ?? Math.min(i, 15),
          dbSubnetGroupName: props.subnetGroupName,
          dbParameterGroupName: instanceParameters?.name,
          ...instanceSettings,
          // The cluster's version is the instances' version: RDS upgrades every member with the cluster (minor
          // or major), so a version planned on an instance would only race the cluster's or undo AWS's minor upgrade.
          lifecycle: { ignoreChanges: ["engine_version"] },
        }));
      }
      if (s.readerScaling) new ReaderScaling(this, "reader-scaling", { clusterIdentifier: props.identifier, settings: s.readerScaling, dependsOn: [cluster, ...this.instances] });
      this.arn = cluster.arn;
      this.resourceId = cluster.clusterResourceId;
      this.writerEndpoint = cluster.endpoint;
      this.readerEndpoint = cluster.readerEndpoint;
      this.masterSecretArn = cluster.masterUserSecret.get(0).secretArn;
    } else {
      const parameterGroup = new DbParameterGroup(this, "parameters", {
        name: `${props.identifier}${s.parameterGroupNameSuffix}`,
        family: s.parameterGroupFamily,
        description: `${props.identifier}: TLS required${s.logExports.length ? ", logs for export" : ""}`,
        parameter: [...parameters, ...(s.maxConnections === undefined ? [] : [maxConnectionsParameter(s)!])],
        lifecycle: { createBeforeDestroy: true },
      });
      if (!s.storage || s.multiAz === undefined) throw new Error(`Database ${id}: settings lack storage/multiAz; resolve them with resolveDatabaseSettings`);
      const { storage, multiAz } = s;
      const instance = new DbInstance(this, "instance", {
        identifier: props.identifier,
        engine: s.engine,
        engineVersion: s.engineVersion,
        instanceClass: s.instanceClass,
        allocatedStorage: storage.allocatedGiB,
        maxAllocatedStorage: storage.maxAllocatedGiB,
        storageType: storage.type,
        storageEncrypted: true,
        kmsKeyId: props.kmsKeyArn,
        username: s.masterUsername,
        manageMasterUserPassword: true,
        masterUserSecretKmsKeyId: props.kmsKeyArn,
        port: s.port,
        dbSubnetGroupName: props.subnetGroupName,
        vpcSecurityGroupIds: [props.securityGroupId],
        parameterGroupName: parameterGroup.name,
        multiAz,
        availabilityZone: multiAz ? undefined : props.availabilityZones[0],
        iamDatabaseAuthenticationEnabled: s.iamAuthentication,
        deletionProtection: s.deletionProtection,
        skipFinalSnapshot: s.skipFinalSnapshot,
        finalSnapshotIdentifier: s.skipFinalSnapshot ? undefined : `${props.identifier}-final`,
        backupRetentionPeriod: s.backupRetentionDays,
        backupWindow: s.backupWindow,
        maintenanceWindow: s.maintenanceWindow,
        enabledCloudwatchLogsExports: [...s.logExports],
        allowMajorVersionUpgrade: s.upgrade?.major ?? false,
        blueGreenUpdate: s.blueGreenUpdate ? { enabled: true } : undefined,
        ...instanceSettings,
        dependsOn: logGroups,
        lifecycle: versionLifecycle(s),
      });
      this.instances.push(instance);
      this.arn = instance.arn;
      this.resourceId = instance.resourceId;
      this.writerEndpoint = instance.address;
      this.masterSecretArn = instance.masterUserSecret.get(0).secretArn;
    }
  }

  /**
   * Lets `grantee` connect straight to the database (not through the proxy) as `dbUser` with an IAM
   * token: rds-db:connect on arn:<partition>:rds-db:<region>:<account>:dbuser:<resource id>/<dbUser>.
   * The user must be granted rds_iam (PostgreSQL) or use AWSAuthenticationPlugin (MySQL), which also stops
   * it logging in with a password — so it cannot be a user the proxy serves.
   */
  grantConnect(grantee: Grantee, dbUser: string): IamRolePolicy {
    if (!this.iamAuthentication) {
      throw new Error(`Database grantConnect: ${this.identifier} has iamAuthentication off; IAM tokens for "${dbUser}" would be refused`);
    }
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(dbUser)) {
      throw new Error(`Database grantConnect: "${dbUser}" is not a database user name`);
    }
    const id = `connect-${dbUser}-direct`;
    return attachGrant(id, grantee, [
      { sid: "ConnectToDatabase", actions: ["rds-db:connect"], resources: [dbUserArn(grantee, id, this.arn, this.resourceId, dbUser)] },
    ]);
  }

  /** CloudWatch metrics of the database: by role for an Aurora cluster, by instance for RDS (modules/monitoring/metrics.ts). */
  metrics(): DatabaseMetrics {
    return new DatabaseMetrics(this.identifier, this.isCluster);
  }

  private monitoringRole(props: DatabaseProps): IamRole {
    const role = new IamRole(this, "monitoring-role", {
      name: `${props.identifier}-monitoring`,
      description: `Enhanced Monitoring of ${props.identifier}`,
      assumeRolePolicy: serviceTrustPolicy("monitoring.rds.amazonaws.com"),
    });
    new IamRolePolicyAttachment(this, "monitoring-role-policy", {
      role: role.name,
      policyArn: `arn:${partitionOf(props.region)}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole`,
    });
    return role;
  }
}

/**
 * Without a planned upgrade the configured version is a least version: a newer one AWS applied (automatic
 * minor upgrades, or a forced one at the end of support) is left alone rather than planned as a downgrade,
 * which RDS refuses (terraform-provider-aws 5.100 plans it: the configured "16.8" is not a prefix of "16.9").
 * With `upgrade` the version is planned like any other change.
 */
function versionLifecycle(s: DatabaseSettings): { ignoreChanges?: string[] } | undefined {
  return s.upgrade ? undefined : { ignoreChanges: ["engine_version"] };
}

function maxConnectionsParameter(s: DatabaseSettings): DbParameterGroupParameter | undefined {
  if (s.maxConnections === undefined) return undefined;
  // PostgreSQL's max_connections is static: it takes effect at the next reboot.
  return { name: "max_connections", value: String(s.maxConnections), applyMethod: engineFamilyOf(s.engine) === "POSTGRESQL" ? "pending-reboot" : "immediate" };
}

/** TLS enforcement, plus what the MySQL log exports need to have anything to export. */
function serverParameters(s: DatabaseSettings): { name: string; value: string }[] {
  const parameters = [forceTlsParameterOf(s.engine)];
  if (engineFamilyOf(s.engine) === "MYSQL") {
    if (s.logExports.includes("slowquery")) parameters.push({ name: "slow_query_log", value: "1" }, { name: "long_query_time", value: "2" });
    if (s.logExports.includes("general")) parameters.push({ name: "general_log", value: "1" });
    if (s.logExports.includes("slowquery") || s.logExports.includes("general")) parameters.push({ name: "log_output", value: "FILE" });
    if (s.logExports.includes("audit")) parameters.push({ name: "server_audit_logging", value: "1" }, { name: "server_audit_events", value: "CONNECT,QUERY_DCL,QUERY_DDL" });
  }
  return parameters;
}
