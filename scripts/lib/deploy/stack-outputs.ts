/**
 * Reads the outputs of an environment's stacks: `cdktf output '<env>-*' --outputs-file <file>` (keyed by
 * stack), or `terraform output -json` of one or more of its stacks. Scripts learn every identifier from
 * there, never from cdktf itself, and never need the user to merge files by hand.
 */
import { readFileSync } from "node:fs";
import { EXIT, ScriptError } from "../cli.ts";
import { LAYERS, parseStackName, stackName } from "../names/stack-names.ts";

export type Outputs = Readonly<Record<string, unknown>>;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
/** Outputs cdktf adds to pass values between stacks: not part of any stack's interface. */
const isCrossStackOutput = (name: string) => name.startsWith("cross-stack-output-");

/** terraform's { name: { value, type, sensitive } } shape, or undefined when the document is not that. */
function terraformShape(document: Json): Outputs | undefined {
  const entries = Object.entries(document);
  if (entries.length === 0 || !entries.every(([, v]) => isObject(v) && "value" in v)) return undefined;
  return Object.fromEntries(entries.map(([k, v]) => [k, (v as { value: unknown }).value]));
}

/**
 * The outputs of `environment` in one parsed document: every `<environment>-<layer>` stack of a cdktf
 * outputs file merged in layer order (a single-stack environment named `environment` is read as is), or
 * a terraform output document of one stack.
 */
export function stackOutputs(document: unknown, environment: string): Outputs {
  if (!isObject(document)) throw new ScriptError(EXIT.usage, "outputs file is not a JSON object");
  const layered = LAYERS.map((layer) => stackName(environment, layer)).filter((name) => isObject(document[name]));
  if (layered.length > 0) return mergeOutputs(layered.map((name) => [name, document[name] as Outputs]));
  if (isObject(document[environment])) return mergeOutputs([[environment, document[environment] as Outputs]]);
  const single = terraformShape(document);
  if (single) return mergeOutputs([["terraform output", single]]);
  const environments = [...new Set(Object.keys(document).map((name) => parseStackName(name)?.environment ?? name))];
  throw new ScriptError(EXIT.usage, `outputs file has no stacks of environment "${environment}" (it has: ${environments.join(", ") || "none"})`);
}

/** Merges outputs of several stacks; one name with two different values is an error, not a silent pick. */
export function mergeOutputs(sources: readonly (readonly [string, Outputs])[]): Outputs {
  const merged: Record<string, unknown> = {};
  const from: Record<string, string> = {};
  for (const [source, outputs] of sources) {
    for (const [name, value] of Object.entries(outputs)) {
      if (isCrossStackOutput(name)) continue;
      if (name in merged && JSON.stringify(merged[name]) !== JSON.stringify(value)) {
        throw new ScriptError(EXIT.usage, `output "${name}" differs between ${from[name]} and ${source}`);
      }
      merged[name] = value;
      from[name] = source;
    }
  }
  return merged;
}

function readDocument(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ScriptError(EXIT.usage, `cannot read outputs file ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ScriptError(EXIT.usage, `outputs file ${file} is not JSON`);
  }
}

/** The merged outputs of `environment` from one file or several (e.g. one `terraform output -json` per stack). */
export function readOutputs(files: string | readonly string[], environment: string): Outputs {
  const list = typeof files === "string" ? [files] : files;
  if (list.length === 0) throw new ScriptError(EXIT.usage, "no outputs file given");
  return mergeOutputs(list.map((file) => [file, stackOutputs(readDocument(file), environment)]));
}

export function requireString(outputs: Outputs, name: string): string {
  const value = outputs[name];
  if (typeof value !== "string" || value === "") throw new ScriptError(EXIT.usage, `stack output "${name}" is missing`);
  return value;
}
