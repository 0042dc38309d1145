/**
 * Handing the master password of an Aurora cluster or an RDS instance from RDS to a blue/green run and back.
 * RDS blue/green deployments do not support master passwords that RDS manages in Secrets Manager (Aurora and
 * RDS User Guides, Limitations for blue/green deployments), and dbstack always lets RDS manage it. So, with the operator's
 * consent (--release-managed-master-password):
 *
 * - hand-off: GetRandomPassword; CreateSecret `<identifier>-blue-green-master` FIRST (same KMS key as RDS's
 *   secret), so the password exists somewhere before the database uses it; then ModifyDBCluster
 *   (ModifyDBInstance for an instance, whose reference says the same) ManageMasterUserPassword=false with MasterUserPassword (RDS API reference, ModifyDBCluster: "If the DB
 *   cluster already manages the master user password with Amazon Web Services Secrets Manager, and you specify
 *   that the master user password is not managed …, then you must specify MasterUserPassword. In this case,
 *   RDS deletes the secret and uses the new password"), ApplyImmediately; wait until the database is
 *   `available` (an instance's DBInstanceStatus) without MasterUserSecret.
 * - hand-back (after the switchover the identifier names the green database): ModifyDBCluster/Instance
 *   ManageMasterUserPassword=true with MasterUserSecretKmsKeyId (valid only when turning management on; without
 *   it RDS would use aws/secretsmanager), ApplyImmediately; wait until MasterUserSecret.SecretStatus is
 *   `active`; DeleteSecret with a 7-day recovery window (Secrets Manager accepts 7..30): the old blue database,
 *   renamed by RDS, still has that password (an instance's old blue is deleted by the run, see blue-green-instance.ts).
 *
 * The password only ever travels in request parameters: never in a printed line, a result or an error
 * (errors of calls that carry it are scrubbed of it, see `awsCall`).
 */
