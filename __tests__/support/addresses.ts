/**
 * Every resource address of synthesized stacks with the attributes that decide its identity in AWS (a
 * changed name, family or identifier is a replacement even at the same address). The shipped
 * environments' list as it was before named clients is kept in __tests__/fixtures/shipped-addresses.json,
 * written by this function from `npm run synth` of that commit.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

export const IDENTITY_ATTRIBUTES = [
  "name", "family", "function_name", "identifier", "cluster_identifier", "bucket", "db_proxy_name", "db_proxy_endpoint_name", "role", "cidr_block", "policy_arn",
] as const;

export type Addresses = Record<string, Record<string, Record<string, string>>>;

type StackJson = { readonly resource?: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>> };

/** The synthesized stacks of a cdktf output directory (`<outdir>/stacks`), by name. */
export function readStacks(stacksDir: string): Record<string, StackJson> {
  return Object.fromEntries(readdirSync(stacksDir).sort().map((stack) => [stack, JSON.parse(readFileSync(join(stacksDir, stack, "cdk.tf.json"), "utf8")) as StackJson]));
}

/** stack -> "type.name" -> identity attributes (those that are strings). */
export function addressesOf(stacks: Readonly<Record<string, StackJson>>): Addresses {
  const result: Addresses = {};
  for (const [stack, json] of Object.entries(stacks).sort(([a], [b]) => a.localeCompare(b))) {
    const addresses: Record<string, Record<string, string>> = {};
    for (const [type, byName] of Object.entries(json.resource ?? {})) {
      for (const [name, body] of Object.entries(byName)) {
        addresses[`${type}.${name}`] = Object.fromEntries(IDENTITY_ATTRIBUTES.filter((a) => typeof body[a] === "string").map((a) => [a, body[a] as string]));
      }
    }
    result[stack] = addresses;
  }
  return result;
}
