/** What one check of a health-check run found: a verdict, a reason in words, and what it measured. */
import { rootCertificates } from 'tls';

/** Why a check failed, one code per cause, so the log and the tests can tell causes apart (docs/health-check.md lists them). */
export const FAILURES = [
  // Reaching the other side.
  'timeout',
  'refused',
  'dns',
  'tls',
  'network',
  // BOOP's or the slot's HTTP answer.
  'http-status',
  'invalid-json',
  'not-ok',
  // The vendor WebSocket.
  'upgrade-rejected',
  'key-rejected',
  'keys-unreadable',
  'auth-failed',
  'unknown-frame',
  'no-pong',
  'abnormal-close',
  // The key rotation.
  'rotation-unready',
  // A defect of the check itself, reported as data like any other failure.
  'internal',
] as const;
export type Failure = (typeof FAILURES)[number];

export interface CheckResult {
  /** True when the check passed. */
  readonly healthy: boolean;
  /** Why it failed; absent when healthy. */
  readonly failure?: Failure;
  /** One line for the log: what passed, or what failed and how. Never a key. */
  readonly reason: string;
  /** How long the check took, ms. */
  readonly ms: number;
}

/** Options every check takes: when to give up, and (tests only) extra certificate authorities to trust. */
export interface CheckOptions {
  /** Aborts the check: it then ends at once with a 'timeout' failure and leaves no socket open. */
  readonly signal: AbortSignal;
  /** PEM certificate authorities trusted besides Node's own; tests pass their local CA. @default Node's trusted CAs */
  readonly ca?: string;
}

/** Node's trusted roots plus `extra`: Node's `ca` option replaces its roots, so a test CA is trusted besides them, not instead. */
export function trustedCertificateAuthorities(extra: string): string[] {
  return [...rootCertificates, extra];
}

/** A check a run left out on purpose: it writes no data point, and the log line says why. */
export interface NotChecked {
  readonly notChecked: true;
  /** Why it was left out. */
  readonly reason: string;
}

/** True when the check ran (and so has a verdict and a data point). */
export function wasChecked(result: CheckResult | NotChecked): result is CheckResult {
  return !('notChecked' in result);
}
