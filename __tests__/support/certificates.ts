/** A throwaway CA and a server certificate (for localhost unless told), made with openssl for the TLS-only test servers. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCertificates {
  readonly dir: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly ca: string;
}

/** `names`: the certificate's subjectAltName entries, e.g. "DNS:localhost", "IP:127.0.0.1". */
export function makeCertificates(names: readonly string[] = ["DNS:localhost", "IP:127.0.0.1"]): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), "dbstack-tls-"));
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", at("ca.key"), "-out", at("ca.pem"), "-days", "2", "-subj", "/CN=dbstack test CA");
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", at("server.key"), "-out", at("server.csr"), "-subj", `/CN=${names[0]!.replace(/^\w+:/, "")}`);
  writeFileSync(at("san.ext"), `subjectAltName=${names.join(",")}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`);
  openssl("x509", "-req", "-in", at("server.csr"), "-CA", at("ca.pem"), "-CAkey", at("ca.key"), "-CAcreateserial", "-out", at("server.pem"), "-days", "2", "-extfile", at("san.ext"));
  return { dir, caFile: at("ca.pem"), certFile: at("server.pem"), keyFile: at("server.key"), ca: readFileSync(at("ca.pem"), "utf8") };
}
