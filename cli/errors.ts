/**
 * The operator commands' failures as one line each: what went wrong and what to do, for the SDK's
 * configuration, credential, network and AWS-side failures alike, never a stack trace and never a
 * credential. Shared by every command in cli/.
 */
import { isThrottlingError } from '@smithy/core/retry';
import { redactText } from '../common/logging';

/** A problem the operator can fix; printed as one line without a stack trace. */
export class CliError extends Error {}

/** The names AWS services give a refused permission. */
export const ACCESS_DENIED_NAMES: readonly string[] = [
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthorizationError',
  'UnauthorizedException',
];

interface SdkLikeError {
  readonly name?: string;
  readonly message?: string;
  readonly code?: string;
  readonly hostname?: string;
  readonly address?: string;
  readonly port?: number;
  readonly errors?: readonly SdkLikeError[];
  readonly $metadata?: { readonly httpStatusCode?: number; readonly attempts?: number };
}

const NETWORK_HINT = 'check your network, VPN or proxy (and AWS_ENDPOINT_URL, if you set one), then run the command again';

/**
 * Turns any failure into a CliError that says what went wrong and what to do: the SDK's
 * configuration and credential failures, network failures and timeouts, and anything else as an
 * unexpected error with its name and message.
 */
export function explain(error: unknown): CliError {
  if (error instanceof CliError) return error;
  const e: SdkLikeError = typeof error === 'object' && error !== null ? (error as SdkLikeError) : { message: String(error) };
  const name = e.name ?? 'Error';
  const message = e.message ?? '';
  const code = e.code ?? e.errors?.find((inner) => inner.code)?.code;
  const attempts = e.$metadata?.attempts ?? 1;
  const tries = attempts > 1 ? `, ${attempts} tries` : '';
  const seconds = (ms: string | undefined) => (ms ? ` within ${Number(ms) / 1000} s` : '');

  // Configuration
  const expiredLogin = /expired/i.test(message) && /^(Credentials|Token)ProviderError$/.test(name);
  if (expiredLogin || ['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired'].includes(name)) {
    return new CliError(`your AWS session has expired (${name}); log in again (e.g. aws sso login, or new session credentials), then run the command again`);
  }
  if (name === 'CredentialsProviderError' || /Could not load credentials/.test(message)) {
    return new CliError('no AWS credentials found; set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) for the account the stack is in');
  }
  if (/Region is missing/i.test(message)) return new CliError('no AWS region set; set AWS_REGION or a profile with a region');
  const badRegion = /Region not accepted: region="([^"]*)"/.exec(message);
  if (badRegion) return new CliError(`"${badRegion[1]}" is not a valid AWS region name; set AWS_REGION (or your profile's region) to one like eu-west-1`);

  // Network
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new CliError(
      `cannot resolve ${e.hostname ?? 'the AWS endpoint'} (${code}${tries}); check that AWS_REGION (or your profile's region) names a real AWS region, and that your network and DNS work`,
    );
  }
  if (code === 'ECONNREFUSED') {
    const where = e.address ?? e.errors?.find((inner) => inner.address)?.address;
    const port = e.port ?? e.errors?.find((inner) => inner.port)?.port;
    return new CliError(`nothing accepts connections at ${where ? `${where}:${port}` : 'the AWS endpoint'} (ECONNREFUSED${tries}); ${NETWORK_HINT}`);
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') return new CliError(`the connection to AWS was cut (${code}${tries}); ${NETWORK_HINT}`);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return new CliError(`no network route to AWS (${code}${tries}); ${NETWORK_HINT}`);
  const connectTimeout = /did not establish a connection with the server within the configured timeout of (\d+) ms/.exec(message);
  if (connectTimeout || (code === 'ETIMEDOUT' && /^connect /.test(message))) {
    return new CliError(`could not connect to AWS${seconds(connectTimeout?.[1])} (timeout${tries}); ${NETWORK_HINT}`);
  }
  if (name === 'TimeoutError' || code === 'ETIMEDOUT' || name === 'RequestTimeout' || name === 'RequestTimeoutException') {
    const limit = /(\d+) ms/.exec(message)?.[1];
    return new CliError(`AWS did not answer${seconds(limit)} (timeout${tries}); ${NETWORK_HINT}`);
  }
  if (name === 'AbortError') return new CliError(`the request to AWS was aborted (${message || 'AbortError'}); run the command again`);

  // Credentials and permissions
  if (name === 'InvalidClientTokenId' || name === 'UnrecognizedClientException') {
    return new CliError(
      `AWS does not recognise your access key (${name}); check AWS_PROFILE or AWS_ACCESS_KEY_ID (a deleted key, or a key of another partition), or log in again`,
    );
  }
  if ((name === 'InvalidSignatureException' || name === 'SignatureDoesNotMatch') && /expired/i.test(message)) {
    return new CliError(`AWS says the request signature expired (${name}); set your computer's clock right, then run the command again`);
  }
  if (name === 'SignatureDoesNotMatch' || name === 'InvalidSignatureException' || name === 'IncompleteSignature') {
    return new CliError(
      `AWS rejected the request signature (${name}); the secret access key does not belong to the access key id: check AWS_SECRET_ACCESS_KEY or your profile, or log in again`,
    );
  }
  if (ACCESS_DENIED_NAMES.includes(name)) {
    return new CliError(`AWS refused (${name}): ${message}; use credentials of a role that may do this`);
  }

  // AWS-side failures
  if (isThrottlingError(e as Parameters<typeof isThrottlingError>[0]))
    return new CliError(`AWS throttled the calls (${name}${tries}); wait a minute, then run the command again`);
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return new CliError(`AWS failed (${name}, HTTP ${status}${tries}); run the command again in a minute`);

  const shown = message.length > 300 ? `${message.slice(0, 300)}…` : message;
  return new CliError(
    `unexpected error ${name}${shown && shown !== name ? `: ${shown}` : ''}${status ? ` (HTTP ${status})` : ''}; run the command again, and if it repeats, report this line with the command you ran`,
  );
}

/** Access key ids, the values of the credential variables, and BOOP key values never reach the terminal. */
function redact(text: string): string {
  let redacted = redactText(text).replace(/\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}\b/g, '<access key id>');
  for (const variable of ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ACCESS_KEY_ID']) {
    const value = process.env[variable];
    if (value && value.length >= 8) redacted = redacted.split(value).join(`<${variable}>`);
  }
  return redacted;
}

/** The longest failure line printed, so an AWS message the size of a page stays one readable line. */
const MAX_FAILURE_CHARS = 1000;

/** The one line a failed operator command prints on stderr: `<program>: <what went wrong and what to do>`. */
export function failureLineOf(program: string, error: unknown): string {
  const text = explain(error).message.replace(/\s*\n\s*/g, '; ');
  const line = redact(text);
  return `${program}: ${line.length > MAX_FAILURE_CHARS ? `${line.slice(0, MAX_FAILURE_CHARS)}…` : line}`;
}
