import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { CodebuildProject } from "@cdktf/provider-aws/lib/codebuild-project/index.js";
import { Codepipeline } from "@cdktf/provider-aws/lib/codepipeline/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket/index.js";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy/index.js";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning/index.js";
import { LOG_RETENTION_DAYS, arnPlacementProblem, ecrRepositoryProblem, partitionOf } from "./aws-regions.ts";
import { CODEBUILD_IMAGES, NODEJS_END_OF_LIFE, lifecycleOn } from "./catalog/index.ts";
import type { EngineFamily } from "./database-engines.ts";
import { logGroupArn, renderPolicy, serviceTrustPolicy, writeLogsStatement, type PolicyStatement } from "./iam.ts";
import type { Network } from "./network.ts";
import type { DatabaseProxy } from "./proxy.ts";
import { servedByProxy, type DatabaseUsers, type UserPrivileges } from "./users.ts";
import { Problems } from "./validation.ts";

// ---------------------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------------------

export const COMPUTE_TYPES = ["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"] as const;

/** Source -> Build -> Migrate -> Deploy, for one repository branch and one ECS service. */
export interface PipelineSettings {
  /** CodeConnections (CodeStar) connection to the repository host. */
  readonly connectionArn: string;
  /** "owner/name". */
  readonly repository: string;
  /** A branch name git accepts (`git check-ref-format --branch`). */
  readonly branch: string;
  readonly ecsCluster: string;
  readonly ecsService: string;
  /** The application image repository; the Build stage points the service at "<repository>:<commit>". */
  readonly imageRepository: string;
  /**
   * The container to update in the service's task definition: the service's own container
   * (the deployed service's container.name), an ECS container name. Reaches the render project as a variable.
   * @default "app"
   */
  readonly containerName?: string;
}

export interface MigrationSettingsInput {
  /** The database user migrations run as; it must own the schema (privileges "owner"). */
  readonly user: string;
  /** @default "BUILD_GENERAL1_SMALL" */
  readonly computeType?: (typeof COMPUTE_TYPES)[number];
  /**
   * The build image. A CodeBuild-provided image ("aws/codebuild/…") must offer Node.js
   * MIGRATIONS_NODEJS_MAJOR on x86_64; another registry's image is taken as is.
   * @default CODEBUILD_IMAGE ("aws/codebuild/amazonlinux-x86_64-standard:5.0")
   */
  readonly image?: string;
  /** 5..2160 minutes. @default 30 */
  readonly timeoutMinutes?: number;
  /** @default 365 in production, 30 elsewhere */
  readonly logRetentionDays?: number;
  /** @default none: start builds with a source override (see README) */
  readonly pipeline?: PipelineSettings;
}

/** The curated image builds run on unless `image` says otherwise (Amazon Linux 2023, x86_64). */
export const CODEBUILD_IMAGE = "aws/codebuild/amazonlinux-x86_64-standard:5.0";
/** The Node.js major the migration buildspec asks CodeBuild for (`runtime-versions: nodejs`). */
export const MIGRATIONS_NODEJS_MAJOR = 22;

