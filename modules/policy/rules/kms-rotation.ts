import { COMPLIANT, NOT_APPLICABLE, fail, type Rule } from "../types.ts";

/** Customer managed keys rotate their key material. */
export const kmsRotation: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_kms_key") return NOT_APPLICABLE;
  if (a.customer_master_key_spec && a.customer_master_key_spec !== "SYMMETRIC_DEFAULT") return NOT_APPLICABLE;
  return a.enable_key_rotation === true ? COMPLIANT : fail("enable_key_rotation is not true");
};
