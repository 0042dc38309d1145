import { describe, expect, it } from "vitest";
import { PACK } from "../../../modules/policy/pack.ts";
import type { ResourceFacts, Verdict } from "../../../modules/policy/types.ts";

const KEY = "${aws_kms_key.key_F64E54E4.arn}";
const policy = (...statements: Record<string, unknown>[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const containers = (...defs: Record<string, unknown>[]) => JSON.stringify(defs);
const goodContainer = { name: "app", readonlyRootFilesystem: true, logConfiguration: { logDriver: "awslogs" }, environment: [{ name: "LOG_LEVEL", value: "info" }] };

const APP_SECRET = "${data.terraform_remote_state.db.outputs.app_secret_arn}";
const MASTER_SECRET = "${data.terraform_remote_state.db.outputs.aws_rds_clusterdatabase_cluster_FAF2FB92master_user_secret0secret_arn}";
/** The stack every case is judged in (rules about how resources relate look at it): one schedule, on app's secret. */
const STACK = {
  aws_secretsmanager_secret_rotation: { app: { secret_id: APP_SECRET, rotation_lambda_arn: "${aws_lambda_function.rotate.arn}", rotation_rules: { automatically_after_days: 30 } } },
};

type Case = [type: string, attributes: Record<string, unknown>];
interface RuleCases {
  compliant: Case;
  nonCompliant: [...Case, message: string];
  notApplicable: Case;
  unknown?: [...Case, message: string];
}

/** For every rule of the pack: a compliant, a non-compliant (message asserted) and a not-applicable resource. */
const CASES: Record<string, RuleCases> = {
  DBS1: { compliant: ["aws_rds_cluster", { storage_encrypted: true, kms_key_id: KEY }], nonCompliant: ["aws_db_instance", { storage_encrypted: true, kms_key_id: "arn:aws:kms:eu-west-1:123456789012:alias/aws/rds" }, "storage uses an AWS managed key (arn:aws:kms:eu-west-1:123456789012:alias/aws/rds)"], notApplicable: ["aws_rds_cluster_instance", {}], unknown: ["aws_rds_cluster", { storage_encrypted: true, kms_key_id: "${data.aws_kms_key.shared.arn}" }, "storage key ${data.aws_kms_key.shared.arn} cannot be checked at synth"] },
  DBS2: { compliant: ["aws_db_instance", { iam_database_authentication_enabled: true }], nonCompliant: ["aws_rds_cluster", {}, "iam_database_authentication_enabled is not true"], notApplicable: ["aws_db_proxy", {}] },
  DBS3: { compliant: ["aws_rds_cluster", { deletion_protection: true }], nonCompliant: ["aws_db_instance", { deletion_protection: false }, "deletion_protection is not true"], notApplicable: ["aws_kms_key", {}] },
  DBS4: { compliant: ["aws_rds_cluster", { skip_final_snapshot: false, final_snapshot_identifier: "x-final" }], nonCompliant: ["aws_rds_cluster", { skip_final_snapshot: true }, "skip_final_snapshot is true"], notApplicable: ["aws_rds_cluster_instance", {}] },
  DBS5: { compliant: ["aws_rds_cluster", { backup_retention_period: 7 }], nonCompliant: ["aws_db_instance", { backup_retention_period: 3 }, "backup_retention_period is 3 days"], notApplicable: ["aws_s3_bucket", {}], unknown: ["aws_rds_cluster", { backup_retention_period: "${var.days}" }, "backup_retention_period ${var.days} cannot be checked at synth"] },
  DBS6: { compliant: ["aws_rds_cluster", { copy_tags_to_snapshot: true }], nonCompliant: ["aws_rds_cluster", {}, "copy_tags_to_snapshot is not true"], notApplicable: ["aws_db_proxy", {}] },
  DBS7: { compliant: ["aws_rds_cluster", { enabled_cloudwatch_logs_exports: ["postgresql"] }], nonCompliant: ["aws_db_instance", { enabled_cloudwatch_logs_exports: [] }, "enabled_cloudwatch_logs_exports is empty"], notApplicable: ["aws_rds_cluster_instance", {}] },
  DBS8: { compliant: ["aws_rds_cluster_instance", { performance_insights_enabled: true, performance_insights_kms_key_id: KEY }], nonCompliant: ["aws_db_instance", { performance_insights_enabled: true }, "Performance Insights uses no customer managed key"], notApplicable: ["aws_rds_cluster", {}] },
  DBS9: { compliant: ["aws_rds_cluster_instance", { monitoring_interval: 60, monitoring_role_arn: "${aws_iam_role.m.arn}" }], nonCompliant: ["aws_db_instance", { monitoring_interval: 0 }, "monitoring_interval is 0 (Enhanced Monitoring off)"], notApplicable: ["aws_rds_cluster", {}] },
  DBS10: { compliant: ["aws_db_instance", { publicly_accessible: false }], nonCompliant: ["aws_rds_cluster_instance", { publicly_accessible: true }, "publicly_accessible is true"], notApplicable: ["aws_rds_cluster", {}] },
  DBS11: { compliant: ["aws_rds_cluster_parameter_group", { parameter: [{ name: "rds.force_ssl", value: "1" }] }], nonCompliant: ["aws_db_parameter_group", { parameter: [{ name: "require_secure_transport", value: "OFF" }] }, "require_secure_transport is OFF"], notApplicable: ["aws_db_parameter_group", { family: "aurora-mysql8.0", parameter: [{ name: "max_connections", value: "2000" }] }], unknown: ["aws_db_parameter_group", { parameter: "${local.params}" }, "parameter is not a list at synth"] },
  DBS12: { compliant: ["aws_rds_cluster", { db_cluster_parameter_group_name: "${aws_rds_cluster_parameter_group.p.name}" }], nonCompliant: ["aws_db_instance", { parameter_group_name: "default.postgres16" }, "parameter_group_name is not a custom group"], notApplicable: ["aws_rds_cluster_instance", {}] },
  DBS13: { compliant: ["aws_rds_cluster_instance", { auto_minor_version_upgrade: false }], nonCompliant: ["aws_db_instance", {}, "auto_minor_version_upgrade is not set explicitly"], notApplicable: ["aws_rds_cluster", {}] },
  DBS14: { compliant: ["aws_rds_cluster", { engine_mode: "provisioned" }], nonCompliant: ["aws_rds_cluster", { engine_mode: "serverless" }, 'engine_mode is "serverless" (Serverless v1)'], notApplicable: ["aws_db_instance", {}] },
  PRX1: { compliant: ["aws_db_proxy", { require_tls: true }], nonCompliant: ["aws_db_proxy", { require_tls: false }, "require_tls is not true"], notApplicable: ["aws_db_proxy_endpoint", {}] },
  PRX2: { compliant: ["aws_db_proxy", { auth: [{ iam_auth: "REQUIRED" }] }], nonCompliant: ["aws_db_proxy", { auth: [{ iam_auth: "REQUIRED" }, { iam_auth: "DISABLED", description: "reporting (readonly)" }] }, "iam_auth is not REQUIRED for reporting (readonly)"], notApplicable: ["aws_rds_cluster", {}] },
  PRX3: { compliant: ["aws_db_proxy", { debug_logging: false }], nonCompliant: ["aws_db_proxy", { debug_logging: true }, "debug_logging is true"], notApplicable: ["aws_db_proxy_target", {}] },
  PRX4: { compliant: ["aws_db_proxy_endpoint", { vpc_security_group_ids: ["${aws_security_group.p.id}"] }], nonCompliant: ["aws_db_proxy", { vpc_security_group_ids: [] }, "vpc_security_group_ids is empty (the VPC default group would apply)"], notApplicable: ["aws_rds_cluster", {}] },
  LOG1: { compliant: ["aws_cloudwatch_log_group", { retention_in_days: 30, kms_key_id: KEY }], nonCompliant: ["aws_cloudwatch_log_group", { kms_key_id: KEY }, "retention_in_days is not set: logs are kept forever"], notApplicable: ["aws_kms_key", {}] },
  SEC1: { compliant: ["aws_secretsmanager_secret", { kms_key_id: KEY }], nonCompliant: ["aws_secretsmanager_secret", {}, "secret uses no customer managed key"], notApplicable: ["aws_secretsmanager_secret_version", {}] },
  SEC2: { compliant: ["aws_secretsmanager_secret_version", { secret_string_wo: "write-only", secret_string_wo_version: 1 }], nonCompliant: ["aws_secretsmanager_secret_version", { secret_string: "{\"password\":\"hunter2\"}" }, "secret_string is a literal in the configuration and the state"], notApplicable: ["aws_ssm_parameter", {}] },
  SEC3: {
    compliant: ["aws_db_proxy", { auth: [{ description: "app (readwrite)", secret_arn: APP_SECRET }, { description: "dbadmin (master, administration)", secret_arn: MASTER_SECRET }] }],
    nonCompliant: ["aws_db_proxy", { auth: [{ description: "app (readwrite)", secret_arn: APP_SECRET }, { description: "reporting (readonly)", secret_arn: "${data.x.reporting}" }] }, "no rotation schedule for the secret of reporting (readonly)"],
    notApplicable: ["aws_secretsmanager_secret", {}],
  },
  SSM1: { compliant: ["aws_ssm_parameter", { name: "/shop/prod/database/host", type: "String" }], nonCompliant: ["aws_ssm_parameter", { name: "/shop/prod/database/password", type: "String" }, "/shop/prod/database/password looks secret but its type is String"], notApplicable: ["aws_secretsmanager_secret", {}] },
  KMS1: { compliant: ["aws_kms_key", { enable_key_rotation: true }], nonCompliant: ["aws_kms_key", {}, "enable_key_rotation is not true"], notApplicable: ["aws_kms_key", { customer_master_key_spec: "RSA_2048" }] },
  SG1: { compliant: ["aws_vpc_security_group_ingress_rule", { description: "clients to proxy" }], nonCompliant: ["aws_security_group", { description: "Managed by Terraform" }, "description is missing"], notApplicable: ["aws_vpc", {}] },
  SG2: { compliant: ["aws_vpc_security_group_ingress_rule", { referenced_security_group_id: "${aws_security_group.c.id}" }], nonCompliant: ["aws_vpc_security_group_ingress_rule", { cidr_ipv4: "0.0.0.0/0" }, "ingress from 0.0.0.0/0"], notApplicable: ["aws_vpc_security_group_egress_rule", {}] },
  SG3: { compliant: ["aws_vpc_security_group_egress_rule", { ip_protocol: "tcp", cidr_ipv4: "0.0.0.0/0", from_port: 443 }], nonCompliant: ["aws_vpc_security_group_egress_rule", { ip_protocol: "-1", cidr_ipv4: "0.0.0.0/0" }, "all traffic to the internet"], notApplicable: ["aws_vpc_security_group_ingress_rule", {}] },
  IAM1: { compliant: ["aws_iam_role_policy", { policy: policy({ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "arn:s" }) }], nonCompliant: ["aws_iam_policy", { policy: policy({ Effect: "Allow", Action: ["s3:*"], Resource: "arn:b" }) }, "wildcard actions s3:*"], notApplicable: ["aws_kms_key", { policy: policy({ Effect: "Allow", Action: "kms:*", Resource: "*" }) }], unknown: ["aws_iam_role_policy", { policy: "${data.aws_iam_policy_document.x.json}" }, "the policy is not literal JSON at synth"] },
  IAM2: { compliant: ["aws_iam_role_policy", { policy: policy({ Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" }) }], nonCompliant: ["aws_iam_role_policy", { policy: policy({ Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: "*" }) }, 'Resource "*" for scopeable actions secretsmanager:GetSecretValue'], notApplicable: ["aws_s3_bucket_policy", {}] },
  IAM3: { compliant: ["aws_iam_role_policy", { policy: policy({ Effect: "Allow", Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } } }) }], nonCompliant: ["aws_iam_role_policy", { policy: policy({ Effect: "Allow", Action: "kms:Decrypt", Resource: "*" }) }, "kms:Decrypt on any key without a kms:ViaService condition"], notApplicable: ["aws_iam_role_policy", { policy: policy({ Effect: "Allow", Action: "logs:PutLogEvents", Resource: "arn:l" }) }] },
  IAM4: { compliant: ["aws_iam_role_policy", { policy: policy({ Effect: "Allow", Action: "rds-db:connect", Resource: "${local.prefix}/app" }) }], nonCompliant: ["aws_iam_role_policy", { policy: policy({ Effect: "Allow", Action: "rds-db:connect", Resource: "arn:aws:rds-db:eu-west-1:123456789012:dbuser:prx-123/*" }) }, "rds-db:connect on arn:aws:rds-db:eu-west-1:123456789012:dbuser:prx-123/*"], notApplicable: ["aws_iam_role_policy", { policy: policy({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:o" }) }] },
  ECS1: { compliant: ["aws_ecs_task_definition", { container_definitions: containers(goodContainer) }], nonCompliant: ["aws_ecs_task_definition", { container_definitions: containers({ ...goodContainer, environment: [{ name: "DB_PASSWORD", value: "x" }] }) }, "secret-looking plain variables DB_PASSWORD"], notApplicable: ["aws_lambda_function", {}], unknown: ["aws_ecs_task_definition", { container_definitions: "${local.defs}" }, "container_definitions is not literal JSON at synth"] },
  ECS2: { compliant: ["aws_ecs_task_definition", { execution_role_arn: "${aws_iam_role.e.arn}", task_role_arn: "${aws_iam_role.t.arn}" }], nonCompliant: ["aws_ecs_task_definition", { execution_role_arn: "${aws_iam_role.e.arn}", task_role_arn: "${aws_iam_role.e.arn}" }, "execution_role_arn and task_role_arn are the same role"], notApplicable: ["aws_iam_role", {}] },
  ECS3: { compliant: ["aws_ecs_task_definition", { container_definitions: containers(goodContainer) }], nonCompliant: ["aws_ecs_task_definition", { container_definitions: containers({ ...goodContainer, logConfiguration: undefined }) }, "no logConfiguration for app"], notApplicable: ["aws_ecs_service", {}] },
  ECS4: { compliant: ["aws_ecs_task_definition", { container_definitions: containers(goodContainer) }], nonCompliant: ["aws_ecs_task_definition", { container_definitions: containers({ ...goodContainer, readonlyRootFilesystem: false }) }, "writable root filesystem for app"], notApplicable: ["aws_ecs_cluster", {}] },
  LMB1: { compliant: ["aws_lambda_function", { vpc_config: { subnet_ids: ["s"], security_group_ids: ["g"] } }], nonCompliant: ["aws_lambda_function", {}, "vpc_config has no subnets or security groups"], notApplicable: ["aws_codebuild_project", {}] },
  LMB2: { compliant: ["aws_lambda_function", { tracing_config: { mode: "Active" } }], nonCompliant: ["aws_lambda_function", { tracing_config: { mode: "PassThrough" } }, "tracing_config.mode is not Active"], notApplicable: ["aws_ecs_task_definition", {}] },
  LMB3: { compliant: ["aws_lambda_function", { environment: { variables: { DB_HOST: "h" } } }], nonCompliant: ["aws_lambda_function", { environment: { variables: { API_KEY: "k" } } }, "secret-looking variables API_KEY"], notApplicable: ["aws_codebuild_project", {}] },
  CB1: { compliant: ["aws_codebuild_project", { encryption_key: KEY }], nonCompliant: ["aws_codebuild_project", {}, "build output uses no customer managed key"], notApplicable: ["aws_lambda_function", {}] },
  CB2: { compliant: ["aws_codebuild_project", { environment: { privileged_mode: false } }], nonCompliant: ["aws_codebuild_project", { environment: { privileged_mode: true } }, "privileged_mode is true"], notApplicable: ["aws_codepipeline", {}] },
  MON1: { compliant: ["aws_cloudwatch_metric_alarm", { actions_enabled: true, alarm_actions: ["${aws_sns_topic.t.arn}"], ok_actions: ["${aws_sns_topic.t.arn}"] }], nonCompliant: ["aws_cloudwatch_metric_alarm", { alarm_actions: ["${aws_sns_topic.t.arn}"] }, "ok_actions is empty: nobody is told when it recovers"], notApplicable: ["aws_sns_topic", {}] },
  MON2: { compliant: ["aws_cloudwatch_metric_alarm", { alarm_description: "The pool is full. First: find the client. Runbook: README.md#troubleshooting \"proxy-pool-nearly-exhausted\".", treat_missing_data: "notBreaching" }], nonCompliant: ["aws_cloudwatch_metric_alarm", { alarm_description: "CPU high" }, 'alarm_description has no "First: … Runbook: …" line; treat_missing_data is not set'], notApplicable: ["aws_cloudwatch_dashboard", {}] },
  MON3: { compliant: ["aws_sns_topic", { kms_master_key_id: KEY }], nonCompliant: ["aws_sns_topic", { kms_master_key_id: "alias/aws/sns" }, "the topic uses an AWS managed key (alias/aws/sns)"], notApplicable: ["aws_sns_topic_policy", {}], unknown: ["aws_sns_topic", { kms_master_key_id: "${var.key}" }, "the topic key ${var.key} cannot be checked at synth"] },
  CB3: { compliant: ["aws_codebuild_project", { environment: { environment_variable: [{ name: "DB_PASSWORD", type: "SECRETS_MANAGER", value: "arn:s:password" }] } }], nonCompliant: ["aws_codebuild_project", { environment: { environment_variable: [{ name: "DB_PASSWORD", value: "hunter2" }] } }, "PLAINTEXT secret-looking variables DB_PASSWORD"], notApplicable: ["aws_codepipeline", {}] },
};

const facts = (type: string, attributes: Record<string, unknown>): ResourceFacts => ({ type, address: `${type}.x`, attributes, production: false, stackResources: STACK });

describe.each(PACK.map((rule) => [rule.id, rule] as const))("rule %s", (id, rule) => {
  const cases = CASES[id];

  it("has test cases", () => {
    expect(cases, `no cases for ${id}`).toBeDefined();
  });

  it("passes a compliant resource", () => {
    expect(rule.rule(facts(...cases!.compliant))).toEqual<Verdict>({ result: "compliant" });
  });

  it("fails a non-compliant resource, saying why", () => {
    const [type, attributes, message] = cases!.nonCompliant;
    expect(rule.rule(facts(type, attributes))).toEqual<Verdict>({ result: "non-compliant", detail: message });
  });

  it("does not apply elsewhere", () => {
    expect(rule.rule(facts(...cases!.notApplicable))).toEqual<Verdict>({ result: "not-applicable" });
  });

  it("documents itself", () => {
    expect(rule.info).toMatch(/\.$/);
    expect(rule.explanation.length).toBeGreaterThan(20);
    for (const id of rule.maps) expect(id).toMatch(/^(CKV2?_AWS_\d+|AVD-AWS-\d{4}|AwsSolutions-[A-Z]+\d+)$/);
  });
});

describe.each(PACK.filter((rule) => CASES[rule.id]?.unknown).map((rule) => [rule.id, rule] as const))("rule %s", (id, rule) => {
  it("reports what it cannot see through as unknown, never as passed", () => {
    const [type, attributes, message] = CASES[id]!.unknown!;
    expect(rule.rule(facts(type, attributes))).toEqual<Verdict>({ result: "unknown", detail: message });
  });
});

describe("rule SEC3 without the stack", () => {
  it("reports that it cannot see the schedules, never passes; a proxy serving only the master is not its concern", () => {
    const rule = PACK.find((r) => r.id === "SEC3")!.rule;
    const proxy = { type: "aws_db_proxy", address: "aws_db_proxy.p", production: true };
    expect(rule({ ...proxy, attributes: { auth: [{ secret_arn: APP_SECRET }] } })).toEqual<Verdict>({ result: "unknown", detail: "the proxy's stack was not given, so its rotation schedules cannot be seen" });
    expect(rule({ ...proxy, attributes: { auth: [{ secret_arn: MASTER_SECRET }] }, stackResources: {} })).toEqual<Verdict>({ result: "not-applicable" });
    // A schedule without a function (managed rotation) does not rotate an application user's password.
    const managedOnly = { aws_secretsmanager_secret_rotation: { app: { secret_id: APP_SECRET, rotation_rules: { automatically_after_days: 30 } } } };
    expect(rule({ ...proxy, attributes: { auth: [{ secret_arn: APP_SECRET, description: "app (readwrite)" }] }, stackResources: managedOnly })).toEqual<Verdict>({ result: "non-compliant", detail: "no rotation schedule for the secret of app (readwrite)" });
  });
});

describe("the pack", () => {
  it("has unique ids and a case for every rule", () => {
    const ids = PACK.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.keys(CASES).sort()).toEqual([...ids].sort());
  });
});
