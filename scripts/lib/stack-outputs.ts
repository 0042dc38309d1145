/**
 * Reads `cdktf output --outputs-file <file>` (or `terraform output -json`) for one stack: scripts learn
 * every identifier from there, never from cdktf itself.
 */
import { readFileSync } from "node:fs";
import { EXIT, ScriptError } from "./cli.ts";

export type Outputs = Readonly<Record<string, unknown>>;

/** Accepts cdktf's { "<stack>": { name: value } } and terraform's { name: { value } } shapes. */
export function stackOutputs(document: unknown, stack: string): Outputs {
  if (typeof document !== "object" || document === null) throw new ScriptError(EXIT.usage, "outputs file is not a JSON object");
  const root = document as Record<string, unknown>;
  const forStack = root[stack];
  if (typeof forStack === "object" && forStack !== null) return forStack as Outputs;
  const values = Object.entries(root).filter(([, v]) => typeof v === "object" && v !== null && "value" in (v as object));
  if (values.length > 0 && values.length === Object.keys(root).length) {
    return Object.fromEntries(values.map(([k, v]) => [k, (v as { value: unknown }).value]));
  }
  throw new ScriptError(EXIT.usage, `outputs file has no stack "${stack}" (stacks: ${Object.keys(root).join(", ") || "none"})`);
}

export function readOutputs(file: string, stack: string): Outputs {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ScriptError(EXIT.usage, `cannot read outputs file ${file}: ${(error as Error).message}`);
  }
  try {
    return stackOutputs(JSON.parse(text), stack);
  } catch (error) {
    if (error instanceof ScriptError) throw error;
    throw new ScriptError(EXIT.usage, `outputs file ${file} is not JSON`);
  }
}

export function requireString(outputs: Outputs, name: string): string {
  const value = outputs[name];
  if (typeof value !== "string" || value === "") throw new ScriptError(EXIT.usage, `stack output "${name}" is missing`);
  return value;
}
