/**
 * The dbstack pack: every rule with its id, a one-line info, why it matters, its level, and the public
 * checks it corresponds to (checkov CKV_*, trivy AVD-AWS-*, cdk-nag AwsSolutions-*), as a reviewer's map:
 * the correspondence is approximate (those tools check other resource shapes); an empty list means no
 * public tool has the check (RDS Proxy above all).
 * `warning` rules escalate to errors in production where `escalate` is set.
 */
import type { Rule } from "./types.ts";
import { alarmHasActions } from "./rules/alarm-has-actions.ts";
import { alarmRunbook } from "./rules/alarm-runbook.ts";
import { codebuildCmk } from "./rules/codebuild-cmk.ts";
import { codebuildNoPlaintextSecrets } from "./rules/codebuild-no-plaintext-secrets.ts";
import { codebuildNotPrivileged } from "./rules/codebuild-not-privileged.ts";
import { ecsLogConfiguration } from "./rules/ecs-log-configuration.ts";
import { ecsNoSecretEnvironment } from "./rules/ecs-no-secret-environment.ts";
import { ecsReadonlyRoot } from "./rules/ecs-readonly-root.ts";
import { ecsSeparateRoles } from "./rules/ecs-separate-roles.ts";
import { iamKmsDecryptScoped } from "./rules/iam-kms-decrypt-scoped.ts";
import { iamNoStarResource } from "./rules/iam-no-star-resource.ts";
import { iamNoWildcardActions } from "./rules/iam-no-wildcard-actions.ts";
import { iamRdsConnectNamesUser } from "./rules/iam-rds-connect-names-user.ts";
import { kmsRotation } from "./rules/kms-rotation.ts";
import { lambdaInVpc } from "./rules/lambda-in-vpc.ts";
import { lambdaNoSecretEnvironment } from "./rules/lambda-no-secret-environment.ts";
import { lambdaTracing } from "./rules/lambda-tracing.ts";
import { logGroupRetentionAndKey } from "./rules/log-group-retention-and-key.ts";
import { proxyIamAuth } from "./rules/proxy-iam-auth.ts";
import { proxyNoDebugLogging } from "./rules/proxy-no-debug-logging.ts";
import { proxyRequireTls } from "./rules/proxy-require-tls.ts";
import { proxySecurityGroups } from "./rules/proxy-security-groups.ts";
import { rdsBackupRetention } from "./rules/rds-backup-retention.ts";
import { rdsCopyTagsToSnapshot } from "./rules/rds-copy-tags.ts";
import { rdsCustomParameterGroup } from "./rules/rds-custom-parameter-group.ts";
import { rdsDeletionProtection } from "./rules/rds-deletion-protection.ts";
import { rdsEnhancedMonitoring } from "./rules/rds-enhanced-monitoring.ts";
import { rdsFinalSnapshot } from "./rules/rds-final-snapshot.ts";
import { rdsIamAuthentication } from "./rules/rds-iam-authentication.ts";
import { rdsLogExports } from "./rules/rds-log-exports.ts";
import { rdsMinorUpgradeExplicit } from "./rules/rds-minor-upgrade-explicit.ts";
import { rdsNoServerlessV1 } from "./rules/rds-no-serverless-v1.ts";
import { rdsNotPublic } from "./rules/rds-not-public.ts";
import { rdsPerformanceInsights } from "./rules/rds-performance-insights.ts";
import { rdsStorageEncrypted } from "./rules/rds-storage-encrypted.ts";
import { rdsTlsParameter } from "./rules/rds-tls-parameter.ts";
import { secretCmk } from "./rules/secret-cmk.ts";
import { secretNoVersionInState } from "./rules/secret-no-version-in-state.ts";
import { secretRotationScheduled } from "./rules/secret-rotation-scheduled.ts";
import { securityGroupDescriptions } from "./rules/security-group-descriptions.ts";
import { securityGroupNoInternetIngress } from "./rules/security-group-no-internet-ingress.ts";
import { securityGroupNoOpenEgress } from "./rules/security-group-no-open-egress.ts";
import { snsTopicCmk } from "./rules/sns-topic-cmk.ts";
import { ssmSecureString } from "./rules/ssm-secure-string.ts";

