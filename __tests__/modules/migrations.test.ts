import { describe, expect, it } from "vitest";
import { CodebuildProject } from "@cdktf/provider-aws/lib/codebuild-project/index.js";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js";
import { resolveEnvironments, type ClientsInput } from "../../stacks/config.ts";
import { environments } from "../../stacks/environments.ts";
import { gitBranchNameProblem, MIGRATION_BUILDSPEC, RENDER_BUILDSPEC, type MigrationSettingsInput, type PipelineSettings } from "../../modules/migrations.ts";
import { environment, resourcesOf, synthEnvironment } from "../helpers.ts";

const owners = { app: { auth: "iam", privileges: "readwrite" }, migrator: { auth: "password", privileges: "owner" }, ddl: { auth: "iam", privileges: "owner" } } as const;
const withMigrations = (migrations: Partial<MigrationSettingsInput> = {}, clients: ClientsInput = {}) =>
  environment({ users: owners, clients: { ...clients, migrations: { user: "migrator", ...migrations } } });
const statementsOf = (policy: Record<string, unknown>) => (JSON.parse(String(policy.policy)) as { Statement: Record<string, unknown>[] }).Statement;

describe("Migrations without a pipeline", () => {
  const { json, parsed } = synthEnvironment(withMigrations());
  const project = Object.values(resourcesOf(parsed, "aws_codebuild_project"))[0]!;

  it("runs in the VPC with the clients group, encrypted with the key, unprivileged, logging to CloudWatch", () => {
    expect(json).toHaveResourceWithProperties(CodebuildProject, {
      name: "shop-test-migrate", build_timeout: 30,
      source: { type: "NO_SOURCE", buildspec: MIGRATION_BUILDSPEC }, artifacts: { type: "NO_ARTIFACTS" },
      environment: { compute_type: "BUILD_GENERAL1_SMALL", type: "LINUX_CONTAINER", privileged_mode: false, image: "aws/codebuild/amazonlinux-x86_64-standard:5.0" },
      logs_config: { cloudwatch_logs: { status: "ENABLED" }, s3_logs: { status: "DISABLED" } },
    });
    const logs = (project.logs_config as { cloudwatch_logs: { group_name: string } }).cloudwatch_logs;
    expect(logs.group_name).toMatch(/^\$\{aws_cloudwatch_log_group\.migrations_migrate-log-group_[0-9A-F]+\.name\}$/);
    expect(Object.values(resourcesOf(parsed, "aws_cloudwatch_log_group")).map((g) => g.name)).toContain("/aws/codebuild/shop-test-migrate");
    expect(project.encryption_key).toMatch(/aws_kms_keykey_/);
    expect((project.vpc_config as { security_group_ids: string[] }).security_group_ids).toEqual([expect.stringMatching(/network_database-clients_/)]);
  });

  it("passes settings as plain variables and only the password through Secrets Manager", () => {
    const variables = (project.environment as { environment_variable: { name: string; type: string; value: string }[] }).environment_variable;
    expect(variables.filter((v) => v.type === "PLAINTEXT").map((v) => v.name)).toEqual(["DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_ENGINE_FAMILY", "DB_REGION", "DB_AUTH"]);
    const password = variables.find((v) => v.name === "DB_PASSWORD")!;
    expect(password.type).toBe("SECRETS_MANAGER");
    expect(password.value).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-test-database\.outputs\.cross-stack-output-aws_secretsmanager_secretusers_secret-migrator_[0-9A-F]+arn\}:password$/);
  });

  it("waits for the database and migrates with the project's own script", () => {
    expect(MIGRATION_BUILDSPEC).toContain("npm ci");
    expect(MIGRATION_BUILDSPEC).toContain("node --import tsx scripts/migrate.ts --wait-seconds 300");
  });

  it("lets its role read the migrator's secret and attach interfaces only in the application subnets", () => {
    const rolePolicies = Object.values(resourcesOf(parsed, "aws_iam_role_policy")).filter((p) => String(p.role).includes("migrations_migrate-role_"));
    expect(rolePolicies.map((p) => p.name).sort()).toEqual(["logs-network-artifacts", "read-secret-migrator"]);
    const statements = statementsOf(rolePolicies.find((p) => p.name === "logs-network-artifacts")!);
    const attach = statements.find((s) => s.Sid === "AttachInterfacesInApplicationSubnets")!;
    expect(attach.Condition).toMatchObject({ StringEquals: { "ec2:AuthorizedService": "codebuild.amazonaws.com" } });
    expect((attach.Condition as { ArnEquals: { "ec2:Subnet": string[] } }).ArnEquals["ec2:Subnet"]).toHaveLength(2);
    expect(statements.find((s) => s.Sid === "UseEnvironmentKey")!.Resource).toMatch(/aws_kms_keykey_/);
  });

  it("connects with an IAM token when the owner user uses IAM", () => {
    const { parsed: iam } = synthEnvironment(withMigrations({ user: "ddl" }));
    const variables = (Object.values(resourcesOf(iam, "aws_codebuild_project"))[0]!.environment as { environment_variable: { name: string; value: string }[] }).environment_variable;
    expect(variables.map((v) => v.name)).not.toContain("DB_PASSWORD");
    expect(variables.find((v) => v.name === "DB_AUTH")!.value).toBe("iam");
    expect(Object.values(resourcesOf(iam, "aws_iam_role_policy")).map((p) => p.name)).toContain("connect-ddl-via-proxy");
  });
});

