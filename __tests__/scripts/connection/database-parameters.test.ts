import { describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { GetParametersByPathCommand, SSMClient } from "@aws-sdk/client-ssm";
import { loadDatabaseParameters, parseDatabaseParameters } from "../../../scripts/lib/connection/database-parameters.ts";

const root = "/shop/prod/database";
const p = (name: string, value: string) => ({ Name: `${root}/${name}`, Value: value });

describe("parseDatabaseParameters", () => {
  it("shapes the tree dbstack writes", () => {
    expect(parseDatabaseParameters(`${root}/`, [
      p("host", "proxy.example"), p("reader-host", "proxy-ro.example"), p("port", "5432"), p("name", "shop"), p("engine", "aurora-postgresql"),
      p("user-secret-arn/app", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/prod/database/app-AbCdEf"), p("feature/flags", "a,b"),
      { Name: "/other/tree/host", Value: "ignored" },
    ])).toEqual({
      host: "proxy.example", readerHost: "proxy-ro.example", port: 5432, name: "shop", engine: "aurora-postgresql",
      userSecretArns: { app: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/prod/database/app-AbCdEf" },
      additional: { "feature/flags": "a,b" },
    });
  });

  it("names what is missing", () => {
    expect(() => parseDatabaseParameters(root, [p("host", "h")])).toThrow("/shop/prod/database: missing parameters port, name, engine");
  });

  it("refuses a port that is not one", () => {
    expect(() => parseDatabaseParameters(root, [p("host", "h"), p("port", "54x"), p("name", "n"), p("engine", "e")])).toThrow('/shop/prod/database/port: "54x" is not a port number');
  });
});

describe("loadDatabaseParameters", () => {
  it("reads every page, recursively and decrypted", async () => {
    const ssm = mockClient(SSMClient);
    ssm.on(GetParametersByPathCommand, { NextToken: undefined }).resolves({ Parameters: [p("host", "h"), p("port", "3306")], NextToken: "page-2" });
    ssm.on(GetParametersByPathCommand, { NextToken: "page-2" }).resolves({ Parameters: [p("name", "shop"), p("engine", "mysql")] });
    const parameters = await loadDatabaseParameters(new SSMClient({ region: "eu-west-1" }), root);
    expect(parameters).toMatchObject({ host: "h", port: 3306, name: "shop", engine: "mysql" });
    const calls = ssm.commandCalls(GetParametersByPathCommand);
    expect(calls).toHaveLength(2);
    for (const call of calls) expect(call.args[0].input).toMatchObject({ Path: root, Recursive: true, WithDecryption: true });
    ssm.restore();
  });
});
