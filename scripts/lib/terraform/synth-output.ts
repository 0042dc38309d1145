/**
 * Reads what a synth wrote for one environment: each of its stacks' cdk.tf.json, found through cdktf's
 * manifest.json. The operator commands learn backend, provider and resources from here, the same files
 * Terraform reads, instead of importing the stacks.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { applyOrder, type StackManifest } from "../names/stack-names.ts";

export class SynthOutputError extends Error {}

function readJson(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch {
    throw new SynthOutputError(`cannot read ${path}: run npm run synth first`);
  }
}

/** Stack name -> parsed cdk.tf.json for every stack of `environment`, in apply order. */
export function readEnvironmentStacks(outdir: string, environment: string): Record<string, Record<string, unknown>> {
  const names = applyOrder(readJson(join(outdir, "manifest.json")) as unknown as StackManifest, environment);
  if (names.length === 0) throw new SynthOutputError(`no stacks of environment "${environment}" in ${outdir}`);
  return Object.fromEntries(names.map((name) => [name, readJson(join(outdir, "stacks", name, "cdk.tf.json"))]));
}
