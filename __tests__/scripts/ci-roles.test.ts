/**
 * The CI roles' documents, made from the shipped synth: who may assume each role (GitHub's OIDC provider,
 * this repository's pull requests or its GitHub environment), what plan may read and never write, what
 * apply may manage, and the central layout's state role. Also `npm run ci-roles` as a process.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { stateBucketSettings } from "../../scripts/lib/deploy/state-bucket.ts";
import { ciRoles, environmentFacts, type PolicyDocument } from "../../scripts/lib/terraform/ci-roles.ts";
import { environments } from "../../stacks/environments.ts";
import { synthEnvironment, thrownMessage } from "../helpers.ts";

type Json = Record<string, unknown>;
const stacksOf = (name: string) => Object.fromEntries(Object.entries(synthEnvironment(environments.find((e) => e.name === name)!).stacks)
  .map(([stack, { parsed }]) => [stack, parsed as unknown as Json]));
const rolesOf = (name: string) => {
  const stacks = stacksOf(name);
  return ciRoles(environmentFacts(name, stacks, stateBucketSettings(stacks, name)), "acme/orders");
};
const statement = (policy: PolicyDocument, sid: string) => policy.Statement.find((s) => s.Sid === sid);
const actions = (policy: PolicyDocument, effect = "Allow") => policy.Statement.filter((s) => s.Effect === effect).flatMap((s) => [s.Action].flat());
/** IAM counts a managed policy's size without whitespace; 6,144 characters is the fixed limit. */
const managedPolicySize = (policy: PolicyDocument) => JSON.stringify(policy).replace(/\s/g, "").length;

