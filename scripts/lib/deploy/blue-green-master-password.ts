/**
 * Handing an Aurora cluster's master password from RDS to a blue/green run and back. RDS blue/green
 * deployments do not support master passwords that RDS manages in Secrets Manager (Aurora User Guide,
 * Limitations for blue/green deployments), and dbstack always lets RDS manage it. So, with the operator's
 * consent (--release-managed-master-password):
 *
 * - hand-off: GetRandomPassword; CreateSecret `<cluster>-blue-green-master` FIRST (same KMS key as RDS's
 *   secret), so the password exists somewhere before the cluster uses it; then ModifyDBCluster
 *   ManageMasterUserPassword=false with MasterUserPassword (RDS API reference, ModifyDBCluster: "If the DB
 *   cluster already manages the master user password with Amazon Web Services Secrets Manager, and you specify
 *   that the master user password is not managed …, then you must specify MasterUserPassword. In this case,
 *   RDS deletes the secret and uses the new password"), ApplyImmediately; wait until the cluster is
 *   `available` without MasterUserSecret.
 * - hand-back (after the switchover the identifier names the green cluster): ModifyDBCluster
 *   ManageMasterUserPassword=true with MasterUserSecretKmsKeyId (valid only when turning management on; without
 *   it RDS would use aws/secretsmanager), ApplyImmediately; wait until MasterUserSecret.SecretStatus is
 *   `active`; DeleteSecret with a 7-day recovery window (Secrets Manager accepts 7..30): the old blue cluster,
 *   renamed by RDS, still has that password.
 *
 * The password only ever travels in request parameters: never in a printed line, a result or an error
 * (errors of calls that carry it are scrubbed of it, see `awsCall`).
 */
import { DescribeDBClustersCommand, ModifyDBClusterCommand, type DBCluster, type RDSClient } from "@aws-sdk/client-rds";
import {
  CreateSecretCommand, DeleteSecretCommand, DescribeSecretCommand, GetRandomPasswordCommand, GetSecretValueCommand,
  type CreateSecretCommandInput, type GetRandomPasswordCommandInput, type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { EXIT, ScriptError } from "../cli.ts";

/** The secret a run keeps the master password in while RDS does not manage it. */
export const handOffSecretName = (clusterIdentifier: string) => `${clusterIdentifier}-blue-green-master`;

/** Days Secrets Manager keeps the run's secret after the hand-back (DeleteSecret RecoveryWindowInDays: 7..30). */
export const RECOVERY_WINDOW_DAYS = 7;

/**
 * GetRandomPassword for an Aurora master password. RDS (CreateDBCluster/ModifyDBCluster MasterUserPassword):
 * "printable ASCII character except "/", """, or "@"", 8 to 41 characters for Aurora clusters; spaces are out
 * because IncludeSpace defaults to false. 32 is within every Aurora engine's limit. `'`, `\` and the backtick
 * are left out as well so the value can be pasted into psql/mysql connection strings and shells unquoted.
 */
export const PASSWORD_REQUEST: GetRandomPasswordCommandInput = {
  PasswordLength: 32,
  ExcludeCharacters: "/\"@'\\`",
  RequireEachIncludedType: true,
};

export interface WaitClock {
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

export const realClock: WaitClock = { sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), now: () => Date.now() };

export interface WaitSettings {
  readonly timeoutMs: number;
  readonly pollMs: number;
  readonly clock: WaitClock;
  readonly print: (line: string) => void;
}

/**
 * Runs one AWS call and turns its failure into a ScriptError (exit 5). `secret`, when given, is removed from
 * the message in every form a request parameter can come back in (as sent, and URL-encoded as the RDS query
 * protocol sends it): an SDK or service error may echo request parameters. The SDK error itself is dropped,
 * so nothing holding the request travels further.
 */
export async function awsCall<T>(operation: string, call: () => Promise<T>, secret?: string): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ScriptError) throw error;
    let message = `${operation} failed: ${(error as Error)?.name ?? "Error"}: ${(error as Error)?.message ?? String(error)}`;
    if (secret) for (const form of new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])) message = message.split(form).join("[redacted]");
    throw new ScriptError(EXIT.aws, message);
  }
}

