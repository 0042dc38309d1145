/**
 * The IAM roles the CI workflow (.github/workflows/plan.yml) assumes through GitHub's OIDC provider, as
 * policy documents made from an environment's synth: create them once per account (by hand, or in the
 * account's own baseline), then put their ARNs into the repository and environment variables.
 *
 * - plan  (`<app>-<env>-ci-plan`): trusted by pull-request jobs of one repository; reads what the stacks
 *   manage (Describe/Get/List of the services their resource types belong to, never a secret value),
 *   reads the environment's state and writes only its lock files.
 * - apply (`<app>-<env>-ci-apply`): trusted by jobs of the repository's GitHub environment `<env>` (whose
 *   protection rules gate production); manages the services the stacks use in the environment's region,
 *   IAM roles and buckets only under the environment's name prefix, and writes the environment's state.
 * - state (central-bucket layout only): the role in the state account named by the backend, trusted by
 *   the two roles above, reading and writing this environment's keys only.
 *
 * Services come from the resource types the synth declares, so a new layer's resources need a line in
 * SERVICE_OF (an unknown type is refused, never granted by accident).
 */
import type { StateBucketSettings } from "../deploy/state-bucket.ts";

type Json = Record<string, unknown>;
/** A policy statement; trust policies name a Principal instead of a Resource. */
type Statement = { Sid: string; Effect: "Allow" | "Deny"; Principal?: Json; Action: string | string[]; Resource?: string | string[]; Condition?: Json };
export type PolicyDocument = { Version: "2012-10-17"; Statement: Statement[] };

/** IAM service prefix of each Terraform resource type prefix (longest match wins). */
const SERVICE_OF: readonly (readonly [string, string])[] = [
  ["aws_vpc", "ec2"], ["aws_subnet", "ec2"], ["aws_route", "ec2"], ["aws_eip", "ec2"], ["aws_nat_gateway", "ec2"],
  ["aws_internet_gateway", "ec2"], ["aws_security_group", "ec2"], ["aws_network_acl", "ec2"], ["aws_egress_only_internet_gateway", "ec2"],
  ["aws_db_", "rds"], ["aws_rds_", "rds"], ["aws_kms_", "kms"], ["aws_secretsmanager_", "secretsmanager"], ["aws_ssm_", "ssm"],
  ["aws_iam_", "iam"], ["aws_lambda_", "lambda"], ["aws_cloudwatch_log_", "logs"], ["aws_cloudwatch_event_", "events"],
  ["aws_cloudwatch_", "cloudwatch"], ["aws_ecs_", "ecs"], ["aws_codebuild_", "codebuild"], ["aws_codepipeline", "codepipeline"],
  ["aws_codestarconnections_", "codestar-connections"], ["aws_s3_", "s3"], ["aws_sns_", "sns"], ["aws_appautoscaling_", "application-autoscaling"],
];

/** Read actions per service for plan; the default is Describe*, Get*, List*. */
const READ_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  // Log events are application data: plan needs the groups, not their contents.
  logs: ["logs:Describe*", "logs:ListTagsForResource", "logs:ListTagsLogGroup"],
  // CodeBuild reads projects in batches.
  codebuild: ["codebuild:BatchGetProjects", "codebuild:List*"],
};

/** What one environment's synth says about it. */
export interface EnvironmentFacts {
  readonly environment: string;
  readonly app: string;
  readonly account: string;
  readonly region: string;
  readonly services: readonly string[];
  readonly state: StateBucketSettings;
}

/** The facts of one environment from its synthesized stacks (stack name -> cdk.tf.json) and backend settings. */
export function environmentFacts(environment: string, stacks: Readonly<Record<string, Json>>, state: StateBucketSettings): EnvironmentFacts {
  const first = Object.values(stacks)[0];
  const provider = ((first?.provider as Json | undefined)?.aws as Json[] | undefined)?.[0];
  const tags = ((provider?.default_tags as Json[] | undefined)?.[0]?.tags ?? {}) as Record<string, string>;
  const account = (provider?.allowed_account_ids as string[] | undefined)?.[0];
  if (!provider || !account || !tags.App) throw new Error(`the synth of ${environment} has no aws provider with allowed_account_ids and an App tag`);
  const services = new Set<string>();
  for (const [name, stack] of Object.entries(stacks)) {
    for (const type of Object.keys((stack.resource ?? {}) as Json)) {
      const service = SERVICE_OF.filter(([prefix]) => type.startsWith(prefix)).sort((a, b) => b[0].length - a[0].length)[0]?.[1];
      if (!service) throw new Error(`${name} declares ${type}, whose IAM service scripts/lib/terraform/ci-roles.ts does not know: add it to SERVICE_OF`);
      services.add(service);
    }
  }
  return { environment, app: tags.App, account, region: String(provider.region), services: [...services].sort(), state };
}

