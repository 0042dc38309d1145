/** The zip the stack deploys for the setup function: CommonJS, self-contained, a `handler` export that runs. */
import { beforeAll, describe, expect, it } from "vitest";
import { runBundle, unpackedSetupBundle } from "../../support/setup-bundle.ts";

describe("the setup function's bundle", () => {
  let file: string;
  beforeAll(() => {
    file = unpackedSetupBundle();
  }, 60_000);

  it("loads with require in a fresh Node process and exports handler", async () => {
    const run = await runBundle(file, { tf: { action: "delete" } }, {});
    expect(run.stderr).not.toMatch(/Error|Cannot find module/);
    expect(run.exports).toContain("handler");
  }, 60_000);

  it("answers a delete without credentials, a region or any connection", async () => {
    const run = await runBundle(file, { tf: { action: "delete", prev_input: { dialect: "postgresql" } } }, {});
    expect(run.result).toEqual({ action: "delete", changes: 0, note: "the database and its users go with the environment; nothing to undo" });
    expect(run.stdout).toContain("event: delete; nothing to undo, connecting nowhere");
  }, 30_000);

  it("refuses a malformed event at the event step, naming the fields, and logs the same line", async () => {
    const run = await runBundle(file, { tf: { action: "create" }, dialect: "postgresql", port: 99999 }, {});
    expect(run.error?.name).toBe("SetupError");
    expect(run.error?.message).toMatch(/^setup failed at event: invalid setup event: host: must be a host name; .*port: must be a whole number from 1 to 65535/);
    expect(run.stdout).toContain(run.error!.message);
  }, 30_000);
});
