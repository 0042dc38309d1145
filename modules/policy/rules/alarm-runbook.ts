import { COMPLIANT, NOT_APPLICABLE, fail, type Rule } from "../types.ts";

/** An alarm says what to do (a runbook line in its description) and treats missing data on purpose. */
export const alarmRunbook: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_cloudwatch_metric_alarm") return NOT_APPLICABLE;
  const missing: string[] = [];
  if (typeof a.alarm_description !== "string" || !/First: .+ Runbook: /.test(a.alarm_description)) missing.push('alarm_description has no "First: … Runbook: …" line');
  if (typeof a.treat_missing_data !== "string") missing.push("treat_missing_data is not set");
  return missing.length === 0 ? COMPLIANT : fail(missing.join("; "));
};
