/**
 * Errors as the checks report them: a message read by shape, one short line, and the cause of a
 * connection that could not be made, named the same for the HTTP probes and the WebSocket.
 */
import type { Failure } from './check-result';

/** How much of an error a reason quotes, so the run's log line stays short. */
const ERROR_MESSAGE_LIMIT = 160;

/** Error codes of a name that does not resolve (getaddrinfo's, as Node reports them). */
const DNS_ERROR_CODES: ReadonlySet<string> = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'ENODATA']);

/** Node's certificate verification codes (Node.js docs, tls, "X509 certificate error codes"). */
const CERTIFICATE_ERROR_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CRL_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID',
  'CRL_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
]);

/** Why a connection could not be made. */
export type ConnectionFailure = Extract<Failure, 'refused' | 'dns' | 'tls' | 'network'>;

/** An error's message; read by shape, as an error from another realm (a test's sandbox, an SDK mock) is no `instanceof Error`. */
export function messageOf(error: unknown): string {
  const message = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? message : String(error);
}

/** Text as one line, cut to ERROR_MESSAGE_LIMIT characters. */
export function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > ERROR_MESSAGE_LIMIT ? `${line.slice(0, ERROR_MESSAGE_LIMIT)}…` : line;
}

/** A Node error's code, when it has one. */
export function errorCode(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code !== '' ? code : undefined;
}

/** The cause of a failed connection, from Node's error code. */
export function connectionFailure(error: unknown): ConnectionFailure {
  const code = errorCode(error);
  if (code === 'ECONNREFUSED') return 'refused';
  if (code !== undefined && DNS_ERROR_CODES.has(code)) return 'dns';
  if (code !== undefined && (CERTIFICATE_ERROR_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code === 'EPROTO'))
    return 'tls';
  return 'network';
}
