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

/** The trust policy that lets one AWS service assume a role. */
export function serviceTrustPolicy(service: string): string {
  return renderPolicy([{ effect: "Allow", actions: ["sts:AssumeRole"], principals: { service: [service] } }]);
}
