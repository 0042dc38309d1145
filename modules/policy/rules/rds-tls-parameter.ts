import { COMPLIANT, NOT_APPLICABLE, fail, unknown, type Rule } from "../types.ts";

const FORCE_TLS: Record<string, readonly string[]> = { "rds.force_ssl": ["1"], require_secure_transport: ["ON", "1"] };

/**
 * Parameter groups refuse unencrypted connections (rds.force_ssl / require_secure_transport). An Aurora
 * instance parameter group cannot carry either: both are cluster-level parameters, enforced by the
 * cluster parameter group.
 */
export const rdsTlsParameter: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_rds_cluster_parameter_group" && type !== "aws_db_parameter_group") return NOT_APPLICABLE;
  if (type === "aws_db_parameter_group" && String(a.family ?? "").startsWith("aurora")) return NOT_APPLICABLE;
  const parameters = a.parameter;
  if (parameters !== undefined && !Array.isArray(parameters)) return unknown("parameter is not a list at synth");
  const tls = ((parameters ?? []) as { name?: string; value?: string }[]).find((p) => p.name !== undefined && p.name in FORCE_TLS);
  if (!tls) return fail("no rds.force_ssl or require_secure_transport parameter");
  return FORCE_TLS[tls.name!]!.includes(String(tls.value)) ? COMPLIANT : fail(`${tls.name} is ${tls.value}`);
};
