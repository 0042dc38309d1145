/** The pure parts of the rotation core: the MySQL-family statements per server, the event and the function's environment. */
import { describe, expect, it } from "vitest";
import { mysqlNativeHash } from "../../../scripts/lib/database/password-hashes.ts";
import {
  mariadbHasAlternativeMethods, mysqlDiscardOldStatement, mysqlHasDualPasswords, mysqlSetPasswordStatement, parseRotationEvent, rotationTargetFromEnvironment, type MysqlAccount,
} from "../../../scripts/lib/setup/rotation.ts";

const hex = (text: string) => Buffer.from(text, "latin1").toString("hex");
const account = (version: string, password = "OldPassword1", plugin = "mysql_native_password"): MysqlAccount => ({
  version, plugin, authenticationStringHex: hex(mysqlNativeHash(password)), createUser: "CREATE USER `app`@`%` IDENTIFIED WITH 'mysql_native_password' AS '*…' REQUIRE SSL",
});

describe("MySQL-family password statements", () => {
  it("MySQL 8.0.14+ keeps the current password as the secondary one, and discards it after", () => {
    expect(mysqlHasDualPasswords("8.0.13")).toBe(false);
    expect(mysqlHasDualPasswords("8.0.14")).toBe(true);
    expect(mysqlHasDualPasswords("8.0.36")).toBe(true);
    expect(mysqlHasDualPasswords("10.11.6-MariaDB")).toBe(false);
    const set = mysqlSetPasswordStatement(account("8.0.36"), "app", "NewPassword2", "OldPassword1")!;
    expect(set).toMatchObject({ sql: "ALTER USER 'app'@'%' IDENTIFIED WITH mysql_native_password BY 'NewPassword2' RETAIN CURRENT PASSWORD", keepsOld: true });
    expect(set.display).toBe("ALTER USER 'app'@'%' IDENTIFIED WITH mysql_native_password BY '********' RETAIN CURRENT PASSWORD");
    expect(mysqlDiscardOldStatement(account("8.0.36"), "app", "NewPassword2")!.sql).toBe("ALTER USER 'app'@'%' DISCARD OLD PASSWORD");
  });

  it("a retried setSecret changes nothing once the primary password is the pending one (it would retain the new one twice)", () => {
    expect(mysqlSetPasswordStatement(account("8.0.36", "NewPassword2"), "app", "NewPassword2", "OldPassword1")).toBeUndefined();
    expect(mysqlSetPasswordStatement(account("10.11.6-MariaDB", "NewPassword2"), "app", "NewPassword2", "OldPassword1")).toBeUndefined();
  });

  it("MariaDB 10.4+ gets two methods, each a hash; older servers a plain change that drops the old password", () => {
    expect(mariadbHasAlternativeMethods("10.3.39-MariaDB")).toBe(false);
    const set = mysqlSetPasswordStatement(account("10.11.6-MariaDB"), "app", "NewPassword2", "OldPassword1")!;
    expect(set.sql).toBe(`ALTER USER 'app'@'%' IDENTIFIED VIA mysql_native_password USING '${mysqlNativeHash("NewPassword2")}' OR mysql_native_password USING '${mysqlNativeHash("OldPassword1")}'`);
    expect(set.sql).not.toContain("NewPassword2'");
    expect(set.keepsOld).toBe(true);
    expect(mysqlSetPasswordStatement(account("10.3.39-MariaDB"), "app", "NewPassword2", "OldPassword1")).toMatchObject({ keepsOld: false, display: "ALTER USER 'app'@'%' IDENTIFIED WITH mysql_native_password AS '********'" });
    expect(mysqlDiscardOldStatement(account("10.11.6-MariaDB"), "app", "NewPassword2")).toBeUndefined();
    expect(mysqlDiscardOldStatement({ ...account("10.11.6-MariaDB"), createUser: "CREATE USER `app`@`%` IDENTIFIED VIA mysql_native_password USING '*A' OR mysql_native_password USING '*B'" }, "app", "NewPassword2")!.sql)
      .toBe(`ALTER USER 'app'@'%' IDENTIFIED WITH mysql_native_password AS '${mysqlNativeHash("NewPassword2")}'`);
  });

  it("fails when the account does not log in with a password", () => {
    expect(() => mysqlSetPasswordStatement(account("8.0.36", "x", "AWSAuthenticationPlugin"), "app", "NewPassword2", "OldPassword1"))
      .toThrow("rotation failed at setSecret: app authenticates with AWSAuthenticationPlugin, not a password: nothing to rotate");
  });
});

describe("the rotation event and the function's environment", () => {
  it("fails when the event is not Secrets Manager's, naming each field and echoing no value", () => {
    expect(() => parseRotationEvent({ SecretId: "", ClientRequestToken: "short", Step: "dropSecret" })).toThrow(
      "rotation failed at event: not a Secrets Manager rotation event: SecretId: must be the secret's ARN or name; ClientRequestToken: must be a version id (32..64 letters, digits, hyphens); Step: must be one of createSecret, setSecret, testSecret, finishSecret");
    expect(parseRotationEvent({ SecretId: "arn", ClientRequestToken: "0b6a1b2c-3d4e-4f50-8a9b-0c1d2e3f4a5b", Step: "setSecret" }).Step).toBe("setSecret");
  });

  it("reads the target from the environment, and fails naming every missing or malformed variable", () => {
    const env = {
      DB_DIALECT: "mysql", DB_WRITER_HOST: "w", DB_PORT: "3306", DB_NAME: "shop", DB_MASTER_ARN: "arn:m", DB_USER_PREFIX: "shop/prod/database",
      DB_PROXY_HOST: "p", DB_PROXY_IAM_USERS: "app,reporting", AWS_REGION: "eu-west-1",
    };
    expect(rotationTargetFromEnvironment(env)).toMatchObject({ dialect: "mysql", port: 3306, proxyIamUsers: ["app", "reporting"] });
    expect(rotationTargetFromEnvironment({ ...env, DB_PROXY_IAM_USERS: "" }).proxyIamUsers).toEqual([]);
    expect(() => rotationTargetFromEnvironment({ ...env, DB_DIALECT: "oracle", DB_PORT: "0", DB_NAME: undefined })).toThrow(
      'rotation failed at event: the rotation function is misconfigured: DB_DIALECT must be "postgresql" or "mysql"; DB_PORT must be a port, 1..65535; DB_NAME is not set');
  });
});
