import { COMPLIANT, NOT_APPLICABLE, fail, type Rule } from "../types.ts";

/** An alarm notifies someone: actions enabled, and at least one ALARM action and one OK action. */
export const alarmHasActions: Rule = ({ type, attributes: a }) => {
  if (type !== "aws_cloudwatch_metric_alarm") return NOT_APPLICABLE;
  if (a.actions_enabled === false) return fail("actions_enabled is false");
  const alarmActions = Array.isArray(a.alarm_actions) ? a.alarm_actions : [];
  if (alarmActions.length === 0) return fail("alarm_actions is empty: nobody is told when it fires");
  const okActions = Array.isArray(a.ok_actions) ? a.ok_actions : [];
  if (okActions.length === 0) return fail("ok_actions is empty: nobody is told when it recovers");
  return COMPLIANT;
};
