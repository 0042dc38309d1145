/** Helpers rules share to read synthesized attributes. */
import { COMPLIANT, fail, unknown, type Verdict } from "./types.ts";

/** A whole-value Terraform reference such as "${aws_kms_key.key_F64E54E4.arn}". */
export function isReference(value: unknown): value is string {
  return typeof value === "string" && /^\$\{[^}]+\}$/.test(value);
}

/** Whether a string contains any interpolation. */
export function hasInterpolation(value: unknown): boolean {
  return typeof value === "string" && value.includes("${");
}

/**
 * Whether `value` names a customer managed key: a reference to an aws_kms_key (in the same stack, or an
 * upstream stack's through cdktf's cross-stack output, whose name carries the resource type), or a
 * literal key ARN. AWS managed keys (alias/aws/…) fail; other references cannot be seen through.
 */
export function customerManagedKey(value: unknown, what: string): Verdict {
  if (value === undefined || value === null || value === "") return fail(`${what} uses no customer managed key`);
  if (typeof value !== "string") return unknown(`${what} key is not a string`);
  if (/alias\/aws\//.test(value)) return fail(`${what} uses an AWS managed key (${value})`);
  if (/^\$\{aws_kms_key\.[^}]+\.(arn|key_id|id)\}$/.test(value)) return COMPLIANT;
  if (/^\$\{data\.terraform_remote_state\.[^.}]+\.outputs\.cross-stack-output-aws_kms_key[^}]+(arn|key_id|id)\}$/.test(value)) return COMPLIANT;
  if (/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-fmrk-]+$/.test(value)) return COMPLIANT;
  return unknown(`${what} key ${value} cannot be checked at synth`);
}

export { isSecretLikeName as isSecretLike } from "../validation.ts";

export interface Statement {
  readonly Effect?: string;
  readonly Action?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export const asList = (value: string | readonly string[] | undefined): readonly string[] => (value === undefined ? [] : typeof value === "string" ? [value] : value);

/** The statements of an IAM policy JSON string; undefined when it is not literal JSON. */
export function policyStatements(policy: unknown): Statement[] | undefined {
  if (typeof policy !== "string") return undefined;
  try {
    const parsed = JSON.parse(policy) as { Statement?: Statement | Statement[] };
    return parsed.Statement === undefined ? [] : Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
  } catch {
    return undefined;
  }
}

/** Container definitions as synthesized (a JSON string); undefined when it is built from references. */
export function containerDefinitions(value: unknown): Record<string, unknown>[] | undefined {
  if (typeof value !== "string") return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    return Array.isArray(parsed) ? (parsed as Record<string, unknown>[]) : undefined;
  } catch {
    return undefined;
  }
}

/** First element of a nested block, which Terraform JSON writes as an object or a one-item list. */
export function block(value: unknown): Record<string, unknown> | undefined {
  if (Array.isArray(value)) return value[0] as Record<string, unknown> | undefined;
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
}
