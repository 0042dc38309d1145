/**
 * RDS IAM authentication tokens: SigV4-signed, valid 15 minutes, used as the password. Signed for the
 * endpoint the client connects to (the proxy's, when going through the proxy). Optionally signed with a
 * role assumed first, e.g. another account's (seed 004).
 */
import { Signer } from "@aws-sdk/rds-signer";
import { AssumeRoleCommand, type STSClient } from "@aws-sdk/client-sts";
import { EXIT, ScriptError } from "../cli.ts";

export interface TokenRequest {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly region: string;
}

export interface AssumedCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration?: Date;
}

export async function assumeRole(sts: STSClient, roleArn: string, sessionName: string): Promise<AssumedCredentials> {
  try {
    const { Credentials: c } = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName, DurationSeconds: 900 }));
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error("STS returned no credentials");
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, ...(c.Expiration ? { expiration: c.Expiration } : {}) };
  } catch (error) {
    throw new ScriptError(EXIT.aws, `cannot assume ${roleArn}: ${(error as Error).name}: ${(error as Error).message}`);
  }
}

export function iamAuthToken(request: TokenRequest, credentials?: AssumedCredentials): Promise<string> {
  return new Signer({
    hostname: request.host, port: request.port, username: request.user, region: request.region,
    ...(credentials ? { credentials } : {}),
  }).getAuthToken();
}