import type { RDSClient } from "@aws-sdk/client-rds";
import {
  CreateSecretCommand, DeleteSecretCommand, DescribeSecretCommand, GetRandomPasswordCommand, GetSecretValueCommand,
  type CreateSecretCommandInput, type GetRandomPasswordCommandInput, type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { EXIT, ScriptError } from "../cli.ts";
import { API, describeDatabase, modifyDatabase, modifyInput, waitForDatabase, type Database, type DatabaseType } from "./blue-green-database.ts";
import { awsCall, realClock, type WaitClock, type WaitSettings } from "./blue-green-wait.ts";

export { awsCall, realClock, type WaitClock, type WaitSettings } from "./blue-green-wait.ts";

/** The secret a run keeps the master password in while RDS does not manage it. */
export const handOffSecretName = (identifier: string) => `${identifier}-blue-green-master`;

/** Days Secrets Manager keeps the run's secret after the hand-back (DeleteSecret RecoveryWindowInDays: 7..30). */
export const RECOVERY_WINDOW_DAYS = 7;

/**
 * GetRandomPassword for a master password. RDS (ModifyDBCluster/ModifyDBInstance MasterUserPassword):
 * "printable ASCII character except "/", """, or "@"", 8 to 41 characters for Aurora clusters and RDS for
 * MySQL, 8 to 128 for RDS for PostgreSQL; spaces are out because IncludeSpace defaults to false. 32 is within
 * every engine's limit. `'`, `\` and the backtick are left out as well
 * so the value can be pasted into psql/mysql connection strings and shells unquoted.
 */
export const PASSWORD_REQUEST: GetRandomPasswordCommandInput = {
  PasswordLength: 32,
  ExcludeCharacters: "/\"@'\\`",
  RequireEachIncludedType: true,
};

/** The run's secret as Secrets Manager describes it. */
export interface HandOffSecret {
  readonly name: string;
  readonly arn: string;
  /** The key it is encrypted with: RDS's secret's key, given back to RDS at the hand-back. */
  readonly kmsKeyId?: string;
  /** Set when the secret is scheduled for deletion (an earlier run's, after its hand-back). */
  readonly deletedDate?: Date;
}

export async function findHandOffSecret(secrets: SecretsManagerClient, name: string): Promise<HandOffSecret | undefined> {
  try {
    const described = await secrets.send(new DescribeSecretCommand({ SecretId: name }));
    return { name, arn: described.ARN ?? name, ...(described.KmsKeyId ? { kmsKeyId: described.KmsKeyId } : {}), ...(described.DeletedDate ? { deletedDate: described.DeletedDate } : {}) };
  } catch (error) {
    if ((error as Error)?.name === "ResourceNotFoundException") return undefined;
    return awsCall("DescribeSecret", () => Promise.reject(error));
  }
}

/** Where the master password of a database is, as far as this script is concerned. */
export type MasterPassword =
  /** RDS manages it; `stored` is a run's secret written before a hand-off that did not finish. */
  | { readonly kind: "rds-managed"; readonly secretArn: string; readonly kmsKeyId: string; readonly stored?: HandOffSecret }
  /** A run handed it off: the database uses the password in `secret`. */
  | { readonly kind: "handed-off"; readonly secret: HandOffSecret }
  /** Neither RDS nor a run holds it (not a dbstack database): nothing to hand off or back. */
  | { readonly kind: "self-managed" };

export function masterPasswordOf(db: Database, secret: HandOffSecret | undefined): MasterPassword {
  const id = db.identifier;
  if (secret?.deletedDate) {
    throw new ScriptError(EXIT.usage, `secret ${secret.name} of an earlier run is scheduled for deletion on ${secret.deletedDate.toISOString().slice(0, 10)}; ` +
      (db.masterUserSecret
        ? `it holds the password of that run's old blue ${db.type}. Once that ${db.type} is deleted, delete the secret for good (aws secretsmanager delete-secret --secret-id ${secret.name} --force-delete-without-recovery) and rerun`
        : `but ${id}'s master password is not RDS-managed: if the secret holds it, restore it (aws secretsmanager restore-secret --secret-id ${secret.name}) and run --hand-back-only`));
  }
  if (db.masterUserSecret) {
    const { SecretArn, KmsKeyId } = db.masterUserSecret;
    if (!SecretArn || !KmsKeyId) throw new ScriptError(EXIT.aws, `${db.type} ${id}'s MasterUserSecret has no ${SecretArn ? "KmsKeyId" : "SecretArn"}`);
    return { kind: "rds-managed", secretArn: SecretArn, kmsKeyId: KmsKeyId, ...(secret ? { stored: secret } : {}) };
  }
  return secret ? { kind: "handed-off", secret } : { kind: "self-managed" };
}

/** "Aurora cluster orders-prod", "RDS instance orders-prod". */
const described = (db: Database) => `${db.type === "cluster" ? "Aurora cluster" : "RDS instance"} ${db.identifier}`;

/** The CreateSecret input for the run's secret, without its value (the dry run prints it). */
export function handOffSecretInput(db: Database, kmsKeyId: string, why: string): Omit<CreateSecretCommandInput, "SecretString"> {
  const id = db.identifier;
  return {
    Name: handOffSecretName(id),
    KmsKeyId: kmsKeyId,
    Description: `Master password of ${described(db)} while RDS does not manage it (${why}). The hand-back schedules this secret for deletion; ` +
      `while it is not scheduled, the ${db.type}'s password is self-managed: run npm run blue-green -- <env> --hand-back-only. ` +
      (db.type === "cluster" ? "After the hand-back only the old blue cluster RDS renamed knows this password."
        : "After the hand-back only the old blue instance RDS renamed knows this password, until that instance is deleted."),
    Tags: [{ Key: "dbstack:purpose", Value: "blue-green-master-password-hand-off" }, { Key: `dbstack:${db.type}`, Value: id }],
  };
}

/** What RDS writes in its own master secrets, so tools that read one can read this one. */
function secretValue(db: Database, password: string): string {
  return JSON.stringify({
    username: db.masterUsername, password,
    engine: db.engine?.includes("postgres") ? "postgres" : "mysql",
    host: db.endpoint, port: db.port, [db.type === "cluster" ? "dbClusterIdentifier" : "dbInstanceIdentifier"]: db.identifier,
  });
}

/**
 * The password the hand-off gives the database, stored before the database uses it: an earlier run's stored
 * one (a rerun never makes a second password), or a new one from GetRandomPassword, stored FIRST in the run's secret.
 */
export async function storeHandOffPassword(secrets: SecretsManagerClient, db: Database, state: Extract<MasterPassword, { kind: "rds-managed" }>, why: string, print: (line: string) => void): Promise<{ secret: HandOffSecret; password: string }> {
  if (state.stored) {
    const value = await awsCall("GetSecretValue", () => secrets.send(new GetSecretValueCommand({ SecretId: state.stored!.arn })));
    print(`reusing the password an earlier run stored in secret ${state.stored.name}`);
    return { secret: state.stored, password: passwordIn(value.SecretString, state.stored.name) };
  }
  const generated = await awsCall("GetRandomPassword", () => secrets.send(new GetRandomPasswordCommand(PASSWORD_REQUEST)));
  const password = generated.RandomPassword;
  if (!password) throw new ScriptError(EXIT.aws, "GetRandomPassword returned no password");
  const input = handOffSecretInput(db, state.kmsKeyId, why);
  const created = await awsCall("CreateSecret", () => secrets.send(new CreateSecretCommand({ ...input, SecretString: secretValue(db, password) })), password);
  print(`stored a new master password in secret ${input.Name} (KMS key ${state.kmsKeyId})`);
  return { secret: { name: input.Name!, arn: created.ARN ?? input.Name!, kmsKeyId: state.kmsKeyId }, password };
}

/** The password field of a stored secret; a parse error's text (which quotes the value) is never passed on. */
function passwordIn(secretString: string | undefined, name: string): string {
  let password: unknown;
  try {
    password = (JSON.parse(secretString ?? "") as { password?: unknown }).password;
  } catch {
    password = undefined;
  }
  if (typeof password !== "string" || password.length < 8) throw new ScriptError(EXIT.aws, `secret ${name} holds no password field: not one this script wrote`);
  return password;
}

/** The Modify* input of the hand-off, with the password (the dry run passes a placeholder). */
export const releaseInput = (type: DatabaseType, identifier: string, password: string) =>
  modifyInput(type, identifier, { ManageMasterUserPassword: false, MasterUserPassword: password, ApplyImmediately: true });

/** Turns RDS management off with the stored password and waits until the database no longer has RDS's secret. */
export async function releaseMasterPassword(rds: RDSClient, type: DatabaseType, identifier: string, password: string, wait: WaitSettings): Promise<void> {
  await modifyDatabase(rds, type, identifier, { ManageMasterUserPassword: false, MasterUserPassword: password, ApplyImmediately: true }, password);
  wait.print(`turned RDS management of ${identifier}'s master password off; waiting for RDS to apply it`);
  await waitForDatabase(rds, type, identifier, "available without an RDS-managed master secret", (db) => db.status === "available" && !db.masterUserSecret, wait);
}

/** The ModifyDBCluster/ModifyDBInstance input of the hand-back. */
export const handBackInput = (type: DatabaseType, identifier: string, kmsKeyId: string) =>
  modifyInput(type, identifier, { ManageMasterUserPassword: true, MasterUserSecretKmsKeyId: kmsKeyId, ApplyImmediately: true });

/**
 * Gives the master password back to RDS (unless the database already has its managed secret again: a rerun
 * after a hand-back that stopped before the end), waits for the new secret to be active, schedules the run's
 * secret for deletion. Returns the ARN of RDS's new secret.
 */
export async function handBackMasterPassword(rds: RDSClient, secrets: SecretsManagerClient, type: DatabaseType, identifier: string, secret: HandOffSecret, wait: WaitSettings): Promise<string> {
  const current = await describeDatabase(rds, type, identifier);
  if (!current.masterUserSecret) {
    if (!secret.kmsKeyId) throw new ScriptError(EXIT.aws, `secret ${secret.name} has no KMS key of its own, so the key to give back to RDS is unknown`);
    await modifyDatabase(rds, type, identifier, { ManageMasterUserPassword: true, MasterUserSecretKmsKeyId: secret.kmsKeyId, ApplyImmediately: true });
    wait.print(`gave ${identifier}'s master password back to RDS (KMS key ${secret.kmsKeyId}); waiting for its new secret`);
  }
  const managed = await waitForDatabase(rds, type, identifier, "with an active RDS-managed master secret", (db) => db.masterUserSecret?.SecretStatus === "active", wait);
  await awsCall("DeleteSecret", () => secrets.send(new DeleteSecretCommand({ SecretId: secret.arn, RecoveryWindowInDays: RECOVERY_WINDOW_DAYS })));
  wait.print(`scheduled secret ${secret.name} for deletion in ${RECOVERY_WINDOW_DAYS} days (the old blue ${type} still has that password)`);
  return managed.masterUserSecret!.SecretArn!;
}

export interface BlueGreenClients {
  readonly rds: RDSClient;
  readonly secrets: SecretsManagerClient;
}

/** What --hand-back-only needs of the command line. */
export interface HandBackSettings {
  readonly environment: string;
  readonly timeoutMinutes: number;
  readonly pollSeconds: number;
  readonly dryRun: boolean;
}

/** One call (or wait) the run would make, as --dry-run prints it. */
export interface PlannedCall {
  readonly call: string;
  readonly input?: Record<string, unknown>;
}

/**
 * The hand-back makes RDS create a new master secret, with a new ARN. Terraform reads it from the database on
 * the next plan; aws_secretsmanager_secret_rotation's secret_id is ForceNew (terraform-provider-aws,
 * internal/service/secretsmanager/secret_rotation.go), so the master's schedule is replaced, not updated.
 */
export const masterSecretChanged = (environment: string, arn: string) =>
  `the master secret's ARN changed (RDS created a new managed secret, ${arn}): the same deploy updates what reads it — the setup and rotation ` +
  `functions' permissions, RDS Proxy's auth entry for the master user, the master_secret_arn output — and, where ${environment} schedules rotation, ` +
  "replaces the master secret's rotation schedule (aws_secretsmanager_secret_rotation: a new secret_id forces replacement)";

/** Results name the database as `clusterIdentifier` or `instanceIdentifier`. */
export type NamedDatabase = { readonly clusterIdentifier: string } | { readonly instanceIdentifier: string };
export const namedDatabase = (type: DatabaseType, identifier: string): NamedDatabase =>
  type === "cluster" ? { clusterIdentifier: identifier } : { instanceIdentifier: identifier };

export type HandBackResult = NamedDatabase & {
  readonly status: "handed-back" | "already-rds-managed";
  readonly newMasterSecretArn?: string;
  readonly configChange: readonly string[];
};

/** --hand-back-only: gives the master password back to RDS after a run that stopped while holding it. */
export async function runHandBackOnly(clients: BlueGreenClients, type: DatabaseType, identifier: string, options: HandBackSettings, print: (line: string) => void, clock: WaitClock = realClock): Promise<HandBackResult | PlannedCall[]> {
  const db = await describeDatabase(clients.rds, type, identifier);
  const secretName = handOffSecretName(identifier);
  const secret = await findHandOffSecret(clients.secrets, secretName);
  if (!secret || secret.deletedDate) {
    if (db.masterUserSecret) {
      print(`nothing to do: RDS manages ${identifier}'s master password (${db.masterUserSecret.SecretArn})`);
      return { ...namedDatabase(type, identifier), status: "already-rds-managed", configChange: [] };
    }
    throw new ScriptError(EXIT.usage, `${identifier}'s master password is not RDS-managed and there is no secret ${secretName} ${secret ? "that is not scheduled for deletion" : ""}`.trim() +
      `: this script did not hand it off. Give it to RDS by hand: aws rds ${API[type].cli} ${identifier} --manage-master-user-password ` +
      "--master-user-secret-kms-key-id <the environment's KMS key> --apply-immediately");
  }
  if (options.dryRun) {
    return [...(db.masterUserSecret ? [] : [{ call: API[type].modify, input: handBackInput(type, identifier, secret.kmsKeyId ?? "<unknown: the secret has no key>") }]),
      { call: `wait: ${API[type].describe} until ${identifier}'s MasterUserSecret is active` },
      { call: "DeleteSecret", input: { SecretId: secret.arn, RecoveryWindowInDays: RECOVERY_WINDOW_DAYS } }];
  }
  const wait: WaitSettings = { timeoutMs: options.timeoutMinutes * 60_000, pollMs: options.pollSeconds * 1000, clock, print };
  const arn = await handBackMasterPassword(clients.rds, clients.secrets, type, identifier, secret, wait);
  return { ...namedDatabase(type, identifier), status: "handed-back", newMasterSecretArn: arn, configChange: [`then: npm run deploy -- ${options.environment}`, masterSecretChanged(options.environment, arn)] };
}
