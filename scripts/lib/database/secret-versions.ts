/**
 * A user secret's versions, and Secrets Manager's own rotation pattern for changing a password without a
 * moment where nobody knows it: write the new value as a version labelled AWSPENDING, change the
 * database, then move AWSCURRENT (what the proxy and clients read) to it. A run that stops anywhere in
 * between leaves the new password in AWSPENDING, where the next run finds it and finishes the change.
 */
import {
  GetSecretValueCommand, PutSecretValueCommand, ResourceNotFoundException, UpdateSecretVersionStageCommand, type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { EXIT, ScriptError } from "../cli.ts";
import { parseUserSecret, unreadableSecretProblem, type UserSecret } from "./user-secret.ts";

/**
 * The Secrets Manager client's per-request bounds (its `requestHandler` settings): 3 s to connect (an
 * endpoint in the VPC or a NAT path answers in milliseconds), 10 s for the answer, so an endpoint that
 * does not answer fails a step instead of hanging until Lambda's limit.
 */
export const SECRETS_MANAGER_TIMEOUTS = { connectionTimeout: 3_000, requestTimeout: 10_000 } as const;

const CURRENT = "AWSCURRENT";
const PENDING = "AWSPENDING";

export interface SecretVersion {
  readonly versionId: string;
  readonly value: Partial<UserSecret> | undefined;
  /** Why the stored value is not a user secret at all (not JSON, not an object); never the value itself. */
  readonly unreadable?: string;
}

export interface SecretVersions {
  readonly current?: SecretVersion;
  /** A version labelled AWSPENDING; the same version as `current` after a first write (see below). */
  readonly pending?: SecretVersion;
}

/** The version a label points at; undefined when no version has it (a container Terraform created empty). */
async function readStage(secrets: SecretsManagerClient, secretArn: string, stage: string): Promise<SecretVersion | undefined> {
  try {
    const result = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn, VersionStage: stage }));
    const unreadable = unreadableSecretProblem(result.SecretString);
    return { versionId: result.VersionId!, value: parseUserSecret(result.SecretString), ...(unreadable ? { unreadable } : {}) };
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw new ScriptError(EXIT.aws, `cannot read secret ${secretArn} (${stage}): ${(error as Error).name}`);
  }
}

export async function readSecretVersions(secrets: SecretsManagerClient, secretArn: string): Promise<SecretVersions> {
  const current = await readStage(secrets, secretArn, CURRENT);
  const pending = await readStage(secrets, secretArn, PENDING);
  return { ...(current ? { current } : {}), ...(pending ? { pending } : {}) };
}

/** The master's credentials from the RDS-managed secret. */
export async function readMasterSecret(secrets: SecretsManagerClient, secretArn: string): Promise<{ username: string; password: string }> {
  const value = (await readStage(secrets, secretArn, CURRENT))?.value;
  if (!value?.username || !value.password) throw new ScriptError(EXIT.aws, `the master secret ${secretArn} has no username/password`);
  return { username: value.username, password: value.password };
}

/**
 * Stores `secret` as a new AWSPENDING version and returns its id. Secrets Manager also labels the first
 * version of a secret AWSCURRENT: for a user that does not exist yet, that is what makes a rerun create
 * it with this password.
 */
export async function writePending(secrets: SecretsManagerClient, secretArn: string, user: string, secret: UserSecret): Promise<string> {
  try {
    const result = await secrets.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: JSON.stringify(secret), VersionStages: [PENDING] }));
    return result.VersionId!;
  } catch (error) {
    throw new ScriptError(EXIT.aws, `cannot store the new password of ${user} (${secretArn}): ${(error as Error).name}; nothing was changed in the database for it`);
  }
}

/** Moves AWSCURRENT to the pending version, then takes AWSPENDING off it, so the next run finds nothing unfinished. */
export async function promotePending(secrets: SecretsManagerClient, secretArn: string, user: string, pendingVersionId: string, currentVersionId: string | undefined): Promise<void> {
  try {
    if (currentVersionId !== pendingVersionId) {
      await secrets.send(new UpdateSecretVersionStageCommand({
        SecretId: secretArn, VersionStage: CURRENT, MoveToVersionId: pendingVersionId,
        ...(currentVersionId ? { RemoveFromVersionId: currentVersionId } : {}),
      }));
    }
    await secrets.send(new UpdateSecretVersionStageCommand({ SecretId: secretArn, VersionStage: PENDING, RemoveFromVersionId: pendingVersionId }));
  } catch (error) {
    throw new ScriptError(EXIT.aws, `the database has the new password of ${user}, but it could not be made current in ${secretArn}: ${(error as Error).name}; rerun to finish (the new password waits in ${PENDING})`);
  }
}

/** A change that keeps the password (host, port, …) is written as the current version directly. */
export async function writeCurrent(secrets: SecretsManagerClient, secretArn: string, user: string, secret: UserSecret): Promise<void> {
  try {
    await secrets.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: JSON.stringify(secret) }));
  } catch (error) {
    throw new ScriptError(EXIT.aws, `cannot write the secret of ${user} (${secretArn}): ${(error as Error).name}; rerun to retry`);
  }
}