export interface PackRule {
  readonly id: string;
  readonly info: string;
  readonly explanation: string;
  readonly level: "error" | "warning";
  /** A warning that is an error in production. */
  readonly escalate?: boolean;
  /** Corresponding public checks. */
  readonly maps: readonly string[];
  readonly rule: Rule;
}

export const PACK: readonly PackRule[] = [
  // ----- Aurora / RDS
  { id: "DBS1", rule: rdsStorageEncrypted, level: "error", maps: ["CKV_AWS_16", "CKV_AWS_96", "AVD-AWS-0079", "AVD-AWS-0080", "AwsSolutions-RDS2"],
    info: "Database storage is encrypted with a customer managed key.", explanation: "A CMK puts who can read snapshots and storage under the key policy, and lets the key be disabled in an incident." },
  { id: "DBS2", rule: rdsIamAuthentication, level: "warning", escalate: true, maps: ["CKV_AWS_161", "CKV_AWS_162", "AVD-AWS-0176", "AwsSolutions-RDS6"],
    info: "IAM database authentication is enabled.", explanation: "Short-lived IAM tokens replace long-lived passwords for direct-IAM users." },
  { id: "DBS3", rule: rdsDeletionProtection, level: "warning", escalate: true, maps: ["CKV_AWS_139", "CKV_AWS_293", "AVD-AWS-0177", "AwsSolutions-RDS10"],
    info: "Deletion protection is on.", explanation: "A mistaken destroy or replacement must not delete the database." },
  { id: "DBS4", rule: rdsFinalSnapshot, level: "warning", escalate: true, maps: [],
    info: "Destroying the database leaves a final snapshot.", explanation: "Without it, a destroy loses every change since the last automated backup." },
  { id: "DBS5", rule: rdsBackupRetention, level: "warning", escalate: true, maps: ["CKV_AWS_133", "AVD-AWS-0077", "AwsSolutions-RDS13"],
    info: "Automated backups are kept at least 7 days.", explanation: "Point-in-time recovery must reach back past a long weekend." },
  { id: "DBS6", rule: rdsCopyTagsToSnapshot, level: "warning", maps: ["CKV2_AWS_60"],
    info: "Snapshots inherit the database's tags.", explanation: "Ownership and data classification must follow the data into snapshots." },
  { id: "DBS7", rule: rdsLogExports, level: "warning", escalate: true, maps: ["CKV_AWS_129", "CKV_AWS_324", "AwsSolutions-RDS16"],
    info: "Database logs are exported to CloudWatch Logs.", explanation: "Errors, slow queries and connection failures must be searchable after the fact." },
  { id: "DBS8", rule: rdsPerformanceInsights, level: "warning", maps: ["CKV_AWS_353", "CKV_AWS_354", "AVD-AWS-0133"],
    info: "Performance Insights is on and encrypted with a CMK.", explanation: "It holds query text; it must be encrypted under the environment's key." },
  { id: "DBS9", rule: rdsEnhancedMonitoring, level: "warning", maps: ["CKV_AWS_118"],
    info: "Enhanced Monitoring is on.", explanation: "OS-level metrics explain what CloudWatch's instance metrics cannot." },
  { id: "DBS10", rule: rdsNotPublic, level: "error", maps: ["CKV_AWS_17", "AVD-AWS-0082"],
    info: "Database instances are not publicly accessible.", explanation: "The database is reached through the proxy inside the VPC only." },
  { id: "DBS11", rule: rdsTlsParameter, level: "error", maps: [],
    info: "The parameter group forces TLS.", explanation: "rds.force_ssl / require_secure_transport make the server refuse plain connections, whatever the client asks." },
  { id: "DBS12", rule: rdsCustomParameterGroup, level: "error", maps: [],
    info: "The database uses its own parameter group.", explanation: "The default group cannot be changed, so TLS could not be forced." },
  { id: "DBS13", rule: rdsMinorUpgradeExplicit, level: "warning", maps: ["CKV_AWS_226"],
    info: "Automatic minor upgrades are set explicitly.", explanation: "Whether the engine changes under you is a decision, not a provider default." },
  { id: "DBS14", rule: rdsNoServerlessV1, level: "error", maps: [],
    info: "No Aurora Serverless v1.", explanation: "RDS Proxy cannot front Serverless v1, and v1 is end of life; use Serverless v2." },
  // ----- RDS Proxy
  { id: "PRX1", rule: proxyRequireTls, level: "error", maps: [],
    info: "The proxy requires TLS from clients.", explanation: "Passwords and IAM tokens must never cross the network in clear text." },
  { id: "PRX2", rule: proxyIamAuth, level: "warning", escalate: true, maps: [],
    info: "Every proxy user requires IAM authentication.", explanation: "Clients holding a password can leak it; a 15-minute token from a role cannot outlive the role." },
  { id: "PRX3", rule: proxyNoDebugLogging, level: "warning", escalate: true, maps: [],
    info: "The proxy does not log debug information.", explanation: "Debug logs hold SQL statements and results: personal data in CloudWatch." },
  { id: "PRX4", rule: proxySecurityGroups, level: "error", maps: [],
    info: "The proxy and its endpoints have their own security groups.", explanation: "The VPC default group would let anything in the group reach the database path." },
  { id: "LOG1", rule: logGroupRetentionAndKey, level: "warning", escalate: true, maps: ["CKV_AWS_66", "CKV_AWS_158", "AVD-AWS-0017"],
    info: "Log groups expire and are encrypted with a CMK.", explanation: "Database, proxy and client logs may hold personal data: bounded and under the environment's key." },
  // ----- Secrets Manager, SSM, KMS
  { id: "SEC1", rule: secretCmk, level: "error", maps: ["CKV_AWS_149", "AVD-AWS-0098"],
    info: "Secrets are encrypted with a customer managed key.", explanation: "IAM on the key, not only on the secret, decides who can read credentials." },
  { id: "SEC2", rule: secretNoVersionInState, level: "error", maps: [],
    info: "No secret value passes through Terraform.", explanation: "A secret version's value is stored in state in plain text; the bootstrap script writes values instead." },
  { id: "SEC3", rule: secretRotationScheduled, level: "warning", escalate: true, maps: ["CKV2_AWS_57", "AwsSolutions-SMG4"],
    info: "Application users' secrets rotate on a schedule.", explanation: "Auditors (SOC 2, PCI DSS) ask for scheduled rotation; a password that never changes outlives everyone who has seen it. Set rotation.schedule." },
  { id: "SSM1", rule: ssmSecureString, level: "error", maps: ["CKV_AWS_337"],
    info: "Secret-looking parameters are SecureString with a CMK.", explanation: "A String parameter is readable by anyone with ssm:GetParameter." },
  { id: "KMS1", rule: kmsRotation, level: "error", maps: ["CKV_AWS_7", "AVD-AWS-0065", "AwsSolutions-KMS5"],
    info: "Customer managed keys rotate.", explanation: "Yearly rotation limits how much data one key version protects." },
  // ----- Security groups
  { id: "SG1", rule: securityGroupDescriptions, level: "warning", maps: ["CKV_AWS_23", "AVD-AWS-0099", "AVD-AWS-0124", "AwsSolutions-EC27"],
    info: "Security groups and rules are described.", explanation: "A reviewer must see why each opening exists." },
  { id: "SG2", rule: securityGroupNoInternetIngress, level: "error", maps: ["CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "AVD-AWS-0107", "AwsSolutions-EC23"],
    info: "No ingress from the internet.", explanation: "Nothing on the database path is meant to be reachable from outside the VPC." },
  { id: "SG3", rule: securityGroupNoOpenEgress, level: "error", maps: ["AVD-AWS-0104"],
    info: "No all-traffic egress to the internet.", explanation: "The seed articles' egress 0.0.0.0/0 on every port gives a compromised host a way out." },
  // ----- IAM
  { id: "IAM1", rule: iamNoWildcardActions, level: "error", maps: ["CKV_AWS_62", "CKV_AWS_63", "AVD-AWS-0057", "AwsSolutions-IAM5"],
    info: "No wildcard actions.", explanation: "Each grant lists the calls it needs." },
  { id: "IAM2", rule: iamNoStarResource, level: "error", maps: ["CKV_AWS_355", "AVD-AWS-0057", "AwsSolutions-IAM5"],
    info: 'No "Resource": "*" for actions that can be scoped.', explanation: "Secrets, keys, log groups and repositories are named by ARN." },
  { id: "IAM3", rule: iamKmsDecryptScoped, level: "error", maps: [],
    info: "kms:Decrypt names its key or is limited by kms:ViaService.", explanation: "Seed 001 and terraform-aws-rds-proxy grant decrypt on every key; a leaked role could read anything." },
  { id: "IAM4", rule: iamRdsConnectNamesUser, level: "error", maps: [],
    info: "rds-db:connect names one database user.", explanation: "dbuser:<prx-id>/* (seed 001) lets a role log in as any user, including the master." },
  // ----- Clients
  { id: "ECS1", rule: ecsNoSecretEnvironment, level: "error", maps: ["AVD-AWS-0036", "AwsSolutions-ECS2"],
    info: "No secrets in a task's plain environment.", explanation: "Plain variables are visible to anyone who can describe the task definition." },
  { id: "ECS2", rule: ecsSeparateRoles, level: "error", maps: [],
    info: "Execution role and task role are separate.", explanation: "The application must not hold the agent's rights to pull images and read every injected secret." },
  { id: "ECS3", rule: ecsLogConfiguration, level: "error", maps: ["AwsSolutions-ECS7"],
    info: "Every container has a log configuration.", explanation: "A crash loop without logs cannot be diagnosed." },
  { id: "ECS4", rule: ecsReadonlyRoot, level: "warning", maps: ["CKV_AWS_336"],
    info: "Containers have a read-only root filesystem.", explanation: "An attacker cannot drop tools into the image's filesystem." },
  { id: "LMB1", rule: lambdaInVpc, level: "error", maps: ["CKV_AWS_117"],
    info: "Functions run in the VPC.", explanation: "The proxy is private; a function outside the VPC cannot reach it." },
  { id: "LMB2", rule: lambdaTracing, level: "warning", maps: ["CKV_AWS_50", "AVD-AWS-0066"],
    info: "X-Ray tracing is active.", explanation: "Connection waits and proxy latency show up in traces." },
  { id: "LMB3", rule: lambdaNoSecretEnvironment, level: "error", maps: ["CKV_AWS_45"],
    info: "No secrets in a function's environment.", explanation: "Function configuration is readable with lambda:GetFunction; use IAM tokens instead." },
  { id: "CB1", rule: codebuildCmk, level: "error", maps: ["CKV_AWS_147", "AwsSolutions-CB4"],
    info: "Build output is encrypted with a CMK.", explanation: "Artifacts and logs may hold connection details." },
  { id: "CB2", rule: codebuildNotPrivileged, level: "error", maps: ["CKV_AWS_316", "AwsSolutions-CB3"],
    info: "Builds are not privileged.", explanation: "A privileged build runs as root with the Docker daemon, next to database credentials." },
  { id: "CB3", rule: codebuildNoPlaintextSecrets, level: "error", maps: [],
    info: "No plaintext secret variables in builds.", explanation: "PLAINTEXT variables are shown in the console and the project's configuration." },
  // ----- Monitoring
  { id: "MON1", rule: alarmHasActions, level: "warning", escalate: true, maps: ["CKV_AWS_319"],
    info: "Every alarm notifies on ALARM and on OK.", explanation: "An alarm without an action changes colour in a console nobody watches; production must tell someone." },
  { id: "MON2", rule: alarmRunbook, level: "warning", maps: [],
    info: "Every alarm says what to do and treats missing data on purpose.", explanation: "Whoever is paged at night needs the first step and the runbook, and an alarm must not fire or hide by accident when data stops." },
  { id: "MON3", rule: snsTopicCmk, level: "error", maps: ["CKV_AWS_26", "AVD-AWS-0136", "AwsSolutions-SNS2"],
    info: "Alarm topics are encrypted with a customer managed key.", explanation: "Alarm and event messages name databases, users and failures; the key policy decides who may read them." },
];

export function packRule(id: string): PackRule | undefined {
  return PACK.find((r) => r.id === id);
}
