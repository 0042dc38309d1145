/** The setup event contract, refused at the event step before any call: what the stack never builds but a hand invocation can. */
import { describe, expect, it } from "vitest";
import { requestProblems, type BootstrapRequest, type BootstrapUser } from "../../../scripts/lib/database/bootstrap.ts";
import { parseSetupEvent, type SetupInput } from "../../../scripts/lib/setup/event.ts";

const MASTER_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-master-AbCdEf";
const arn = (user: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/test/database/${user}-AbCdEf`;
const input: SetupInput = {
  dialect: "postgresql", host: "shop-test.cluster-abc123.eu-west-1.rds.amazonaws.com", port: 5432, database: "shop", engine: "aurora-postgresql",
  proxyHost: "shop-test.proxy-abc123.eu-west-1.rds.amazonaws.com", masterSecretArn: MASTER_ARN, proxyMasterAuth: "iam", waitSeconds: 120,
  users: [
    { name: "migrator", privileges: "owner", login: "password", secretArn: arn("migrator") },
    { name: "app", privileges: "readwrite", login: "password", secretArn: arn("app") },
  ],
};
const problems = (event: unknown): string => {
  try {
    parseSetupEvent(event);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("the event was accepted");
};

describe("the setup event", () => {
  it("accepts what the stack sends, with Terraform's lifecycle key and npm run rotate's rotate", () => {
    expect(parseSetupEvent({ ...input, tf: { action: "update", prev_input: input } })).toMatchObject({ kind: "apply" });
    expect(parseSetupEvent({ ...input, rotate: { users: ["app"] } })).toMatchObject({ kind: "apply", rotateUsers: ["app"] });
  });

  it("takes the removed users from Terraform's previous input on update, and only then", () => {
    const previous = { ...input, users: [...input.users, { name: "reporting", privileges: "readonly", login: "password", secretArn: arn("reporting") }] };
    expect(parseSetupEvent({ ...input, tf: { action: "update", prev_input: previous } })).toMatchObject({ kind: "apply", removedUsers: ["reporting"] });
    expect(parseSetupEvent({ ...input, tf: { action: "create", prev_input: previous } })).not.toHaveProperty("removedUsers");
    expect(parseSetupEvent({ ...input, tf: { action: "update", prev_input: input } })).not.toHaveProperty("removedUsers");
    // An older stack's input may carry fields this contract no longer defines: only the names are read.
    expect(parseSetupEvent({ ...input, tf: { action: "update", prev_input: { ...previous, legacy: true } } })).toMatchObject({ removedUsers: ["reporting"] });
    expect(problems({ ...input, tf: { action: "update", prev_input: { users: "x" } } })).toBe(
      "invalid setup event: tf.prev_input.users: must be the previous input's list of users, each with a name");
  });

  it("fails when the engine is one the stack does not build", () => {
    expect(problems({ ...input, engine: "oracle-ee" })).toBe(
      "invalid setup event: engine: must be an engine the stack builds: aurora-postgresql, postgres, aurora-mysql, mysql");
  });

  it("fails when the engine contradicts the dialect", () => {
    expect(problems({ ...input, engine: "aurora-mysql" })).toBe("invalid setup event: engine: aurora-mysql is not a postgresql engine");
  });

  it("fails when a field is not one the contract defines, anywhere: the input, a user, rotate, tf", () => {
    const users = [{ ...input.users[0], superuser: true }, input.users[1]];
    expect(problems({ ...input, users, waitSecond: 10, rotate: { users: ["app"], all: true }, tf: { action: "update", prev_input: null, extra: 1 } })).toBe(
      'invalid setup event: "waitSecond": is not a field of the setup event (allowed: dialect, host, port, database, engine, proxyHost, masterSecretArn, proxyMasterAuth, users, waitSeconds, rotate, tf); ' +
      'tf."extra": is not a field of the setup event (allowed: action, prev_input); ' +
      'users[0]."superuser": is not a field of the setup event (allowed: name, privileges, login, secretArn, secretHost); ' +
      'rotate."all": is not a field of the setup event (allowed: users)');
  });

  it("fails when two users share one secret", () => {
    const users = [...input.users, { name: "reporting", privileges: "readonly", login: "password", secretArn: arn("app") }];
    expect(problems({ ...input, users })).toBe("invalid setup event: users[2].secretArn: is the secret of users[1] too: each user needs its own secret");
  });

  it("fails when a user's secret is the master secret", () => {
    const users = [input.users[0], { ...input.users[1], secretArn: MASTER_ARN }];
    expect(problems({ ...input, users })).toBe("invalid setup event: users[1].secretArn: is the master secret: a user needs its own secret");
  });
});

describe("the bootstrap request (the CLI's path to the same core)", () => {
  const request = (users: BootstrapUser[]): BootstrapRequest => ({
    dialect: "postgresql", host: "localhost", port: 5432, database: "shop", engine: "aurora-postgresql", secretHost: "proxy", users,
    master: { secretArn: MASTER_ARN }, tls: { rejectUnauthorized: true }, dryRun: false, waitTimeoutMs: 0,
  });

  it("fails when two users share one secret, or a user's secret is the master secret", () => {
    const users: BootstrapUser[] = [
      { name: "migrator", privileges: "owner", login: "password", secretArn: arn("migrator") },
      { name: "app", privileges: "readwrite", login: "password", secretArn: arn("migrator") },
      { name: "reporting", privileges: "readonly", login: "password", secretArn: MASTER_ARN },
    ];
    expect(requestProblems(request(users)).map((p) => `${p.path}: ${p.allowed}`)).toEqual([
      "users.app.secretArn: is the secret of migrator too: each user needs its own secret",
      "users.reporting.secretArn: is the master secret: a user needs its own secret",
    ]);
  });
});
