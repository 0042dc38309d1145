import type { Construct } from "constructs";
import { Fn, TerraformLocal } from "cdktf";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { dnsSuffixOf, partitionOf } from "./aws-regions.ts";

/**
 * The one way policies are written in dbstack: typed statements rendered to JSON. Resource ARNs may be
 * Terraform tokens; they render as interpolations inside the JSON string.
 */
export interface PolicyStatement {
  readonly sid?: string;
  readonly effect?: "Allow" | "Deny";
  readonly actions: readonly string[];
  readonly resources?: readonly string[];
  readonly principals?: { readonly service?: readonly string[]; readonly aws?: readonly string[] };
  /** operator -> condition key -> values, e.g. { StringEquals: { "kms:ViaService": ["secretsmanager.eu-west-1.amazonaws.com"] } } */
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

export function renderPolicy(statements: readonly PolicyStatement[]): string {
  if (statements.length === 0) throw new Error("renderPolicy: a policy needs at least one statement");
  return JSON.stringify({ Version: "2012-10-17", Statement: statements.map(renderStatement) });
}

function renderStatement(statement: PolicyStatement): Record<string, unknown> {
  if (statement.actions.length === 0) throw new Error(`renderPolicy: statement ${statement.sid ?? ""} has no actions`);
  const rendered: Record<string, unknown> = {};
  if (statement.sid) rendered.Sid = statement.sid;
  rendered.Effect = statement.effect ?? "Allow";
  if (statement.principals) {
    const principal: Record<string, unknown> = {};
    if (statement.principals.service) principal.Service = unwrap(statement.principals.service);
    if (statement.principals.aws) principal.AWS = unwrap(statement.principals.aws);
    rendered.Principal = principal;
  }
  rendered.Action = unwrap(statement.actions);
  if (statement.resources) rendered.Resource = unwrap(statement.resources);
  if (statement.conditions) {
    rendered.Condition = Object.fromEntries(
      Object.entries(statement.conditions).map(([op, keys]) => [
        op,
        Object.fromEntries(Object.entries(keys).map(([key, values]) => [key, unwrap(values)])),
      ]),
    );
  }
  return rendered;
}

function unwrap(values: readonly string[]): string | readonly string[] {
  return values.length === 1 ? values[0]! : values;
}

/**
 * The trust policy that lets one AWS service assume a role; with `sourceAccount`, only on behalf of that
 * account's resources (confused-deputy protection).
 */
export function serviceTrustPolicy(service: string, sourceAccount?: string): string {
  return renderPolicy([{
    effect: "Allow",
    actions: ["sts:AssumeRole"],
    principals: { service: [service] },
    ...(sourceAccount ? { conditions: { StringEquals: { "aws:SourceAccount": [sourceAccount] } } } : {}),
  }]);
}

/**
 * The ARN of a log group by name, for a role created before (in a stack upstream of) the log group it
 * writes to: the role's stack cannot reference a resource of a stack applied after it.
 */
export function logGroupArn(region: string, account: string, name: string): string {
  return `arn:${partitionOf(region)}:logs:${region}:${account}:log-group:${name}`;
}

/** Lets a service write to one log group: create streams in it and put events, nothing else. */
export function writeLogsStatement(logGroupArn: string): PolicyStatement {
  return { sid: "WriteOwnLogGroup", actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [`${logGroupArn}:*`] };
}

/** A role a grant can attach a policy to: a provider `IamRole`, or any construct that names a role. */
export interface Grantee extends Construct {
  readonly name: string;
}

/**
 * Attaches `statements` to the grantee as an inline policy created beside the grantee, in its stack, as
 * AWS CDK does: the grantee's stack depends on the granted resource's, never the other way round, so a
 * grant across layered stacks makes no cycle. Callers never write these policies themselves.
 */
export function attachGrant(id: string, grantee: Grantee, statements: readonly PolicyStatement[]): IamRolePolicy {
  return new IamRolePolicy(grantee, id, { name: id, role: grantee.name, policy: renderPolicy(statements) });
}

/** `kms:Decrypt` on exactly these keys, only when Secrets Manager calls it on the caller's behalf. */
export function decryptViaSecretsManager(keyArns: readonly string[], region: string): PolicyStatement {
  return {
    sid: "DecryptSecretsThroughSecretsManager",
    actions: ["kms:Decrypt"],
    resources: [...new Set(keyArns)],
    conditions: { StringEquals: { "kms:ViaService": [`secretsmanager.${region}.${dnsSuffixOf(region)}`] } },
  };
}

/**
 * The ARN of one database user of a proxy or database — arn:<partition>:rds-db:<region>:<account>:
 * dbuser:<resource id>/<user> — derived from the resource's ARN with Terraform functions (no data source,
 * so stacks still plan offline). Kept in a local in the grantee's stack, so the policy JSON stays free
 * of quoted expressions and a cross-stack grant reads only the upstream's ARN.
 */
export function dbUserArn(grantee: Grantee, id: string, resourceArn: string, resourceId: string, dbUser: string): string {
  const part = (index: number) => Fn.element(Fn.split(":", resourceArn), index);
  // The user stays outside the local, so the policy (and its review) shows whom the grant names.
  const prefix = new TerraformLocal(grantee, `${id}-arn-prefix`, `arn:${part(1)}:rds-db:${part(3)}:${part(4)}:dbuser:${resourceId}`).asString;
  return `${prefix}/${dbUser}`;
}
