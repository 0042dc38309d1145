import { Construct } from "constructs";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter/index.js";
import { Problems, credentialIn, isSecretLikeName } from "./validation.ts";

export interface DatabaseParametersProps {
  /** Tree root, e.g. "/orders/prod/database". */
  readonly path: string;
  /** The proxy's read/write endpoint. */
  readonly host: string;
  /** The proxy's read-only endpoint, when there is one. */
  readonly readerHost?: string;
  readonly port: number;
  readonly databaseName: string;
  readonly engine: string;
  /** Secret ARN of each application user. */
  readonly userSecretArns: Readonly<Record<string, string>>;
  /**
   * Extra parameters under the same tree. A name that looks secret (password, token, key…) is stored as
   * SecureString with the environment key — but its value is still in Terraform state, so prefer a secret.
   * @default none
   */
  readonly additional?: Readonly<Record<string, string>>;
  readonly kmsKeyArn: string;
}

/** A parameter name relative to the tree: parts of letters, digits and _.- separated by "/". */
export const PARAMETER_NAME = /^[a-zA-Z0-9_.-]+(?:\/[a-zA-Z0-9_.-]+)*$/;
/** Names dbstack writes itself. */
const RESERVED = ["host", "reader-host", "port", "name", "engine", "user-secret-arn"];

export function validateAdditionalParameters(additional: Readonly<Record<string, string>>, problems: Problems): void {
  for (const [name, value] of Object.entries(additional)) {
    if (!problems.matches(name, name, PARAMETER_NAME, "must be a parameter name: letters, digits, _ . - and / between parts")) continue;
    problems.check(!RESERVED.includes(name.split("/")[0]!), name, name, `is written by dbstack (${RESERVED.join(", ")})`);
    const secretName = isSecretLikeName(name);
    if (!problems.check(typeof value === "string" && value.length > 0 && value.length <= 4096, name, secretName ? "(redacted)" : value,
      "value must be 1..4096 characters (SSM standard tier)")) continue;
    problems.check(Buffer.byteLength(value, "utf8") <= 4096, name, secretName ? "(redacted)" : `${Buffer.byteLength(value, "utf8")} bytes`,
      "value must be at most 4 KB (4096 bytes) in the SSM standard tier (AWS Systems Manager User Guide, Managing parameter tiers)");
    // A name that does not look secret makes a plain String parameter: its value must not carry a credential either.
    const credential = secretName ? undefined : credentialIn(value);
    problems.check(credential === undefined, name, "(redacted)",
      `value looks like ${credential}: it would be a plain String parameter, readable with ssm:GetParameter; keep it in Secrets Manager`);
  }
}

/**
 * Where the database is, as SSM parameters for applications that read their configuration from Parameter
 * Store (seed 002). No password is stored here: the user's secret ARN is, and an application that only
 * reads SSM can fetch the secret itself through /aws/reference/secretsmanager/<secret name>.
 */
export class DatabaseParameters extends Construct {
  readonly path: string;

  constructor(scope: Construct, id: string, props: DatabaseParametersProps) {
    super(scope, id);
    const problems = new Problems("additional");
    validateAdditionalParameters(props.additional ?? {}, problems);
    problems.throwIfAny(`DatabaseParameters ${id}`);
    this.path = props.path;

    const put = (name: string, value: string, description: string) => new SsmParameter(this, name.replaceAll("/", "-"), {
      name: `${props.path}/${name}`, type: "String", value, description,
    });
    put("host", props.host, "RDS Proxy endpoint (read/write)");
    if (props.readerHost) put("reader-host", props.readerHost, "RDS Proxy read-only endpoint");
    put("port", String(props.port), "Database port");
    put("name", props.databaseName, "Application database name");
    put("engine", props.engine, "Database engine");
    for (const [user, arn] of Object.entries(props.userSecretArns)) {
      put(`user-secret-arn/${user}`, arn, `Secrets Manager secret of database user ${user}`);
    }
    for (const [name, value] of Object.entries(props.additional ?? {})) {
      const secret = isSecretLikeName(name);
      new SsmParameter(this, `additional-${name.replaceAll("/", "-")}`, {
        name: `${props.path}/${name}`,
        type: secret ? "SecureString" : "String",
        value,
        ...(secret ? { keyId: props.kmsKeyArn } : {}),
      });
    }
  }
}
