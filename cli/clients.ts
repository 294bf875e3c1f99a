/**
 * The bounded timeouts every operator command's AWS clients use, so that no command waits forever
 * on an endpoint that never answers. Shared by every command in cli/.
 */
import type { LambdaClientConfig } from '@aws-sdk/client-lambda';

/** Every connection must open within this long (ms). */
export const CONNECT_TIMEOUT_MS = 3000;
/**
 * Every read (and every small write) must answer within READ_TIMEOUT_MS (AWS answers them in well
 * under a second) and is tried READ_ATTEMPTS times in all (the SDK's standard retry strategy), so
 * an endpoint that never answers ends the command after about READ_ATTEMPTS × READ_TIMEOUT_MS.
 */
export const READ_TIMEOUT_MS = 5000;
export const READ_ATTEMPTS = 3;

/** What tests replace: where requests go and with which identity. Production passes nothing. */
export type CliClientOverrides = Pick<LambdaClientConfig, 'region' | 'credentials' | 'requestHandler'>;

/** The HTTP handler settings of a client whose calls must answer within `requestTimeout` ms. */
export function boundedRequestHandler(requestTimeout: number) {
  return {
    connectionTimeout: CONNECT_TIMEOUT_MS,
    requestTimeout,
    // Without it, the installed @smithy/node-http-handler only logs a warning when requestTimeout passes.
    throwOnRequestTimeout: true,
    socketTimeout: requestTimeout,
  };
}

/** The configuration of a client that reads (or makes small writes): bounded timeouts and READ_ATTEMPTS tries. */
export function readClientConfig(overrides: CliClientOverrides = {}) {
  return { requestHandler: boundedRequestHandler(READ_TIMEOUT_MS), maxAttempts: READ_ATTEMPTS, ...overrides };
}
