/**
 * The contract between the stack and the setup function: what `aws_lambda_invocation` sends (and what
 * `npm run setup` sends), parsed and checked before anything connects. It holds no secret — only where
 * the database is, who the users are, and which secrets hold their credentials — so it can sit in
 * Terraform state and in the review page.
 */
import type { Dialect, Login, Privileges } from "../database/bootstrap-plan.ts";
import { ENGINE_FAMILY_OF } from "../names/database-names.ts";

/** One application user as the stack describes it. */
export interface SetupUser {
  readonly name: string;
  readonly privileges: Privileges;
  /** How the database authenticates it: "password" (proxy users) or "iam" (direct-IAM users). */
  readonly login: Login;
  readonly secretArn: string;
  /** Host stored in its secret when not the proxy endpoint (direct-IAM users connect to the writer). */
  readonly secretHost?: string;
}

/** What the stack puts in the invocation's input. */
export interface SetupInput {
  readonly dialect: Dialect;
  /** The writer endpoint the function connects to (inside the VPC, through the setup security group). */
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** Engine name stored in user secrets, e.g. "aurora-postgresql". */
  readonly engine: string;
  /** What clients connect to, stored in every proxy user's secret: the proxy endpoint. */
  readonly proxyHost: string;
  /** The RDS-managed master secret the function logs in with. */
  readonly masterSecretArn: string;
  /**
   * How the master user authenticates to the proxy, for the check that the path works once the users
   * exist: an IAM token (the proxy's master entry requires IAM) or the master secret's password.
   */
  readonly proxyMasterAuth: "iam" | "password";
  readonly users: readonly SetupUser[];
  /** How long to wait for the database to accept connections, in seconds. */
  readonly waitSeconds: number;
}

/** Terraform's `lifecycle_scope = "CRUD"` adds this under `tf`. */
export interface TerraformLifecycle {
  readonly action: "create" | "update" | "delete";
  readonly prev_input?: unknown;
}

/** What the function is asked to do. */
export type SetupAction =
  /** Create or complete the database, roles, users and schemas; write each user's secret. */
  | {
    readonly kind: "apply"; readonly input: SetupInput; readonly rotateUsers?: readonly string[];
    /** On Terraform's update: the users its previous input had and this one does not. */
    readonly removedUsers?: readonly string[];
  }
  /** Terraform destroys the invocation: nothing to undo (the database goes with the environment). */
  | { readonly kind: "delete" };

export class SetupEventError extends Error {}

const DIALECTS = ["postgresql", "mysql"];
const PRIVILEGES = ["readwrite", "readonly", "owner"];
const LOGINS = ["password", "iam"];
const ARN = /^arn:aws(?:-cn|-us-gov)?:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
const HOST = /^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** The fields the contract defines, per object: anything else is a mistake (a typo, an older or newer stack), refused. */
const INPUT_FIELDS = ["dialect", "host", "port", "database", "engine", "proxyHost", "masterSecretArn", "proxyMasterAuth", "users", "waitSeconds", "rotate", "tf"];
const USER_FIELDS = ["name", "privileges", "login", "secretArn", "secretHost"];
const ROTATE_FIELDS = ["users"];
const TF_FIELDS = ["action", "prev_input"];
const FAMILY_OF_DIALECT: Readonly<Record<string, string>> = { postgresql: "POSTGRESQL", mysql: "MYSQL" };

/** "unknown field" problems for `object`'s keys outside `allowed`; names are cut short and JSON-quoted, never a value. */
function unknownFields(object: Record<string, unknown>, allowed: readonly string[], at: string): string[] {
  return Object.keys(object).filter((key) => !allowed.includes(key))
    .map((key) => `${at}${JSON.stringify(key.slice(0, 40))}: is not a field of the setup event (allowed: ${allowed.join(", ")})`);
}

/**
 * The action an invocation event asks for: apply (Terraform's create/update, or no `tf` at all from
 * `npm run setup`), delete (nothing), or a rotation (`{ ...input, rotate: { users?: [...] } }`, which no
 * command sends since rotation runs through Secrets Manager (scripts/lib/setup/rotation.ts); kept for hand
 * invocations). Every field is checked and every problem reported at once, naming the field; nothing
 * is echoed that could be a secret.
 */