const CONNECTION_ARN = /^arn:aws(?:-cn|-us-gov)?:(?:codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection\/[0-9a-f-]{36}$/;

/**
 * Problems with the migration settings. With `environment.region`, ARNs and repositories in another
 * partition are refused; with `environment.now`, the buildspec's Node.js is checked against its
 * end-of-life date (refused after, warned within 90 days, at `runtime`).
 */
export function validateMigrationSettings(input: MigrationSettingsInput, users: Readonly<Record<string, UserPrivileges>>, problems: Problems,
  environment: { readonly region?: string; readonly now?: Date } = {}): void {
  validateBuildRuntime(input.image, problems, environment.now);
  const privileges = users[input.user];
  if (problems.check(privileges !== undefined, "user", input.user, `must be one of the environment's users (${Object.keys(users).join(", ") || "none configured"})`)) {
    problems.check(privileges === "owner", "user", input.user, 'must have privileges "owner": migrations change the schema');
  }
  if (input.computeType !== undefined) problems.oneOf("computeType", input.computeType, COMPUTE_TYPES);
  if (input.image !== undefined) problems.check(typeof input.image === "string" && input.image.length > 0 && input.image.length <= 255, "image", input.image, "must be an image name of 1..255 characters");
  if (input.timeoutMinutes !== undefined) problems.integer("timeoutMinutes", input.timeoutMinutes, 5, 2160);
  if (input.logRetentionDays !== undefined) problems.oneOf("logRetentionDays", input.logRetentionDays, LOG_RETENTION_DAYS);
  const p = input.pipeline;
  if (!p) return;
  if (problems.matches("pipeline.connectionArn", p.connectionArn, CONNECTION_ARN, "must be a CodeConnections connection ARN (arn:aws:codeconnections:<region>:<account>:connection/<id>)")
    && environment.region !== undefined) {
    const placement = arnPlacementProblem(p.connectionArn, environment.region, false);
    if (placement) problems.add("pipeline.connectionArn", p.connectionArn, placement);
  }
  problems.matches("pipeline.repository", p.repository, /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be "owner/name"');
  const branch = gitBranchNameProblem(p.branch);
  if (branch) problems.add("pipeline.branch", p.branch, `must be a branch name git accepts (git check-ref-format --branch): ${branch}`);
  if (p.containerName !== undefined) problems.matches("pipeline.containerName", p.containerName, CONTAINER_NAME, "must be an ECS container name: 1..255 letters, digits, hyphens or underscores");
  problems.matches("pipeline.ecsCluster", p.ecsCluster, /^[A-Za-z0-9_-]{1,255}$/, "must be an ECS cluster name");
  problems.matches("pipeline.ecsService", p.ecsService, /^[A-Za-z0-9_-]{1,255}$/, "must be an ECS service name");
  if (problems.matches("pipeline.imageRepository", p.imageRepository, /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/[a-z0-9._/-]+$/, "must be an ECR repository URI without a tag")
    && environment.region !== undefined) {
    const ecrProblem = ecrRepositoryProblem(p.imageRepository, environment.region);
    if (ecrProblem) problems.add("pipeline.imageRepository", p.imageRepository, ecrProblem);
  }
}

/** What ECS allows in a container name; also what keeps the name inert in the JSON the render project writes. */
const CONTAINER_NAME = /^[A-Za-z0-9_-]{1,255}$/;

/**
 * Why git would refuse `name` as a branch (git-check-ref-format(1), the rules for refs/heads/<name>, and
 * --branch's refusal of a leading "-"), or undefined. CodeConnections passes the name to the repository
 * host as it is, so a name git refuses is a pipeline that never starts.
 */
export function gitBranchNameProblem(name: unknown): string | undefined {
  if (typeof name !== "string" || name === "") return "must not be empty";
  if (name === "@") return 'must not be "@"';
  if (name.startsWith("-")) return 'must not start with "-"';
  if (/[\u0000-\u0020\u007f~^:?*[\\]/.test(name)) return "must not contain spaces, control characters or any of ~ ^ : ? * [ \\";
  if (name.includes("..")) return 'must not contain ".."';
  if (name.includes("@{")) return 'must not contain "@{"';
  if (name.startsWith("/") || name.endsWith("/") || name.includes("//")) return 'must not start or end with "/" or contain "//"';
  if (name.endsWith(".")) return 'must not end with "."';
  if (name.split("/").some((part) => part.startsWith(".") || part.endsWith(".lock"))) return 'no "/"-separated part may start with "." or end with ".lock"';
  return undefined;
}

/** The image must offer the buildspec's Node.js, and that Node.js must not be past its end of life. */
function validateBuildRuntime(image: unknown, problems: Problems, now: Date | undefined): void {
  if (image !== undefined && typeof image === "string" && image.startsWith("aws/codebuild/")) {
    const offered = CODEBUILD_IMAGES[image]?.nodejs;
    if (!offered) {
      problems.add("image", image, `must be a CodeBuild x86_64 Linux image in the catalog (${Object.keys(CODEBUILD_IMAGES).join(", ")}) or an image from another registry`);
    } else if (!offered.includes(MIGRATIONS_NODEJS_MAJOR)) {
      problems.add("image", image, `offers Node.js ${offered.join(", ")}, not ${MIGRATIONS_NODEJS_MAJOR}, which the migration buildspec needs; use ${CODEBUILD_IMAGE}`);
    }
  }
  if (!now) return;
  const endOfLife = NODEJS_END_OF_LIFE[MIGRATIONS_NODEJS_MAJOR];
  const life = lifecycleOn(endOfLife, now);
  const runtime = `nodejs ${MIGRATIONS_NODEJS_MAJOR}`;
  const constant = "(MIGRATIONS_NODEJS_MAJOR in modules/migrations.ts)";
  if (life.status === "retired") {
    problems.add("runtime", runtime, `Node.js ${MIGRATIONS_NODEJS_MAJOR} reached end of life on ${life.date} and CodeBuild drops end-of-life runtimes from its images: move the buildspec to a newer Node.js ${constant}`);
  } else if (life.status === "expiring") {
    problems.warn("runtime", runtime, `Node.js ${MIGRATIONS_NODEJS_MAJOR} reaches end of life on ${life.date}, in ${life.daysLeft} days, and CodeBuild then drops it from its images: move to a newer Node.js ${constant}`);
  }
}

/** Installs the project and runs its migrate script: wait for the database, then migrate. */
export const MIGRATION_BUILDSPEC = [
  "version: 0.2",
  "phases:",
  "  install:",
  "    runtime-versions:",
  `      nodejs: ${MIGRATIONS_NODEJS_MAJOR}`,
  "    commands:",
  "      - npm ci --no-audit --no-fund",
  "  build:",
  "    commands:",
  "      - node --import tsx scripts/migrate.ts --wait-seconds 300",
  "",
].join("\n");

/**
 * Writes imagedefinitions.json so the ECS deploy action runs the image built for this commit. Fixed text:
 * the container and repository arrive as the project's environment variables (CONTAINER_NAME,
 * IMAGE_REPOSITORY), quoted where the shell expands them, so no configuration value is ever part of a
 * command. Both are validated to alphabets that need no JSON escaping.
 */
export const RENDER_BUILDSPEC = [
  "version: 0.2",
  "phases:",
  "  build:",
  "    commands:",
  `      - printf '[{"name":"%s","imageUri":"%s:%s"}]' "$CONTAINER_NAME" "$IMAGE_REPOSITORY" "$CODEBUILD_RESOLVED_SOURCE_VERSION" > imagedefinitions.json`,
  "artifacts:",
  "  files:",
  "    - imagedefinitions.json",
  "",
].join("\n");

// ---------------------------------------------------------------------------------------------------------
// Construct
// ---------------------------------------------------------------------------------------------------------

/** The CodeBuild project that runs migrations; its role is made first and derives its log group from this. */
export function migrationProjectName(namePrefix: string): string {
  return `${namePrefix}-migrate`;
}

/** The pipeline's artifact bucket: global, so it carries the account and region. */
export function artifactBucketName(namePrefix: string, account: string, region: string): string {
  return `${namePrefix}-pipeline-${account}-${region}`;
}

export interface MigrationIdentityProps {
  readonly settings: MigrationSettingsInput;
  /** Name prefix, e.g. "orders-prod". */
  readonly name: string;
  readonly account: string;
  readonly region: string;
  /** The application subnets the build's network interfaces may be created in. */
  readonly network: Pick<Network, "applicationSubnetIds">;
  readonly proxy: DatabaseProxy;
  readonly users: DatabaseUsers;
  readonly kmsKeyArn: string;
}

/**
 * The migration project's role, in the IAM layer: its own log group, the environment key, the build's
 * network interfaces in the application subnets, the pipeline's artifacts when there is a pipeline, and
 * the migration user — `rds-db:connect` for an IAM user, its secret for a password user. The project
 * itself, the log group and the bucket live in a later stack, so their ARNs are derived from their names.
 */
export class MigrationIdentity extends Construct {
  readonly roleArn: string;

  constructor(scope: Construct, id: string, props: MigrationIdentityProps) {
    super(scope, id);
    const s = props.settings;
    const problems = new Problems();
    validateMigrationSettings(s, Object.fromEntries(props.users.all.filter((u) => servedByProxy(u.auth)).map((u) => [u.name, u.privileges])), problems);
    problems.throwIfAny(`MigrationIdentity ${id}`);
    const partition = partitionOf(props.region);
    const project = migrationProjectName(props.name);
    const subnetArns = props.network.applicationSubnetIds.map((subnet) => `arn:${partition}:ec2:${props.region}:${props.account}:subnet/${subnet}`);
    const { role } = codebuildRole(this, "migrate", project, props.account, [
      writeLogsStatement(logGroupArn(props.region, props.account, `/aws/codebuild/${project}`)),
      { sid: "UseEnvironmentKey", actions: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"], resources: [props.kmsKeyArn] },
      // CodeBuild creates the build's network interface; these EC2 calls take no narrower resource.
      {
        sid: "BuildNetworkInterfaces",
        actions: ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"],
        resources: ["*"],
      },
      {
        sid: "AttachInterfacesInApplicationSubnets",
        actions: ["ec2:CreateNetworkInterfacePermission"],
        resources: [`arn:${partition}:ec2:${props.region}:${props.account}:network-interface/*`],
        conditions: { StringEquals: { "ec2:AuthorizedService": ["codebuild.amazonaws.com"] }, ArnEquals: { "ec2:Subnet": subnetArns } },
      },
      ...(s.pipeline ? [artifactsStatement(`arn:${partition}:s3:::${artifactBucketName(props.name, props.account, props.region)}`)] : []),
    ]);
    const user = props.users.user(s.user);
    if (user.auth === "iam") props.proxy.grantConnect(role, s.user);
    else props.users.grantReadSecret(role, s.user);
    this.roleArn = role.arn;
  }
}

export interface MigrationsProps {
  readonly settings: MigrationSettingsInput;
  /** Name prefix, e.g. "orders-prod". */
  readonly name: string;
  readonly account: string;
  readonly region: string;
  /** The migration project's role, from `MigrationIdentity`. */
  readonly roleArn: string;
  readonly network: Pick<Network, "vpcId" | "applicationSubnetIds" | "clientsSecurityGroupId">;
  /** Where migrations connect: the proxy's read/write endpoint. */
  readonly proxyEndpoint: string;
  /** How the migration user authenticates, and its secret (read for its password when auth is "password"). */
  readonly user: { readonly auth: "iam" | "password"; readonly secretArn: string };
  readonly databaseName: string;
  readonly port: number;
  readonly engineFamily: EngineFamily;
  readonly kmsKeyArn: string;
  /** Execution and task roles the Deploy stage may pass to ECS. Required with a pipeline. */
  readonly ecsRoleArns?: readonly string[];
  /** @default 30 */
  readonly logRetentionDays?: number;
}

/**
 * A CodeBuild project inside the VPC that runs the project's migrations through the proxy as the schema
 * owner (seed 002), and, when configured, a CodePipeline Source -> Build -> Migrate -> Deploy. The
 * pipeline's own roles (the pipeline's and the render project's) stay here: nothing outside the pipeline
 * is granted to them, and they need the bucket and projects made beside them.
 */
export class Migrations extends Construct {
  readonly projectName: string;
  readonly pipelineName?: string;
  private readonly props: MigrationsProps;
  private readonly partition: string;

  constructor(scope: Construct, id: string, props: MigrationsProps) {
    super(scope, id);
    const s = props.settings;
    const problems = new Problems();
    if (s.pipeline) problems.check((props.ecsRoleArns ?? []).length > 0, "ecsRoleArns", props.ecsRoleArns, "must list the service's task roles when a pipeline deploys it");
    problems.throwIfAny(`Migrations ${id}`);
    this.props = props;
    this.partition = partitionOf(props.region);

    const artifacts = s.pipeline ? this.artifactBucket() : undefined;
    this.projectName = this.project("migrate", {
      description: `Runs database migrations for ${props.name} through RDS Proxy as ${s.user}`,
      buildspec: MIGRATION_BUILDSPEC,
      roleArn: props.roleArn,
      inVpc: true,
      environment: {
        DB_HOST: props.proxyEndpoint,
        DB_PORT: String(props.port),
        DB_NAME: props.databaseName,
        DB_USER: s.user,
        DB_ENGINE_FAMILY: props.engineFamily,
        DB_REGION: props.region,
        DB_AUTH: props.user.auth,
      },
      secretEnvironment: props.user.auth === "password" ? { DB_PASSWORD: `${props.user.secretArn}:password` } : {},
    });
    if (s.pipeline && artifacts) this.pipelineName = this.pipeline(s.pipeline, this.projectName, artifacts);
  }

  private project(key: string, options: {
    description: string; buildspec: string; roleArn: string; inVpc: boolean;
    environment: Record<string, string>; secretEnvironment: Record<string, string>; dependsOn?: ITerraformDependable[];
  }): string {
    const { props } = this;
    const s = props.settings;
    const name = `${props.name}-${key}`;
    const logGroup = new CloudwatchLogGroup(this, `${key}-log-group`, {
      name: `/aws/codebuild/${name}`, retentionInDays: props.logRetentionDays ?? 30, kmsKeyId: props.kmsKeyArn,
    });
    const viaPipeline = props.settings.pipeline !== undefined;
    return new CodebuildProject(this, `${key}-project`, {
      name,
      description: options.description,
      serviceRole: options.roleArn,
      encryptionKey: props.kmsKeyArn,
      buildTimeout: s.timeoutMinutes ?? 30,
      source: { type: viaPipeline ? "CODEPIPELINE" : "NO_SOURCE", buildspec: options.buildspec },
      artifacts: { type: viaPipeline ? "CODEPIPELINE" : "NO_ARTIFACTS" },
      environment: {
        computeType: s.computeType ?? "BUILD_GENERAL1_SMALL",
        image: s.image ?? CODEBUILD_IMAGE,
        type: "LINUX_CONTAINER",
        imagePullCredentialsType: "CODEBUILD",
        privilegedMode: false,
        environmentVariable: [
          ...Object.entries(options.environment).map(([n, value]) => ({ name: n, value, type: "PLAINTEXT" })),
          ...Object.entries(options.secretEnvironment).map(([n, value]) => ({ name: n, value, type: "SECRETS_MANAGER" })),
        ],
      },
      ...(options.inVpc ? {
        vpcConfig: { vpcId: props.network.vpcId, subnets: props.network.applicationSubnetIds, securityGroupIds: [props.network.clientsSecurityGroupId] },
      } : {}),
      logsConfig: { cloudwatchLogs: { groupName: logGroup.name, status: "ENABLED" }, s3Logs: { status: "DISABLED" } },
      ...(options.dependsOn ? { dependsOn: options.dependsOn } : {}),
    }).name;
  }

  private artifactBucket(): S3Bucket {
    const { props } = this;
    const bucket = new S3Bucket(this, "artifacts", { bucket: artifactBucketName(props.name, props.account, props.region), forceDestroy: false });
    new S3BucketPublicAccessBlock(this, "artifacts-public-access", {
      bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
    });
    new S3BucketVersioningA(this, "artifacts-versioning", { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } });
    new S3BucketServerSideEncryptionConfigurationA(this, "artifacts-encryption", {
      bucket: bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: props.kmsKeyArn }, bucketKeyEnabled: true }],
    });
    new S3BucketPolicy(this, "artifacts-tls-only", {
      bucket: bucket.id,
      policy: renderPolicy([{
        sid: "DenyInsecureTransport", effect: "Deny", actions: ["s3:*"], principals: { aws: ["*"] },
        resources: [bucket.arn, `${bucket.arn}/*`], conditions: { Bool: { "aws:SecureTransport": ["false"] } },
      }]),
    });
    return bucket;
  }

  private pipeline(p: PipelineSettings, migrateProject: string, artifacts: S3Bucket): string {
    const { props } = this;
    const renderName = `${props.name}-render`;
    const { role: renderRole, policy: renderPolicyResource } = codebuildRole(this, "render", renderName, props.account, [
      writeLogsStatement(logGroupArn(props.region, props.account, `/aws/codebuild/${renderName}`)),
      { sid: "UseEnvironmentKey", actions: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"], resources: [props.kmsKeyArn] },
      artifactsStatement(artifacts.arn),
    ]);
    const render = {
      name: this.project("render", {
        description: `Writes imagedefinitions.json for ${props.name}: the image tagged with the pipeline's commit`,
        buildspec: RENDER_BUILDSPEC,
        roleArn: renderRole.arn,
        inVpc: false,
        environment: { CONTAINER_NAME: p.containerName ?? "app", IMAGE_REPOSITORY: p.imageRepository },
        secretEnvironment: {},
        // CodeBuild checks the role can write the log group when the project is created.
        dependsOn: [renderPolicyResource],
      }),
    };
    const serviceArn = `arn:${this.partition}:ecs:${props.region}:${props.account}:service/${p.ecsCluster}/${p.ecsService}`;
    const projectArn = (name: string) => `arn:${this.partition}:codebuild:${props.region}:${props.account}:project/${name}`;
    const role = new IamRole(this, "pipeline-role", {
      name: `${props.name}-pipeline`,
      description: `CodePipeline ${props.name}: source, build, migrate, deploy`,
      assumeRolePolicy: serviceTrustPolicy("codepipeline.amazonaws.com", props.account),
    });
    const policy = new IamRolePolicy(this, "pipeline-role-policy", {
      name: "run-pipeline",
      role: role.name,
      policy: renderPolicy([
        { sid: "Artifacts", actions: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:GetBucketVersioning"], resources: [artifacts.arn, `${artifacts.arn}/*`] },
        { sid: "EncryptArtifacts", actions: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"], resources: [props.kmsKeyArn] },
        { sid: "UseSourceConnection", actions: ["codestar-connections:UseConnection", "codeconnections:UseConnection"], resources: [p.connectionArn] },
        { sid: "RunBuilds", actions: ["codebuild:StartBuild", "codebuild:BatchGetBuilds"], resources: [projectArn(migrateProject), projectArn(render.name)] },
        { sid: "DeployService", actions: ["ecs:DescribeServices", "ecs:UpdateService"], resources: [serviceArn] },
        // Task definitions are registered and described by family, which IAM cannot name as a resource.
        { sid: "RegisterTaskDefinitions", actions: ["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"], resources: ["*"] },
        {
          sid: "PassTaskRoles", actions: ["iam:PassRole"], resources: [...(props.ecsRoleArns ?? [])],
          conditions: { StringEquals: { "iam:PassedToService": ["ecs-tasks.amazonaws.com"] } },
        },
      ]),
    });
    const pipeline = new Codepipeline(this, "pipeline", {
      name: `${props.name}-deploy`,
      roleArn: role.arn,
      pipelineType: "V2",
      artifactStore: [{ location: artifacts.bucket, type: "S3", encryptionKey: { id: props.kmsKeyArn, type: "KMS" } }],
      stage: [
        { name: "Source", action: [{
          name: "Source", category: "Source", owner: "AWS", provider: "CodeStarSourceConnection", version: "1", outputArtifacts: ["source"],
          configuration: { ConnectionArn: p.connectionArn, FullRepositoryId: p.repository, BranchName: p.branch, DetectChanges: "true" },
        }] },
        { name: "Build", action: [{
          name: "ImageDefinitions", category: "Build", owner: "AWS", provider: "CodeBuild", version: "1",
          inputArtifacts: ["source"], outputArtifacts: ["imagedefinitions"], configuration: { ProjectName: render.name },
        }] },
        { name: "Migrate", action: [{
          name: "Migrate", category: "Build", owner: "AWS", provider: "CodeBuild", version: "1",
          inputArtifacts: ["source"], configuration: { ProjectName: migrateProject },
        }] },
        { name: "Deploy", action: [{
          name: "Deploy", category: "Deploy", owner: "AWS", provider: "ECS", version: "1",
          inputArtifacts: ["imagedefinitions"], configuration: { ClusterName: p.ecsCluster, ServiceName: p.ecsService, FileName: "imagedefinitions.json" },
        }] },
      ],
      dependsOn: [policy],
    });
    return pipeline.name;
  }
}

/** A CodeBuild service role and its inline policy. */
function codebuildRole(scope: Construct, key: string, projectName: string, account: string, statements: PolicyStatement[]): { role: IamRole; policy: IamRolePolicy } {
  const role = new IamRole(scope, `${key}-role`, {
    name: `${projectName}-codebuild`,
    description: `CodeBuild project ${projectName}`,
    assumeRolePolicy: serviceTrustPolicy("codebuild.amazonaws.com", account),
  });
  const policy = new IamRolePolicy(scope, `${key}-role-policy`, { name: "logs-network-artifacts", role: role.name, policy: renderPolicy(statements) });
  return { role, policy };
}

function artifactsStatement(bucketArn: string): PolicyStatement {
  return { sid: "PipelineArtifacts", actions: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"], resources: [`${bucketArn}/*`] };
}
