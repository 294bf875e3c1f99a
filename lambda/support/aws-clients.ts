/** How the functions' AWS clients are bounded, so every call ends and the function always answers. */
/**
 * Every AWS call of a function: a connection within connectionTimeoutMs, an answer within
 * requestTimeoutMs, tried maxAttempts times in all with the SDK's adaptive retry (throttling included).
 */
export const AWS_CALL_LIMITS = { connectionTimeoutMs: 2_000, requestTimeoutMs: 5_000, maxAttempts: 3 } as const;

/** The SDK client configuration of every function's AWS clients: bounded connect and answer times, and the SDK's own adaptive retry. */
export function boundedClientConfig(
  limits: { readonly connectionTimeoutMs: number; readonly requestTimeoutMs: number; readonly maxAttempts: number } = AWS_CALL_LIMITS,
) {
  return {
    maxAttempts: limits.maxAttempts,
    retryMode: 'adaptive',
    // Without throwOnRequestTimeout a late answer only logs a warning, and the call waits on.
    requestHandler: { connectionTimeout: limits.connectionTimeoutMs, requestTimeout: limits.requestTimeoutMs, throwOnRequestTimeout: true },
  };
}