export function parseSetupEvent(event: unknown): SetupAction {
  if (!isObject(event)) throw new SetupEventError("the event must be a JSON object");
  const tf = event.tf;
  if (tf !== undefined) {
    if (!isObject(tf) || !["create", "update", "delete"].includes(String(tf.action))) {
      throw new SetupEventError('tf.action must be "create", "update" or "delete"');
    }
    if (tf.action === "delete") return { kind: "delete" };
  }
  const problems: string[] = unknownFields(event, INPUT_FIELDS, "");
  if (isObject(tf)) problems.push(...unknownFields(tf, TF_FIELDS, "tf."));
  const need = (ok: boolean, field: string, allowed: string) => {
    if (!ok) problems.push(`${field}: ${allowed}`);
    return ok;
  };
  need(DIALECTS.includes(String(event.dialect)), "dialect", 'must be "postgresql" or "mysql"');
  need(typeof event.host === "string" && HOST.test(event.host), "host", "must be a host name");
  need(typeof event.proxyHost === "string" && HOST.test(event.proxyHost), "proxyHost", "must be a host name");
  need(Number.isInteger(event.port) && (event.port as number) >= 1 && (event.port as number) <= 65535, "port", "must be a whole number from 1 to 65535");
  need(typeof event.database === "string" && event.database.length > 0, "database", "must be a database name");
  if (need(typeof event.engine === "string" && Object.hasOwn(ENGINE_FAMILY_OF, event.engine), "engine", `must be an engine the stack builds: ${Object.keys(ENGINE_FAMILY_OF).join(", ")}`)) {
    const family = FAMILY_OF_DIALECT[String(event.dialect)];
    if (family) need(ENGINE_FAMILY_OF[event.engine as string] === family, "engine", `${event.engine as string} is not a ${String(event.dialect)} engine`);
  }
  need(typeof event.masterSecretArn === "string" && ARN.test(event.masterSecretArn), "masterSecretArn", "must be a Secrets Manager secret ARN");
  need(event.proxyMasterAuth === "iam" || event.proxyMasterAuth === "password", "proxyMasterAuth", 'must be "iam" or "password"');
  need(Number.isInteger(event.waitSeconds) && (event.waitSeconds as number) >= 0 && (event.waitSeconds as number) <= 900, "waitSeconds", "must be a whole number from 0 to 900");
  const users = Array.isArray(event.users) ? event.users : [];
  need(Array.isArray(event.users), "users", "must be a list of users");
  users.forEach((user: unknown, i: number) => {
    const at = `users[${i}]`;
    if (!need(isObject(user), at, "must be an object")) return;
    const u = user as Record<string, unknown>;
    problems.push(...unknownFields(u, USER_FIELDS, `${at}.`));
    need(typeof u.name === "string" && u.name.length > 0, `${at}.name`, "must be a user name");
    need(PRIVILEGES.includes(String(u.privileges)), `${at}.privileges`, 'must be "readwrite", "readonly" or "owner"');
    need(LOGINS.includes(String(u.login)), `${at}.login`, 'must be "password" or "iam"');
    need(typeof u.secretArn === "string" && ARN.test(u.secretArn), `${at}.secretArn`, "must be a Secrets Manager secret ARN");
    if (u.secretHost !== undefined) need(typeof u.secretHost === "string" && HOST.test(u.secretHost), `${at}.secretHost`, "must be a host name");
  });
  // A user's secret is its own: a shared one would hold whichever user was written last, the master's would be overwritten.
  const secretOwners = new Map<unknown, number>();
  users.forEach((user: unknown, i: number) => {
    if (!isObject(user) || typeof user.secretArn !== "string") return;
    const first = secretOwners.get(user.secretArn);
    if (first !== undefined) need(false, `users[${i}].secretArn`, `is the secret of users[${first}] too: each user needs its own secret`);
    else secretOwners.set(user.secretArn, i);
    need(user.secretArn !== event.masterSecretArn, `users[${i}].secretArn`, "is the master secret: a user needs its own secret");
  });
  let rotateUsers: string[] | undefined;
  if (event.rotate !== undefined) {
    const rotate = event.rotate;
    if (need(isObject(rotate), "rotate", "must be an object, { users?: [names] }")) {
      problems.push(...unknownFields(rotate as Record<string, unknown>, ROTATE_FIELDS, "rotate."));
      const names = (rotate as Record<string, unknown>).users;
      if (names === undefined) rotateUsers = users.filter(isObject).filter((u) => u.login === "password").map((u) => String(u.name));
      else if (need(Array.isArray(names) && names.every((n) => typeof n === "string"), "rotate.users", "must be a list of user names")) {
        const known = new Set(users.filter(isObject).map((u) => u.name));
        for (const name of names as string[]) need(known.has(name), "rotate.users", `names no configured user: ${JSON.stringify(name).slice(0, 80)}`);
        rotateUsers = names as string[];
      }
    }
  }
  const removedUsers = isObject(tf) && tf.action === "update" ? usersRemovedSince(tf.prev_input, users, problems) : [];
  if (problems.length > 0) throw new SetupEventError(`invalid setup event: ${problems.join("; ")}`);
  const input = event as unknown as SetupInput;
  return {
    kind: "apply", input: { ...input, users: input.users.map((u) => ({ ...u })) }, ...(rotateUsers ? { rotateUsers } : {}),
    ...(removedUsers.length > 0 ? { removedUsers } : {}),
  };
}

/**
 * The users Terraform's previous input (`tf.prev_input` on update: what the last successful apply sent)
 * had and this input does not. Only its user names are read: an older stack's input may have other fields.
 */
function usersRemovedSince(previous: unknown, users: readonly unknown[], problems: string[]): string[] {
  if (previous === undefined || previous === null) return [];
  const before = isObject(previous) ? previous.users : undefined;
  if (!Array.isArray(before) || !before.every((u) => isObject(u) && typeof u.name === "string" && u.name.length > 0)) {
    problems.push("tf.prev_input.users: must be the previous input's list of users, each with a name");
    return [];
  }
  const now = new Set(users.filter(isObject).map((u) => u.name));
  return [...new Set((before as { name: string }[]).map((u) => u.name))].filter((name) => !now.has(name));
}
