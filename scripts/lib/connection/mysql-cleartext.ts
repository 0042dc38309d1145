/**
 * RDS IAM tokens reach MySQL through the mysql_clear_password plugin: the token is sent as a cleartext
 * password, which is why these connections are always TLS.
 */
export function cleartextPasswordPlugin(password: string) {
  return { mysql_clear_password: () => () => Buffer.from(`${password}\0`) };
}