export async function describeCluster(rds: RDSClient, identifier: string): Promise<DBCluster> {
  const described = await awsCall("DescribeDBClusters", () => rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: identifier })));
  const cluster = described.DBClusters?.[0];
  if (!cluster?.DBClusterArn) throw new ScriptError(EXIT.aws, `cluster ${identifier} was not found`);
  return cluster;
}

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

/** Where the master password of a cluster is, as far as this script is concerned. */
export type MasterPassword =
  /** RDS manages it; `stored` is a run's secret written before a hand-off that did not finish. */
  | { readonly kind: "rds-managed"; readonly secretArn: string; readonly kmsKeyId: string; readonly stored?: HandOffSecret }
  /** A run handed it off: the cluster uses the password in `secret`. */
  | { readonly kind: "handed-off"; readonly secret: HandOffSecret }
  /** Neither RDS nor a run holds it (not a dbstack cluster): nothing to hand off or back. */
  | { readonly kind: "self-managed" };

export function masterPasswordOf(cluster: DBCluster, secret: HandOffSecret | undefined): MasterPassword {
  const id = cluster.DBClusterIdentifier ?? "the cluster";
  if (secret?.deletedDate) {
    throw new ScriptError(EXIT.usage, `secret ${secret.name} of an earlier run is scheduled for deletion on ${secret.deletedDate.toISOString().slice(0, 10)}; ` +
      (cluster.MasterUserSecret
        ? `it holds the password of that run's old blue cluster. Once that cluster is deleted, delete the secret for good (aws secretsmanager delete-secret --secret-id ${secret.name} --force-delete-without-recovery) and rerun`
        : `but ${id}'s master password is not RDS-managed: if the secret holds it, restore it (aws secretsmanager restore-secret --secret-id ${secret.name}) and run --hand-back-only`));
  }
  if (cluster.MasterUserSecret) {
    const { SecretArn, KmsKeyId } = cluster.MasterUserSecret;
    if (!SecretArn || !KmsKeyId) throw new ScriptError(EXIT.aws, `cluster ${id}'s MasterUserSecret has no ${SecretArn ? "KmsKeyId" : "SecretArn"}`);
    return { kind: "rds-managed", secretArn: SecretArn, kmsKeyId: KmsKeyId, ...(secret ? { stored: secret } : {}) };
  }
  return secret ? { kind: "handed-off", secret } : { kind: "self-managed" };
}

/** The CreateSecret input for the run's secret, without its value (the dry run prints it). */
export function handOffSecretInput(cluster: DBCluster, kmsKeyId: string, why: string): Omit<CreateSecretCommandInput, "SecretString"> {
  const id = cluster.DBClusterIdentifier!;
  return {
    Name: handOffSecretName(id),
    KmsKeyId: kmsKeyId,
    Description: `Master password of Aurora cluster ${id} while RDS does not manage it (${why}). The hand-back schedules this secret for deletion; ` +
      `while it is not scheduled, the cluster's password is self-managed: run npm run blue-green -- <env> --hand-back-only. ` +
      `After the hand-back only the old blue cluster RDS renamed knows this password.`,
    Tags: [{ Key: "dbstack:purpose", Value: "blue-green-master-password-hand-off" }, { Key: "dbstack:cluster", Value: id }],
  };
}

/** What RDS writes in its own master secrets, so tools that read one can read this one. */
function secretValue(cluster: DBCluster, password: string): string {
  return JSON.stringify({
    username: cluster.MasterUsername, password,
    engine: cluster.Engine?.includes("postgres") ? "postgres" : "mysql",
    host: cluster.Endpoint, port: cluster.Port, dbClusterIdentifier: cluster.DBClusterIdentifier,
  });
}

/**
 * The password the hand-off gives the cluster, stored before the cluster uses it: an earlier run's stored one
 * (a rerun never makes a second password), or a new one from GetRandomPassword, stored FIRST in the run's secret.
 */
