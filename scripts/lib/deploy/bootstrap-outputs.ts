/**
 * What the bootstrap needs from a stack's outputs, checked as the input it is: every problem is reported
 * at once, naming the output, before any connection. Pure.
 */
import type { BootstrapUser } from "../database/bootstrap.ts";
import { databaseNameProblem, masterUserNameProblem, userNameProblem, type EngineFamily } from "../names/database-names.ts";
import type { InputProblem } from "../database/input-problems.ts";
import type { Outputs } from "./stack-outputs.ts";

export interface BootstrapTarget {
  readonly family: EngineFamily;
  readonly engine: string;
  readonly database: string;
  /** The database's port, which the proxy listens on too: what clients use. */
  readonly port: number;
  /** Where clients connect: the proxy endpoint. */
  readonly proxyEndpoint: string;
  readonly masterUser: string;
  readonly masterSecretArn: string;
  readonly masterAuth: "password" | "iam";
  readonly users: readonly BootstrapUser[];
}

const USER_AUTH = ["iam", "password", "direct-iam"];
const PRIVILEGES = ["readwrite", "readonly", "owner"];

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const isText = (value: unknown): value is string => typeof value === "string" && value !== "";

export function bootstrapTargetFromOutputs(outputs: Outputs): { target?: BootstrapTarget; problems: InputProblem[] } {
  const problems: InputProblem[] = [];
  const text = (name: string): string => {
    const value = outputs[name];
    if (isText(value)) return value;
    problems.push({ path: name, value, allowed: "must be a non-empty string (is the stack deployed, and the outputs file current?)" });
    return "";
  };
  const familyValue = text("database_engine_family");
  const family: EngineFamily | undefined = familyValue === "POSTGRESQL" || familyValue === "MYSQL" ? familyValue : undefined;
  if (familyValue && !family) problems.push({ path: "database_engine_family", value: familyValue, allowed: 'must be "POSTGRESQL" or "MYSQL"' });
  const engine = text("database_engine");
  const database = text("database_name");
  const proxyEndpoint = text("proxy_endpoint");
  const masterUser = text("master_username");
  const masterSecretArn = text("master_secret_arn");
  const portText = text("database_port");
  const port = Number(portText);
  if (portText && !(Number.isInteger(port) && port >= 1 && port <= 65535)) problems.push({ path: "database_port", value: portText, allowed: "must be a port, 1..65535" });
  const masterAuth = outputs.master_auth ?? "password";
  if (masterAuth !== "password" && masterAuth !== "iam") problems.push({ path: "master_auth", value: masterAuth, allowed: 'must be "password" or "iam"' });
  if (family && database) {
    const problem = databaseNameProblem(database, family);
    if (problem) problems.push({ path: "database_name", value: database, allowed: `database name ${problem}` });
  }
  if (family && masterUser) {
    const problem = masterUserNameProblem(masterUser, family);
    if (problem) problems.push({ path: "master_username", value: masterUser, allowed: `master user name ${problem}` });
  }

  const users: BootstrapUser[] = [];
  const declared = outputs.database_users;
  const secrets = outputs.user_secret_arns;
  if (!isObject(declared)) problems.push({ path: "database_users", value: declared, allowed: "must be a map of user name to { auth, privileges }" });
  if (!isObject(secrets)) problems.push({ path: "user_secret_arns", value: secrets, allowed: "must be a map of user name to secret ARN" });
  if (isObject(declared) && isObject(secrets)) {
    for (const [name, user] of Object.entries(declared)) {
      const at = `database_users.${name}`;
      const nameProblem = family && userNameProblem(name, family, { masterUser, database });
      if (nameProblem) problems.push({ path: at, value: name, allowed: `user name ${nameProblem}` });
      const { auth, privileges } = isObject(user) ? user : {};
      if (!USER_AUTH.includes(auth as string)) problems.push({ path: `${at}.auth`, value: auth, allowed: 'must be "iam", "password" or "direct-iam"' });
      if (!PRIVILEGES.includes(privileges as string)) problems.push({ path: `${at}.privileges`, value: privileges, allowed: 'must be "readwrite", "readonly" or "owner"' });
      const secretArn = secrets[name];
      if (!isText(secretArn)) problems.push({ path: `user_secret_arns.${name}`, value: secretArn, allowed: "must be the ARN of the user's secret" });
      // Users the proxy serves log in to the database with their secret's password, whatever clients use;
      // direct-IAM users connect to the writer, so that is the host their secret names.
      if (auth === "direct-iam") {
        const writer = outputs.database_writer_endpoint;
        if (!isText(writer)) problems.push({ path: "database_writer_endpoint", value: writer, allowed: `must be set: ${name} is a direct-iam user` });
        users.push({ name, privileges: privileges as BootstrapUser["privileges"], login: "iam", secretArn: secretArn as string, secretHost: writer as string });
      } else {
        users.push({ name, privileges: privileges as BootstrapUser["privileges"], login: "password", secretArn: secretArn as string });
      }
    }
  }
  if (problems.length > 0 || !family) return { problems };
  return { target: { family, engine, database, port, proxyEndpoint, masterUser, masterSecretArn, masterAuth: masterAuth as "password" | "iam", users }, problems };
}
