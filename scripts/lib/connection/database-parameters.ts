/**
 * Reads the database parameter tree dbstack writes (/<app>/<env>/database/...) the way seed 002's
 * application did: GetParametersByPath, recursive, with decryption, every page.
 */
import { GetParametersByPathCommand, type SSMClient } from "@aws-sdk/client-ssm";

export interface DatabaseParameters {
  readonly host: string;
  readonly readerHost?: string;
  readonly port: number;
  readonly name: string;
  readonly engine: string;
  /** Secret ARN of each application user. */
  readonly userSecretArns: Readonly<Record<string, string>>;
  /** Every other parameter under the tree, by name relative to it. */
  readonly additional: Readonly<Record<string, string>>;
}

/** Shapes raw parameters (names are absolute) into `DatabaseParameters`; throws naming what is missing. */
export function parseDatabaseParameters(path: string, parameters: readonly { Name?: string; Value?: string }[]): DatabaseParameters {
  const root = path.replace(/\/+$/, "");
  const values = new Map<string, string>();
  for (const p of parameters) {
    if (!p.Name?.startsWith(`${root}/`) || p.Value === undefined) continue;
    values.set(p.Name.slice(root.length + 1), p.Value);
  }
  const missing = ["host", "port", "name", "engine"].filter((key) => !values.has(key));
  if (missing.length > 0) throw new Error(`${root}: missing parameter${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`);
  const port = Number(values.get("port"));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${root}/port: "${values.get("port")}" is not a port number`);

  const userSecretArns: Record<string, string> = {};
  const additional: Record<string, string> = {};
  for (const [name, value] of values) {
    if (name.startsWith("user-secret-arn/")) userSecretArns[name.slice("user-secret-arn/".length)] = value;
    else if (!["host", "reader-host", "port", "name", "engine"].includes(name)) additional[name] = value;
  }
  const readerHost = values.get("reader-host");
  return {
    host: values.get("host")!,
    ...(readerHost ? { readerHost } : {}),
    port,
    name: values.get("name")!,
    engine: values.get("engine")!,
    userSecretArns,
    additional,
  };
}

/** Fetches every page of the tree (SecureStrings decrypted) and parses it. */
export async function loadDatabaseParameters(client: SSMClient, path: string): Promise<DatabaseParameters> {
  const parameters: { Name?: string; Value?: string }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new GetParametersByPathCommand({ Path: path, Recursive: true, WithDecryption: true, NextToken: nextToken }));
    parameters.push(...(page.Parameters ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return parseDatabaseParameters(path, parameters);
}