function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

const GITHUB_OIDC = "token.actions.githubusercontent.com";

function oidcTrust(facts: EnvironmentFacts, subject: string): PolicyDocument {
  const partition = partitionOf(facts.region);
  return { Version: "2012-10-17", Statement: [{
    Sid: "GitHubActionsOidc",
    Effect: "Allow",
    Principal: { Federated: `arn:${partition}:iam::${facts.account}:oidc-provider/${GITHUB_OIDC}` },
    Action: "sts:AssumeRoleWithWebIdentity",
    Condition: { StringEquals: { [`${GITHUB_OIDC}:aud`]: "sts.amazonaws.com", [`${GITHUB_OIDC}:sub`]: subject } },
  }] };
}

/** The environment's state keys and lock files: read for plan, read and write for apply. */
function stateStatements(facts: EnvironmentFacts, write: boolean): Statement[] {
  const { bucket, region, kmsKeyArn, keyPrefix } = facts.state;
  const partition = partitionOf(region);
  const keys = `arn:${partition}:s3:::${bucket}/${keyPrefix}/${facts.environment}/*`;
  const statements: Statement[] = [
    { Sid: "ListOwnStateKeys", Effect: "Allow", Action: "s3:ListBucket", Resource: `arn:${partition}:s3:::${bucket}`, Condition: { StringLike: { "s3:prefix": [`${keyPrefix}/${facts.environment}/*`] } } },
    { Sid: "ReadOwnState", Effect: "Allow", Action: "s3:GetObject", Resource: keys },
    write
      ? { Sid: "WriteOwnStateAndLocks", Effect: "Allow", Action: ["s3:PutObject", "s3:DeleteObject"], Resource: keys }
      : { Sid: "WriteOwnLocksOnly", Effect: "Allow", Action: ["s3:PutObject", "s3:DeleteObject"], Resource: `${keys.slice(0, -1)}*.tflock` },
  ];
  if (kmsKeyArn) statements.push({ Sid: "StateKey", Effect: "Allow", Action: write ? ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"] : ["kms:Decrypt", "kms:GenerateDataKey"], Resource: kmsKeyArn });
  return statements;
}

/** Where the state is reached through the central bucket's role, the CI roles only assume that role. */
function stateAccess(facts: EnvironmentFacts, write: boolean): Statement[] {
  if (!facts.state.assumeRole) return stateStatements(facts, write);
  return [{ Sid: "AssumeStateRole", Effect: "Allow", Action: "sts:AssumeRole", Resource: facts.state.assumeRole.roleArn }];
}

export interface CiRole {
  readonly name: string;
  readonly account: string;
  readonly trustPolicy: PolicyDocument;
  readonly permissionsPolicy: PolicyDocument;
}

export interface CiRoles {
  readonly environment: string;
  readonly plan: CiRole;
  readonly apply: CiRole;
  /** Only for the central-bucket layout: the role the backend assumes, in the state account. */
  readonly state?: CiRole;
  /** The variables plan.yml reads, and where each is set. */
  readonly variables: Readonly<Record<string, string>>;
}

/** The three roles' documents for one environment and one GitHub repository ("owner/name"). */
export function ciRoles(facts: EnvironmentFacts, repository: string): CiRoles {
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository)) throw new Error(`--repository must be <owner>/<name> as GitHub spells it, not ${repository}`);
  const partition = partitionOf(facts.region);
  const prefix = `${facts.app}-${facts.environment}`;
  const arn = (name: string) => `arn:${partition}:iam::${facts.account}:role/${name}`;
  const regional = { StringEquals: { "aws:RequestedRegion": facts.region } };
  const regionalServices = facts.services.filter((service) => service !== "iam" && service !== "s3");
  const plan: CiRole = {
    name: `${prefix}-ci-plan`,
    account: facts.account,
    // Pull-request jobs carry this subject; no GitHub environment, so no approval waits on a plan.
    trustPolicy: oidcTrust(facts, `repo:${repository}:pull_request`),
    permissionsPolicy: { Version: "2012-10-17", Statement: [
      { Sid: "ReadWhatTheStacksManage", Effect: "Allow", Action: regionalServices.flatMap((s) => READ_ACTIONS[s] ?? [`${s}:Describe*`, `${s}:Get*`, `${s}:List*`]), Resource: "*", Condition: regional },
      ...(facts.services.includes("iam") ? [{ Sid: "ReadRoles", Effect: "Allow" as const, Action: ["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListRoleTags"], Resource: arn(`${prefix}-*`) }] : []),
      // Bucket settings only: object ARNs are not granted, so no object is read.
      ...(facts.services.includes("s3") ? [{ Sid: "ReadBucketSettings", Effect: "Allow" as const, Action: ["s3:Get*", "s3:ListBucket"], Resource: `arn:${partition}:s3:::${prefix}-*` }] : []),
      ...(facts.services.includes("ssm") ? [{ Sid: "DecryptSecureStringsThroughSsm", Effect: "Allow" as const, Action: "kms:Decrypt", Resource: `arn:${partition}:kms:${facts.region}:${facts.account}:key/*`, Condition: { StringEquals: { "kms:ViaService": `ssm.${facts.region}.amazonaws.com` } } }] : []),
      { Sid: "NeverReadSecretValues", Effect: "Deny", Action: "secretsmanager:GetSecretValue", Resource: "*" },
      ...stateAccess(facts, false),
    ] },
  };
  const apply: CiRole = {
    name: `${prefix}-ci-apply`,
    account: facts.account,
    // Only jobs that run in the GitHub environment (and pass its protection rules) carry this subject.
    trustPolicy: oidcTrust(facts, `repo:${repository}:environment:${facts.environment}`),
    permissionsPolicy: { Version: "2012-10-17", Statement: [
      { Sid: "ManageTheStacksServicesInTheRegion", Effect: "Allow", Action: regionalServices.map((s) => `${s}:*`), Resource: "*", Condition: regional },
      ...(facts.services.includes("iam") ? [{ Sid: "ManageOwnRoles", Effect: "Allow" as const, Action: ["iam:*Role", "iam:*RolePolicy", "iam:*RolePolicies", "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:ListAttachedRolePolicies", "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags", "iam:PassRole", "iam:UpdateAssumeRolePolicy"], Resource: arn(`${prefix}-*`) }] : []),
      ...(facts.services.includes("iam") ? [{ Sid: "CreateServiceLinkedRoles", Effect: "Allow" as const, Action: "iam:CreateServiceLinkedRole", Resource: `arn:${partition}:iam::${facts.account}:role/aws-service-role/*` }] : []),
      ...(facts.services.includes("s3") ? [{ Sid: "ManageOwnBuckets", Effect: "Allow" as const, Action: "s3:*", Resource: [`arn:${partition}:s3:::${prefix}-*`, `arn:${partition}:s3:::${prefix}-*/*`] }] : []),
      ...stateAccess(facts, true),
    ] },
  };
  const state = facts.state.assumeRole && stateRole(facts, [arn(plan.name), arn(apply.name)]);
  const environmentVariable = `GitHub environment "${facts.environment}": variable DBSTACK_APPLY_ROLE_ARN`;
  return {
    environment: facts.environment,
    plan,
    apply,
    ...(state ? { state } : {}),
    variables: {
      [`DBSTACK_PLAN_ROLE_ARN_${facts.environment.toUpperCase().replace(/-/g, "_")}`]: `${arn(plan.name)} (repository variable)`,
      DBSTACK_APPLY_ROLE_ARN: `${arn(apply.name)} (${environmentVariable})`,
    },
  };
}

function stateRole(facts: EnvironmentFacts, trusted: readonly string[]): CiRole {
  const role = facts.state.assumeRole!;
  const [, , , , account, resource] = role.roleArn.split(":");
  return {
    name: resource!.slice(resource!.lastIndexOf("/") + 1),
    account: account!,
    trustPolicy: { Version: "2012-10-17", Statement: [{
      Sid: "DeployRolesOfTheEnvironment",
      Effect: "Allow",
      Principal: { AWS: [...trusted] },
      Action: "sts:AssumeRole",
      ...(role.externalId ? { Condition: { StringEquals: { "sts:ExternalId": role.externalId } } } : {}),
    }] },
    // Both CI roles reach the state through this one role (the backend names one), so it can write;
    // the plan role's own policy is what keeps plans from applying anything.
    permissionsPolicy: { Version: "2012-10-17", Statement: stateStatements(facts, true) },
  };
}
