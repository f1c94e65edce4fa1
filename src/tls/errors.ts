// Stable error codes of TLS termination and certificate management. Each message is one line that
// names the file (or the CA, or the name) at fault, so the CLI and the supervisor print it as it is.

export type TlsErrorCode =
  | "FILE_MISSING"
  | "FILE_UNREADABLE"
  | "NO_CERTIFICATE"
  | "NO_KEY"
  | "BAD_CERTIFICATE"
  | "BAD_KEY"
  | "KEY_MISMATCH"
  | "ACME_PROBLEM"
  | "ACME_NETWORK"
  | "ACME_PROTOCOL"
  | "ACME_LOCKED"
  | "STORAGE";

export class TlsError extends Error {
  readonly code: TlsErrorCode;

  constructor(code: TlsErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