describe("Migrations with a pipeline (prod)", () => {
  const { json, parsed } = synthEnvironment(environments.find((e) => e.name === "prod")!);

  it("has Source -> Build -> Migrate -> Deploy with an encrypted artifact store", () => {
    const pipeline = Object.values(resourcesOf(parsed, "aws_codepipeline"))[0]!;
    expect((pipeline.stage as { name: string }[]).map((s) => s.name)).toEqual(["Source", "Build", "Migrate", "Deploy"]);
    const store = (pipeline.artifact_store as { encryption_key: { type: string } }[])[0]!;
    expect(store.encryption_key.type).toBe("KMS");
    expect(json).toHaveResourceWithProperties(S3BucketPublicAccessBlock, { block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
    const sse = Object.values(resourcesOf(parsed, "aws_s3_bucket_server_side_encryption_configuration"))[0]!;
    expect(JSON.stringify(sse.rule)).toContain("aws:kms");
  });

  it("builds projects from the pipeline's source", () => {
    for (const project of Object.values(resourcesOf(parsed, "aws_codebuild_project"))) {
      expect((project.source as { type: string }).type).toBe("CODEPIPELINE");
      expect((project.environment as { privileged_mode: boolean }).privileged_mode).toBe(false);
    }
  });

  it("pastes no configuration value into a buildspec: the container and repository reach the render project as variables", () => {
    const projects = Object.values(resourcesOf(parsed, "aws_codebuild_project"));
    expect(projects.map((p) => (p.source as { buildspec: string }).buildspec).sort()).toEqual([MIGRATION_BUILDSPEC, RENDER_BUILDSPEC].sort());
    const render = projects.find((p) => p.name === "orders-prod-render")!;
    expect((render.environment as { environment_variable: unknown[] }).environment_variable).toEqual([
      { name: "CONTAINER_NAME", value: "app", type: "PLAINTEXT" },
      { name: "IMAGE_REPOSITORY", value: "333333333333.dkr.ecr.eu-west-1.amazonaws.com/orders", type: "PLAINTEXT" },
    ]);
    expect(RENDER_BUILDSPEC).toContain(`'[{"name":"%s","imageUri":"%s:%s"}]' "$CONTAINER_NAME" "$IMAGE_REPOSITORY" "$CODEBUILD_RESOLVED_SOURCE_VERSION"`);
  });

  it("may pass exactly the service's task roles, to ECS only", () => {
    const policy = Object.values(resourcesOf(parsed, "aws_iam_role_policy")).find((p) => p.name === "run-pipeline")!;
    const pass = statementsOf(policy).find((s) => s.Sid === "PassTaskRoles")!;
    expect(pass.Resource).toEqual([expect.stringMatching(/service_execution-role_/), expect.stringMatching(/service_task-role_/)]);
    expect(pass.Condition).toEqual({ StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } });
  });
});

describe("migration settings validation", () => {
  it.each([
    [{ user: "app" }, {}, 'test.clients.migrations.user: "app" — must have privileges "owner": migrations change the schema'],
    [{ timeoutMinutes: 3 }, {}, "test.clients.migrations.timeoutMinutes: 3 — must be a whole number from 5 to 2160"],
    [{ computeType: "BUILD_GENERAL1_XL" as never }, {}, 'test.clients.migrations.computeType: "BUILD_GENERAL1_XL" — must be one of "BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"'],
    [{ pipeline: { connectionArn: "arn:aws:codeconnections:eu-west-1:123456789012:connection/0f5e8a52-3b1d-4c8e-9a77-2f0d6c1b9e10", repository: "o/r", branch: "main", ecsCluster: "c", ecsService: "s", imageRepository: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop" } }, {},
      'test.clients.migrations.pipeline: "(set)" — needs a service in clients.services: the Deploy stage updates that service and passes its task roles'],
    [{ pipeline: { connectionArn: "conn", repository: "repo", branch: "main", ecsCluster: "c", ecsService: "s", imageRepository: "shop" } }, {},
      'test.clients.migrations.pipeline.connectionArn: "conn" — must be a CodeConnections connection ARN (arn:aws:codeconnections:<region>:<account>:connection/<id>)'],
  ])("fails on %j", (migrations, clients, expected) => {
    expect(() => resolveEnvironments([withMigrations(migrations, clients)])).toThrow(expected);
  });

  const services = environments.find((e) => e.name === "prod")!.clients!.services!;
  const pipeline = (overrides: Partial<PipelineSettings>): Partial<MigrationSettingsInput> => ({ pipeline: {
    connectionArn: "arn:aws:codeconnections:eu-west-1:123456789012:connection/0f5e8a52-3b1d-4c8e-9a77-2f0d6c1b9e10", repository: "o/r", branch: "main",
    ecsCluster: "c", ecsService: "s", imageRepository: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop", ...overrides,
  } });
  it.each([
    ["feature/../x", 'must not contain ".."'], ["-main", 'must not start with "-"'], ["release/.hidden", 'no "/"-separated part may start with "." or end with ".lock"'],
    ["main.lock", 'no "/"-separated part may start with "." or end with ".lock"'], ["a@{1}", 'must not contain "@{"'], ["@", 'must not be "@"'],
    ["a//b", 'must not start or end with "/" or contain "//"'], ["main.", 'must not end with "."'], ["a\tb", "must not contain spaces, control characters or any of ~ ^ : ? * [ \\"],
  ])("fails on the branch %j, which git refuses", (branch, why) => {
    expect(() => resolveEnvironments([withMigrations(pipeline({ branch }), { services })])).toThrow(
      `test.clients.migrations.pipeline.branch: ${JSON.stringify(branch)} — must be a branch name git accepts (git check-ref-format --branch): ${why}`);
  });

  it("accepts the branch names git accepts", () => {
    for (const branch of ["main", "release/2026.12", "feature/ü-names", "v1.0-rc1"]) expect(gitBranchNameProblem(branch)).toBeUndefined();
  });

  it("fails on a container name outside ECS's alphabet, which would otherwise reach a shell", () => {
    expect(() => resolveEnvironments([withMigrations(pipeline({ containerName: "app' ; curl evil ; '" }), { services })])).toThrow(
      'test.clients.migrations.pipeline.containerName: "app\' ; curl evil ; \'" — must be an ECS container name: 1..255 letters, digits, hyphens or underscores');
  });

  it("fails when the pipeline would deploy a container that is not the service's", () => {
    expect(() => resolveEnvironments([withMigrations(pipeline({ containerName: "web" }), { services })])).toThrow(
      'test.clients.migrations.pipeline.containerName: "web" — must be the service\'s container, clients.services.api.container.name (app): the Deploy stage points that container at the new image');
  });
});
