/**
 * How a failed connection is named, shared by the HTTP probes and the vendor WebSocket so both
 * report the same cause for the same error (an untrusted certificate is `tls` on https and wss alike).
 */
import { connectionFailure, oneLine } from '../../lambda/health-check/errors';

const nodeError = (code: string) => Object.assign(new Error(`failed with ${code}`), { code });

test.each([
  ['ECONNREFUSED', 'refused'],
  ['ENOTFOUND', 'dns'],
  ['EAI_AGAIN', 'dns'],
  ['EAI_FAIL', 'dns'],
  ['ENODATA', 'dns'],
  ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'tls'],
  ['SELF_SIGNED_CERT_IN_CHAIN', 'tls'],
  ['CERT_HAS_EXPIRED', 'tls'],
  ['INVALID_CA', 'tls'],
  ['HOSTNAME_MISMATCH', 'tls'],
  ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls'],
  ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls'],
  ['EPROTO', 'tls'],
  ['ECONNRESET', 'network'],
  ['ETIMEDOUT', 'network'],
])('%s is %s', (code, failure) => {
  expect(connectionFailure(nodeError(code))).toBe(failure);
});

test('an error without a code is a network failure', () => {
  expect(connectionFailure(new Error('socket hang up'))).toBe('network');
  expect(connectionFailure('not even an error')).toBe('network');
});

test('a long, multi-line message becomes one short line that says it was cut', () => {
  const line = oneLine(`first\n\n${'x'.repeat(500)}`);
  expect(line).not.toMatch(/\n/);
  expect(line.length).toBeLessThan(200);
  expect(line.endsWith('…')).toBe(true);
  expect(oneLine('short  one')).toBe('short one');
});