export async function storeHandOffPassword(secrets: SecretsManagerClient, cluster: DBCluster, state: Extract<MasterPassword, { kind: "rds-managed" }>, why: string, print: (line: string) => void): Promise<{ secret: HandOffSecret; password: string }> {
  if (state.stored) {
    const value = await awsCall("GetSecretValue", () => secrets.send(new GetSecretValueCommand({ SecretId: state.stored!.arn })));
    print(`reusing the password an earlier run stored in secret ${state.stored.name}`);
    return { secret: state.stored, password: passwordIn(value.SecretString, state.stored.name) };
  }
  const generated = await awsCall("GetRandomPassword", () => secrets.send(new GetRandomPasswordCommand(PASSWORD_REQUEST)));
  const password = generated.RandomPassword;
  if (!password) throw new ScriptError(EXIT.aws, "GetRandomPassword returned no password");
  const input = handOffSecretInput(cluster, state.kmsKeyId, why);
  const created = await awsCall("CreateSecret", () => secrets.send(new CreateSecretCommand({ ...input, SecretString: secretValue(cluster, password) })), password);
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

/** Turns RDS management off with the stored password and waits until the cluster no longer has RDS's secret. */
export async function releaseMasterPassword(rds: RDSClient, identifier: string, password: string, wait: WaitSettings): Promise<void> {
  await awsCall("ModifyDBCluster", () => rds.send(new ModifyDBClusterCommand({
    DBClusterIdentifier: identifier, ManageMasterUserPassword: false, MasterUserPassword: password, ApplyImmediately: true,
  })), password);
  wait.print(`turned RDS management of ${identifier}'s master password off; waiting for RDS to apply it`);
  await waitForCluster(rds, identifier, "available without an RDS-managed master secret", (c) => c.Status === "available" && !c.MasterUserSecret, wait);
}

/** The ModifyDBCluster input of the hand-back. */
export const handBackInput = (identifier: string, kmsKeyId: string) => ({ DBClusterIdentifier: identifier, ManageMasterUserPassword: true, MasterUserSecretKmsKeyId: kmsKeyId, ApplyImmediately: true });

/**
 * Gives the master password back to RDS (unless the cluster already has its managed secret again: a rerun
 * after a hand-back that stopped before the end), waits for the new secret to be active, schedules the run's
 * secret for deletion. Returns the ARN of RDS's new secret.
 */
export async function handBackMasterPassword(rds: RDSClient, secrets: SecretsManagerClient, identifier: string, secret: HandOffSecret, wait: WaitSettings): Promise<string> {
  const current = await describeCluster(rds, identifier);
  if (!current.MasterUserSecret) {
    if (!secret.kmsKeyId) throw new ScriptError(EXIT.aws, `secret ${secret.name} has no KMS key of its own, so the key to give back to RDS is unknown`);
    await awsCall("ModifyDBCluster", () => rds.send(new ModifyDBClusterCommand(handBackInput(identifier, secret.kmsKeyId!))));
    wait.print(`gave ${identifier}'s master password back to RDS (KMS key ${secret.kmsKeyId}); waiting for its new secret`);
  }
  const managed = await waitForCluster(rds, identifier, "with an active RDS-managed master secret", (c) => c.MasterUserSecret?.SecretStatus === "active", wait);
  await awsCall("DeleteSecret", () => secrets.send(new DeleteSecretCommand({ SecretId: secret.arn, RecoveryWindowInDays: RECOVERY_WINDOW_DAYS })));
  wait.print(`scheduled secret ${secret.name} for deletion in ${RECOVERY_WINDOW_DAYS} days (the old blue cluster still has that password)`);
  return managed.MasterUserSecret!.SecretArn!;
}

/** Polls the cluster until `done`; throws when the timeout runs out. */
async function waitForCluster(rds: RDSClient, identifier: string, what: string, done: (cluster: DBCluster) => boolean, wait: WaitSettings): Promise<DBCluster> {
  const deadline = wait.clock.now() + wait.timeoutMs;
  let last = "";
  for (;;) {
    const cluster = await describeCluster(rds, identifier);
    const line = `${identifier} ${cluster.Status}${cluster.MasterUserSecret ? `, RDS-managed master secret ${cluster.MasterUserSecret.SecretStatus}` : ", master password not RDS-managed"}`;
    if (line !== last) wait.print(`  ${line}`);
    last = line;
    if (done(cluster)) return cluster;
    if (wait.clock.now() + wait.pollMs > deadline) {
      throw new ScriptError(EXIT.aws, `cluster ${identifier} is not ${what} after ${Math.round(wait.timeoutMs / 60000)} minutes (${line})`);
    }
    await wait.clock.sleep(wait.pollMs);
  }
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
 * The hand-back makes RDS create a new master secret, with a new ARN. Terraform reads it from the cluster on
 * the next plan; aws_secretsmanager_secret_rotation's secret_id is ForceNew (terraform-provider-aws,
 * internal/service/secretsmanager/secret_rotation.go), so the master's schedule is replaced, not updated.
 */
export const masterSecretChanged = (environment: string, arn: string) =>
  `the master secret's ARN changed (RDS created a new managed secret, ${arn}): the same deploy updates what reads it — the setup and rotation ` +
  `functions' permissions, RDS Proxy's auth entry for the master user, the master_secret_arn output — and, where ${environment} schedules rotation, ` +
  "replaces the master secret's rotation schedule (aws_secretsmanager_secret_rotation: a new secret_id forces replacement)";

export interface HandBackResult {
  readonly clusterIdentifier: string;
  readonly status: "handed-back" | "already-rds-managed";
  readonly newMasterSecretArn?: string;
  readonly configChange: readonly string[];
}

/** --hand-back-only: gives the master password back to RDS after a run that stopped while holding it. */
export async function runHandBackOnly(clients: BlueGreenClients, identifier: string, options: HandBackSettings, print: (line: string) => void, clock: WaitClock = realClock): Promise<HandBackResult | PlannedCall[]> {
  const db = await describeCluster(clients.rds, identifier);
  const secretName = handOffSecretName(identifier);
  const secret = await findHandOffSecret(clients.secrets, secretName);
  if (!secret || secret.deletedDate) {
    if (db.MasterUserSecret) {
      print(`nothing to do: RDS manages ${identifier}'s master password (${db.MasterUserSecret.SecretArn})`);
      return { clusterIdentifier: identifier, status: "already-rds-managed", configChange: [] };
    }
    throw new ScriptError(EXIT.usage, `${identifier}'s master password is not RDS-managed and there is no secret ${secretName} ${secret ? "that is not scheduled for deletion" : ""}`.trim() +
      `: this script did not hand it off. Give it to RDS by hand: aws rds modify-db-cluster --db-cluster-identifier ${identifier} --manage-master-user-password ` +
      "--master-user-secret-kms-key-id <the environment's KMS key> --apply-immediately");
  }
  if (options.dryRun) {
    return [...(db.MasterUserSecret ? [] : [{ call: "ModifyDBCluster", input: handBackInput(identifier, secret.kmsKeyId ?? "<unknown: the secret has no key>") }]),
      { call: `wait: DescribeDBClusters until ${identifier}'s MasterUserSecret is active` },
      { call: "DeleteSecret", input: { SecretId: secret.arn, RecoveryWindowInDays: RECOVERY_WINDOW_DAYS } }];
  }
  const wait: WaitSettings = { timeoutMs: options.timeoutMinutes * 60_000, pollMs: options.pollSeconds * 1000, clock, print };
  const arn = await handBackMasterPassword(clients.rds, clients.secrets, identifier, secret, wait);
  return { clusterIdentifier: identifier, status: "handed-back", newMasterSecretArn: arn, configChange: [`then: npm run deploy -- ${options.environment}`, masterSecretChanged(options.environment, arn)] };
}