describe("the CI roles of an environment with its own state bucket (dev)", () => {
  const roles = rolesOf("dev");

  it("are trusted by GitHub's OIDC provider for this repository only: plan from pull requests, apply from the GitHub environment", () => {
    expect(roles.plan.trustPolicy.Statement).toEqual([{
      Sid: "GitHubActionsOidc", Effect: "Allow",
      Principal: { Federated: "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com" },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: { StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": "repo:acme/orders:pull_request" } },
    }]);
    expect(roles.apply.trustPolicy.Statement[0]!.Condition).toEqual({
      StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": "repo:acme/orders:environment:dev" },
    });
    expect([roles.plan.name, roles.apply.name, roles.plan.account]).toEqual(["orders-dev-ci-plan", "orders-dev-ci-apply", "111111111111"]);
  });

  it("let plan read the services the stacks use in their region, never a secret value, and write only lock files of its own state", () => {
    const plan = roles.plan.permissionsPolicy;
    expect(actions(plan).filter((a) => !/:(Describe|Get|List|BatchGet)[A-Za-z]*\*?$/.test(a))).toEqual(["kms:Decrypt", "s3:PutObject", "s3:DeleteObject"]);
    // Refreshing a SecureString parameter decrypts it, through SSM only.
    expect(statement(plan, "DecryptSecureStringsThroughSsm")!.Condition).toEqual({ StringEquals: { "kms:ViaService": "ssm.eu-west-1.amazonaws.com" } });
    expect(statement(plan, "WriteOwnLocksOnly")!.Resource).toBe("arn:aws:s3:::orders-terraform-state-111111111111/dbstack/dev/*.tflock");
    expect(statement(plan, "ReadOwnState")).toMatchObject({ Action: "s3:GetObject", Resource: "arn:aws:s3:::orders-terraform-state-111111111111/dbstack/dev/*" });
    expect(statement(plan, "ListOwnStateKeys")!.Condition).toEqual({ StringLike: { "s3:prefix": ["dbstack/dev/*"] } });
    expect(statement(plan, "ReadWhatTheStacksManage")).toMatchObject({ Resource: "*", Condition: { StringEquals: { "aws:RequestedRegion": "eu-west-1" } } });
    expect(actions(plan)).toEqual(expect.arrayContaining(["ec2:Describe*", "rds:Describe*", "kms:Describe*", "lambda:Get*", "codebuild:BatchGetProjects", "logs:Describe*"]));
    // Only the services dev's stacks use: it has no task definition and no pipeline.
    expect(actions(plan).filter((a) => /^(ecs|codepipeline):/.test(a))).toEqual([]);
    expect(actions(plan)).not.toContain("logs:Get*");
    expect(actions(plan, "Deny")).toEqual(["secretsmanager:GetSecretValue"]);
    // dev's stacks make no bucket (no pipeline), so neither role is granted any.
    expect(statement(plan, "ReadBucketSettings")).toBeUndefined();
  });

  it("let apply manage those services in the region, IAM roles and buckets under the environment's prefix only, and write its state", () => {
    const apply = roles.apply.permissionsPolicy;
    expect(statement(apply, "ManageTheStacksServicesInTheRegion")).toMatchObject({ Condition: { StringEquals: { "aws:RequestedRegion": "eu-west-1" } } });
    expect(actions(apply)).not.toContain("iam:*");
    expect(statement(apply, "ManageOwnRoles")!.Resource).toBe("arn:aws:iam::111111111111:role/orders-dev-*");
    expect(statement(apply, "ManageOwnBuckets")).toBeUndefined();
    expect(statement(apply, "WriteOwnStateAndLocks")!.Resource).toBe("arn:aws:s3:::orders-terraform-state-111111111111/dbstack/dev/*");
    expect(roles.state).toBeUndefined();
  });

  it("fit IAM's managed policy size", () => {
    for (const role of [roles.plan, roles.apply]) expect(managedPolicySize(role.permissionsPolicy)).toBeLessThanOrEqual(6144);
  });
});

describe("the CI roles of an environment in the central state bucket (prod)", () => {
  const roles = rolesOf("prod");
  const STATE_ROLE = "arn:aws:iam::444444444444:role/orders-terraform-state";

  it("reach the state only by assuming the backend's role, which trusts exactly those two roles and holds prod's keys only", () => {
    for (const role of [roles.plan, roles.apply]) {
      expect(role.permissionsPolicy.Statement.filter((s) => [s.Action].flat().some((a) => a.startsWith("s3:") && a !== "s3:Get*" && a !== "s3:ListBucket" && a !== "s3:*"))).toEqual([]);
      expect(statement(role.permissionsPolicy, "AssumeStateRole")).toEqual({ Sid: "AssumeStateRole", Effect: "Allow", Action: "sts:AssumeRole", Resource: STATE_ROLE });
    }
    expect(roles.state!.name).toBe("orders-terraform-state");
    expect(roles.state!.account).toBe("444444444444");
    expect(roles.state!.trustPolicy.Statement).toEqual([{
      Sid: "DeployRolesOfTheEnvironment", Effect: "Allow", Action: "sts:AssumeRole",
      Principal: { AWS: ["arn:aws:iam::333333333333:role/orders-prod-ci-plan", "arn:aws:iam::333333333333:role/orders-prod-ci-apply"] },
    }]);
    expect(statement(roles.state!.permissionsPolicy, "WriteOwnStateAndLocks")!.Resource).toBe("arn:aws:s3:::orders-terraform-state/dbstack/prod/*");
  });

  it("grant buckets (prod's pipeline artifacts) under the environment's prefix only: settings for plan, everything for apply", () => {
    expect(statement(roles.plan.permissionsPolicy, "ReadBucketSettings")).toMatchObject({ Action: ["s3:Get*", "s3:ListBucket"], Resource: "arn:aws:s3:::orders-prod-*" });
    expect(statement(roles.apply.permissionsPolicy, "ManageOwnBuckets")!.Resource).toEqual(["arn:aws:s3:::orders-prod-*", "arn:aws:s3:::orders-prod-*/*"]);
  });

  it("require the external id in the state role's trust where the backend passes one", () => {
    const stacks = stacksOf("prod");
    const settings = { ...stateBucketSettings(stacks, "prod"), assumeRole: { roleArn: STATE_ROLE, externalId: "orders-ci" } };
    expect(ciRoles(environmentFacts("prod", stacks, settings), "acme/orders").state!.trustPolicy.Statement[0]!.Condition).toEqual({ StringEquals: { "sts:ExternalId": "orders-ci" } });
  });

  it("name the variables plan.yml reads and where each is set", () => {
    expect(roles.variables).toEqual({
      DBSTACK_PLAN_ROLE_ARN_PROD: "arn:aws:iam::333333333333:role/orders-prod-ci-plan (repository variable)",
      DBSTACK_APPLY_ROLE_ARN: 'arn:aws:iam::333333333333:role/orders-prod-ci-apply (GitHub environment "prod": variable DBSTACK_APPLY_ROLE_ARN)',
    });
  });
});

describe("CI role documents refuse", () => {
  it("a resource type whose service is not known, and a repository that is not owner/name", () => {
    const stacks = stacksOf("dev");
    const withQueue = { ...stacks, "dev-network": { ...stacks["dev-network"]!, resource: { aws_sqs_queue: { q: {} } } } };
    expect(thrownMessage(() => environmentFacts("dev", withQueue, stateBucketSettings(stacks, "dev"))))
      .toBe("dev-network declares aws_sqs_queue, whose IAM service scripts/lib/terraform/ci-roles.ts does not know: add it to SERVICE_OF");
    expect(thrownMessage(() => ciRoles(environmentFacts("dev", stacks, stateBucketSettings(stacks, "dev")), "https://github.com/acme/orders")))
      .toBe("--repository must be <owner>/<name> as GitHub spells it, not https://github.com/acme/orders");
  });

  it("as a process: no repository is a usage error (exit 2)", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/ci-roles.ts", "dev"], { encoding: "utf8" });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("--repository <owner>/<name> is required: the roles trust that repository only");
  });
});
