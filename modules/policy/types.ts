/**
 * Policy rules in the manner of cdk-nag: each rule a small pure function over one resource's synthesized
 * attributes (snake_case, tokens resolved to "${…}" references), returning a verdict.
 */
export interface ResourceFacts {
  /** Terraform type, e.g. "aws_rds_cluster". */
  readonly type: string;
  /** Terraform address, e.g. "aws_rds_cluster.database_cluster_FAF2FB92". */
  readonly address: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  /** Whether the stack is a production environment. */
  readonly production: boolean;
  /**
   * The other resources of the same stack as synthesized (type -> name -> attributes), for the few rules
   * about how resources relate (a secret's rotation schedule, like cdk-nag's SMG4).
   * @default unknown: rules that need it report "could not check"
   */
  readonly stackResources?: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>>;
}

export type Verdict =
  | { readonly result: "compliant" }
  | { readonly result: "non-compliant"; readonly detail: string }
  | { readonly result: "not-applicable" }
  /** The value could not be resolved at synth (a reference the rule cannot see through): never a pass. */
  | { readonly result: "unknown"; readonly detail: string };

export type Rule = (resource: ResourceFacts) => Verdict;

export const COMPLIANT: Verdict = { result: "compliant" };
export const NOT_APPLICABLE: Verdict = { result: "not-applicable" };
export const fail = (detail: string): Verdict => ({ result: "non-compliant", detail });
export const unknown = (detail: string): Verdict => ({ result: "unknown", detail });
