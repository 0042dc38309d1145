import { describe, expect, it } from "vitest";
import { decidePassword, type PasswordFacts } from "../../../scripts/lib/database/bootstrap-passwords.ts";
import { mysqlPasswordPlugin } from "../../../scripts/lib/database/mysql-catalog.ts";
import { cachingSha2Hash, mysqlHashMatches, mysqlNativeHash, scramSha256Verifier, sha256Crypt } from "../../../scripts/lib/database/password-hashes.ts";
import { passwordProblem } from "../../../scripts/lib/database/user-secret.ts";

const hex = (text: string) => Buffer.from(text, "latin1").toString("hex");

describe("password hashes computed on the client", () => {
  it("match SHA-256 crypt's published test vectors (the digest caching_sha2_password stores)", () => {
    // https://www.akkadia.org/drepper/SHA-crypt.txt; the same as openssl passwd -5
    expect(sha256Crypt(Buffer.from("Hello world!"), Buffer.from("saltstring"), 5000)).toBe("5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5");
    expect(sha256Crypt(Buffer.from("Hello world!"), Buffer.from("saltstringsaltst"), 10000)).toBe("3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA");
    expect(sha256Crypt(Buffer.from("we have a short salt string but not a short password"), Buffer.from("short"), 77777)).toBe("JiO1O3ZpDAxGJeaDIuqCoEFysAe1mZNJRs3pw0KQRd/");
    expect(sha256Crypt(Buffer.from("a short string"), Buffer.from("asaltof16chars.."), 123456)).toBe("gP3VQ/6X7UUEW3HkBn2w1/Ptq2jxPyzV/cZKmF/wJvD");
  });

  it("store caching_sha2_password's format, which a password verifies against and another does not", () => {
    const stored = cachingSha2Hash("it's a pässword", "ABCDEFGHIJKLMNOPQRST");
    expect(stored).toMatch(/^\$A\$005\$ABCDEFGHIJKLMNOPQRST[./0-9A-Za-z]{43}$/);
    expect(stored.slice(27)).toBe(sha256Crypt(Buffer.from("it's a pässword"), Buffer.from("ABCDEFGHIJKLMNOPQRST"), 5000));
    expect(mysqlHashMatches("caching_sha2_password", hex(stored), "it's a pässword")).toBe(true);
    expect(mysqlHashMatches("caching_sha2_password", hex(stored), "another")).toBe(false);
  });

  it("store mysql_native_password's SHA1(SHA1()) form", () => {
    // MySQL's documented example: PASSWORD('mypass').
    expect(mysqlNativeHash("mypass")).toBe("*6C8989366EAF75BB670AD8EA7A7FC1176A95CEF4");
    expect(mysqlHashMatches("mysql_native_password", hex("*6c8989366eaf75bb670ad8ea7a7fc1176a95cef4"), "mypass")).toBe(true);
    expect(mysqlHashMatches("AWSAuthenticationPlugin", hex("RDS"), "mypass")).toBeUndefined();
  });

  it("give each PostgreSQL verifier a fresh salt", () => {
    const [a, b] = [scramSha256Verifier("same"), scramSha256Verifier("same")];
    expect(a).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    expect(a).not.toBe(b);
  });

  it("use the plugin the server stores passwords for", () => {
    expect(mysqlPasswordPlugin("10.11.18-MariaDB-0+deb12u1-log")).toBe("mysql_native_password");
    expect(mysqlPasswordPlugin("8.0.39")).toBe("mysql_native_password");
    expect(mysqlPasswordPlugin("8.4.3")).toBe("caching_sha2_password");
    expect(mysqlPasswordPlugin("9.1.0")).toBe("caching_sha2_password");
  });
});

describe("stored passwords every driver sends alike", () => {
  it.each(["Plain-password-123", "it's; DROP ROLE x; -- \\ \"ñ€\t\u0007", "ünïcödé"])("keeps %j", (password) => {
    expect(passwordProblem(password)).toBeUndefined();
  });

  it.each([
    ["a decomposed accent", "Cafe\u0301"],
    ["a no-break space", "pass\u00a0word"],
    ["a soft hyphen", "pass\u00adword"],
    ["a ligature", "\ufb01le"],
  ])("refuses one with %s, which SASLprep changes", (_case, password) => {
    expect(passwordProblem(password)).toMatch(/^SASLprep normalisation changes it/);
  });

  it("refuses a NUL, which ends a password on the wire", () => {
    expect(passwordProblem("pass\0word")).toBe("it contains a NUL character, which ends a password on the wire");
  });
});

describe("which password a user ends up with", () => {
  const version = (versionId: string, password?: string) => ({ versionId, value: { username: "app", ...(password ? { password } : {}) } });
  const facts = (overrides: Partial<PasswordFacts>): PasswordFacts => ({ login: "password", userExists: true, versions: {}, rotate: false, ...overrides });
  const generate = () => "generated";

  it.each([
    ["an IAM user has none", facts({ login: "iam", versions: { current: version("v1", "old") } }), { kind: "none" }],
    ["a user with a usable stored password keeps it", facts({ versions: { current: version("v1", "stored") } }), { kind: "keep", password: "stored" }],
    ["a missing user is created with its stored password", facts({ userExists: false, versions: { current: version("v1", "stored") } }), { kind: "set", password: "stored" }],
    ["a secret without a password gets a new one", facts({ versions: {} }), { kind: "replace", password: "generated" }],
    ["a rotation replaces it", facts({ rotate: true, versions: { current: version("v1", "stored") } }), { kind: "replace", password: "generated" }],
    ["a first version labelled both current and pending is not unfinished", facts({ versions: { current: version("v1", "stored"), pending: version("v1", "stored") } }), { kind: "keep", password: "stored" }],
  ] as const)("%s", (_case, given, decision) => {
    expect(decidePassword(given, generate)).toEqual(decision);
  });

  it("finishes a change a previous run left in AWSPENDING", () => {
    const pending = version("v2", "pending");
    expect(decidePassword(facts({ versions: { current: version("v1", "stored"), pending } }), generate))
      .toEqual({ kind: "replace", password: "pending", pending, notice: "finishing a password change a previous run left in AWSPENDING" });
  });

  it("replaces, saying why, a stored password drivers would send differently", () => {
    expect(decidePassword(facts({ versions: { current: version("v1", "Cafe\u0301") } }), generate)).toEqual({
      kind: "replace", password: "generated",
      notice: expect.stringMatching(/^replacing the stored password: SASLprep normalisation changes it/),
    });
  });
});
