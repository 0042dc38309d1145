import { Construct } from "constructs";
import type { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret/index.js";
import { engineFamilyOf, type DatabaseEngine } from "./database-engines.ts";
import { attachGrant, decryptViaSecretsManager, type Grantee } from "./iam.ts";
import { isRecord, Problems } from "./validation.ts";
import { MAX_NAME_BYTES, userNameProblem } from "../scripts/lib/names/database-names.ts";

/**
 * How a user's clients authenticate.
 * - `iam`: to the proxy, with a 15-minute IAM token (the proxy's `iam_auth = REQUIRED`); clients need
 *   `rds-db:connect`, never the password. The proxy logs in to the database with the secret's password.
 * - `password`: to the proxy, with the secret's password (`iam_auth = DISABLED`).
 * - `direct-iam`: straight to the database with an IAM token (seed 004): the user gets rds_iam /
 *   AWSAuthenticationPlugin and no password, so the proxy cannot serve it and has no auth entry for it.
 * RDS Proxy cannot accept both IAM and a password for one PostgreSQL or MySQL user (`ENABLED` is SQL
 * Server only), so there is no "password+iam".
 */
export type UserAuth = "iam" | "password" | "direct-iam";

/** Whether the proxy serves the user (it must log in as it with a password). */
export function servedByProxy(auth: UserAuth): boolean {
  return auth !== "direct-iam";
}
/** What the bootstrap script grants: DML, SELECT only, or ownership of the schema (DDL, for migrations). */
export type UserPrivileges = "readwrite" | "readonly" | "owner";

export interface DatabaseUserSettings {
  /** @default "iam" */
  readonly auth?: UserAuth;
  readonly privileges: UserPrivileges;
}

export interface DatabaseUser {
  readonly name: string;
  readonly auth: UserAuth;
  readonly privileges: UserPrivileges;
  readonly secretArn: string;
  readonly kmsKeyArn: string;
}

/** A user name is part of its secret's name ("<prefix>/<user>"), which Secrets Manager limits to ASCII. */
const SECRET_SAFE_USER_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * Problems with the users map; paths are the user names. The bootstrap script's own rule
 * (scripts/lib/names/database-names.ts: reserved names, byte limits, group roles derived from `databaseName`
 * when given) applies here too, so a configuration that synthesizes also bootstraps.
 */
export function validateUsers(users: Readonly<Record<string, DatabaseUserSettings>>, engine: DatabaseEngine, masterUsername: string, problems: Problems, databaseName?: string): void {
  if (!problems.check(typeof users === "object" && users !== null && !Array.isArray(users), "", users, "must be a map of user name to { auth, privileges }")) return;
  const family = engineFamilyOf(engine);
  const maxLength = MAX_NAME_BYTES[family].user;
  for (const [name, user] of Object.entries(users)) {
    const at = problems.at(name);
    if (!at.check(isRecord(user), "", user, "must be { auth?, privileges }")) continue;
    if (at.check(SECRET_SAFE_USER_NAME.test(name) && name.length <= maxLength, "", name, `user name must be 1..${maxLength} lowercase letters, digits or underscores, starting with a letter or underscore`)) {
      const problem = userNameProblem(name, family, { masterUser: masterUsername, ...(databaseName !== undefined ? { database: databaseName } : {}) });
      if (problem) at.add("", name, `user name ${problem}`);
    }
    if (user.auth !== undefined) {
      at.check(["iam", "password", "direct-iam"].includes(user.auth), "auth", user.auth, user.auth === ("password+iam" as string)
        ? 'must be "iam", "password" or "direct-iam": RDS Proxy requires or disables IAM per user for PostgreSQL and MySQL, it cannot accept both'
        : 'must be one of "iam", "password", "direct-iam"');
    }
    at.oneOf("privileges", user.privileges, ["readwrite", "readonly", "owner"]);
  }
}

export interface DatabaseUsersProps {
  readonly users: Readonly<Record<string, DatabaseUserSettings>>;
  /** Secrets are named "<secretPrefix>/<user>", e.g. "orders/prod/database/app". */
  readonly secretPrefix: string;
  readonly engine: DatabaseEngine;
  readonly masterUsername: string;
  /** The RDS-managed master secret, served by the proxy for administration. */
  readonly masterSecretArn: string;
  /**
   * How clients authenticate to the proxy as the master user.
   * @default "iam"
   */
  readonly masterAuth?: "iam" | "password";
  /** Encrypts every user secret; also the master secret's key. */
  readonly kmsKeyArn: string;
  readonly region: string;
  /**
   * Days a deleted secret can still be restored, 7..30.
   * @default 30
   */
  readonly recoveryWindowDays?: number;
}

/**
 * One Secrets Manager secret per application user, encrypted with the environment key and holding no
 * value: the bootstrap script generates the password and writes the whole secret (username, password,
 * host, port, dbname, engine) with PutSecretValue, so no password ever reaches Terraform state.
 * Order: deploy -> bootstrap -> start clients.
 */
export class DatabaseUsers extends Construct {
  /** Application users by name, then the master user. */
  readonly all: readonly DatabaseUser[];
  readonly master: DatabaseUser;
  private readonly region: string;

  constructor(scope: Construct, id: string, props: DatabaseUsersProps) {
    super(scope, id);
    const recoveryWindowDays = props.recoveryWindowDays ?? 30;
    const problems = new Problems();
    validateUsers(props.users, props.engine, props.masterUsername, problems.at("users"));
    problems.integer("recoveryWindowDays", recoveryWindowDays, 7, 30);
    problems.throwIfAny(`DatabaseUsers ${id}`);

    this.region = props.region;
    const users = Object.entries(props.users).map(([name, settings]): DatabaseUser => {
      const secret = new SecretsmanagerSecret(this, `secret-${name}`, {
        name: `${props.secretPrefix}/${name}`,
        description: `Database user ${name}: written by the bootstrap script, read by RDS Proxy`,
        kmsKeyId: props.kmsKeyArn,
        recoveryWindowInDays: recoveryWindowDays,
      });
      return { name, auth: settings.auth ?? "iam", privileges: settings.privileges, secretArn: secret.arn, kmsKeyArn: props.kmsKeyArn };
    });
    this.master = { name: props.masterUsername, auth: props.masterAuth ?? "iam", privileges: "owner", secretArn: props.masterSecretArn, kmsKeyArn: props.kmsKeyArn };
    this.all = users;
  }

  /** The user called `name`, application or master; throws naming the users that exist. */
  user(name: string): DatabaseUser {
    const user = name === this.master.name ? this.master : this.all.find((u) => u.name === name);
    if (!user) throw new Error(`no database user "${name}"; configured users: ${[...this.all.map((u) => u.name), this.master.name].join(", ")}`);
    return user;
  }

  /**
   * Lets `grantee` read `user`'s secret: GetSecretValue on that one secret, and kms:Decrypt on its key only
   * through Secrets Manager — what an ECS execution role or a CodeBuild project needs.
   */
  grantReadSecret(grantee: Grantee, userName: string): IamRolePolicy {
    const user = this.user(userName);
    return attachGrant(`read-secret-${user.name}`, grantee, [
      { sid: "ReadDatabaseUserSecret", actions: ["secretsmanager:GetSecretValue"], resources: [user.secretArn] },
      decryptViaSecretsManager([user.kmsKeyArn], this.region),
    ]);
  }
}
