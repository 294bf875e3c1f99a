/**
 * The key manager as a service relies on it: which key it calls BOOP with around the rotation
 * date, the one fallback when BOOP rejects a key (never a loop), how long it keeps the keys, where
 * it reads them, and that no key ever reaches an error message or the output.
 */
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { INVALID_KEY_CODES, KEY_REJECTED_STATUS, KEY_SLOTS, KEY_VARIABLES, KeySlot, rotationStartsAt } from '../../common/keys/api-keys';
import { KeyManager, KeySet, KeySource, keysFromEnvironment, keysFromSsm, KeysRejectedError } from '../../common/keys/key-manager';
import { environmentNames } from '../../common/names';
import { BOOP_CLIENT_DEFAULTS } from '../../lib/guides';

/** Fake keys built at run time, so no file holds anything that looks like a key. */
const PRIMARY = `sk_dev_${'p'.repeat(24)}`;
const SECONDARY = `sk_dev_${'s'.repeat(24)}`;
const ROTATION_DATE = '2026-03-01';
const ROTATION_STARTS = rotationStartsAt(ROTATION_DATE)!.getTime();
const BEFORE = new Date(ROTATION_STARTS - 1);
const AT = new Date(ROTATION_STARTS);
const AFTER = new Date(ROTATION_STARTS + 24 * 3600 * 1000);
/** The guide's BOOP_CACHE_TTL, the environments' default cache time. */
const TTL_SECONDS = BOOP_CLIENT_DEFAULTS.cacheTtlSeconds;

/** A source that hands out `keys` and counts its loads. */
function countingSource(keys: KeySet): KeySource & { loads: number } {
  const source = Object.assign(
    async () => {
      source.loads += 1;
      return keys;
    },
    { loads: 0 },
  );
  return source;
}

function manager(keys: KeySet, now: Date, cacheTtlSeconds = TTL_SECONDS): KeyManager {
  return new KeyManager({ source: countingSource(keys), cacheTtlSeconds, now: () => now });
}

const BOTH = { primary: PRIMARY, secondary: SECONDARY, rotationDate: ROTATION_DATE };

describe('the current key around the rotation date', () => {
  test.each([
    ['a millisecond before the rotation date', BEFORE, 'primary', PRIMARY],
    ['at 00:00 UTC of the rotation date', AT, 'secondary', SECONDARY],
    ['a day after the rotation date', AFTER, 'secondary', SECONDARY],
  ])('%s the current key is the %s', async (_when, now, slot, key) => {
    await expect(manager(BOTH, now).current()).resolves.toEqual({ slot, key });
  });

  test.each([['2026-02-31'], ['March 1st'], ['2026-3-1']])('a rotation date that is not a calendar date (%s) keeps the primary', async (rotationDate) => {
    await expect(manager({ ...BOTH, rotationDate }, AFTER).current()).resolves.toEqual({ slot: 'primary', key: PRIMARY });
  });

  test('no rotation date keeps the primary', async () => {
    await expect(manager({ primary: PRIMARY, secondary: SECONDARY }, AFTER).current()).resolves.toEqual({ slot: 'primary', key: PRIMARY });
  });

  test('after the rotation date without a secondary key the primary is used, and a rejection has nothing to fall back to', async () => {
    const keys = manager({ primary: PRIMARY, rotationDate: ROTATION_DATE }, AFTER);
    await expect(keys.current()).resolves.toEqual({ slot: 'primary', key: PRIMARY });
    const tried: KeySlot[] = [];
    const rejected = keys.withKey(async (_key, slot) => {
      tried.push(slot);
      throw { status: KEY_REJECTED_STATUS };
    });
    await expect(rejected).rejects.toThrow(/BOOP rejected the primary key \(HTTP 401\); the secondary key is absent/);
    expect(tried).toEqual(['primary']);
  });

  test('before the rotation date without a primary key the secondary is used', async () => {
    await expect(manager({ secondary: SECONDARY, rotationDate: ROTATION_DATE }, BEFORE).current()).resolves.toEqual({ slot: 'secondary', key: SECONDARY });
  });

  test('no key at all is an error naming the variables to set, and blank counts as absent', async () => {
    const env = { [KEY_VARIABLES.primary]: '', [KEY_VARIABLES.secondary]: '   ', [KEY_VARIABLES.rotationDate]: ROTATION_DATE };
    const keys = new KeyManager({ source: keysFromEnvironment(env), cacheTtlSeconds: TTL_SECONDS, now: () => AFTER });
    await expect(keys.current()).rejects.toThrow(
      `no BOOP API key: the variable ${KEY_VARIABLES.primary} and the variable ${KEY_VARIABLES.secondary} are both absent or blank`,
    );
  });

  test('keysFromEnvironment reads the guide variables', async () => {
    const env = { [KEY_VARIABLES.primary]: PRIMARY, [KEY_VARIABLES.secondary]: SECONDARY, [KEY_VARIABLES.rotationDate]: ROTATION_DATE };
    await expect(keysFromEnvironment(env)()).resolves.toEqual(BOTH);
  });

  test('a cache TTL that is not a number of seconds is refused, naming the setting', () => {
    expect(() => new KeyManager({ source: countingSource(BOTH), cacheTtlSeconds: -1 })).toThrow(/BOOP_CACHE_TTL/);
    expect(() => new KeyManager({ source: countingSource(BOTH), cacheTtlSeconds: Number('five') })).toThrow(/BOOP_CACHE_TTL/);
  });
});

/** An attempt that answers for each slot as told and records the slots and keys it was called with. */
function scriptedAttempt(answers: Partial<Record<KeySlot, unknown>>) {
  const calls: { slot: KeySlot; key: string }[] = [];
  const attempt = async (key: string, slot: KeySlot) => {
    calls.push({ slot, key });
    const answer = answers[slot];
    if (answer !== undefined) throw answer;
    return `answer with ${slot}`;
  };
  return { attempt, calls };
}

const REJECTIONS: [string, unknown][] = [
  ['HTTP 401 as status', { status: 401 }],
  ['HTTP 401 as statusCode', { statusCode: 401 }],
  ...INVALID_KEY_CODES.map((code): [string, unknown] => [`WebSocket code ${code}`, { type: 'error', code }]),
  ...INVALID_KEY_CODES.map((code): [string, unknown] => [`REST error.code ${code}`, { success: false, error: { code } }]),
  ["an HTTP client error whose own code is not BOOP's", { code: 'ERR_BAD_REQUEST', error: { code: 'UNAUTHORIZED' } }],
];

describe('the fallback when BOOP rejects a key', () => {
  test.each(REJECTIONS)('%s with the current key: the other key is tried once and reported', async (_name, rejection) => {
    const { attempt, calls } = scriptedAttempt({ primary: rejection });
    const result = await manager(BOTH, BEFORE).withKey(attempt);
    expect(result).toEqual({ value: 'answer with secondary', slot: 'secondary', fellBack: true });
    expect(calls).toEqual([
      { slot: 'primary', key: PRIMARY },
      { slot: 'secondary', key: SECONDARY },
    ]);
  });

  test('from the rotation date on, a rejected secondary falls back to the primary', async () => {
    const { attempt, calls } = scriptedAttempt({ secondary: { status: 401 } });
    await expect(manager(BOTH, AT).withKey(attempt)).resolves.toEqual({ value: 'answer with primary', slot: 'primary', fellBack: true });
    expect(calls.map((c) => c.slot)).toEqual(['secondary', 'primary']);
  });

  test('an accepted key is used alone', async () => {
    const { attempt, calls } = scriptedAttempt({});
    await expect(manager(BOTH, BEFORE).withKey(attempt)).resolves.toEqual({ value: 'answer with primary', slot: 'primary', fellBack: false });
    expect(calls).toHaveLength(1);
  });

  test('both keys rejected: two attempts, then an error naming the slots and never a key', async () => {
    const { attempt, calls } = scriptedAttempt({ primary: { status: 401 }, secondary: { error: { code: 'VENDOR_INVALID_KEY' } } });
    const failure = await manager(BOTH, BEFORE)
      .withKey(attempt)
      .catch((e: unknown) => e);
    expect(calls).toHaveLength(2);
    expect(failure).toBeInstanceOf(KeysRejectedError);
    const error = failure as KeysRejectedError;
    expect(error.rejections).toEqual([
      { slot: 'primary', answer: 'HTTP 401' },
      { slot: 'secondary', answer: 'VENDOR_INVALID_KEY' },
    ]);
    expect(error.message).toMatch(/the primary key \(HTTP 401\) and the secondary key \(VENDOR_INVALID_KEY\)/);
    for (const key of [PRIMARY, SECONDARY]) expect(`${error.message}${error.stack}${JSON.stringify(error)}`).not.toContain(key);
  });

  test.each<[string, unknown]>([
    ['HTTP 403 (forbidden, not a bad key)', { status: 403 }],
    ['HTTP 429', { statusCode: 429 }],
    ['HTTP 500', { status: 500 }],
    ['another BOOP code', { error: { code: 'insufficient-balance' } }],
    ['a timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
    ['a thrown string', 'boom'],
  ])('%s passes through untouched after one attempt', async (_name, failure) => {
    const { attempt, calls } = scriptedAttempt({ primary: failure });
    await expect(manager(BOTH, BEFORE).withKey(attempt)).rejects.toBe(failure);
    expect(calls).toHaveLength(1);
  });

  test('a failure of the fallback that is not a rejection passes through untouched', async () => {
    const outage = { status: 503 };
    const { attempt, calls } = scriptedAttempt({ primary: { status: 401 }, secondary: outage });
    await expect(manager(BOTH, BEFORE).withKey(attempt)).rejects.toBe(outage);
    expect(calls).toHaveLength(2);
  });

  test('every key rejected drops the cached keys, so the next call reads them again within the TTL', async () => {
    const source = countingSource(BOTH);
    const keys = new KeyManager({ source, cacheTtlSeconds: TTL_SECONDS, now: () => BEFORE });
    await keys.current();
    expect(source.loads).toBe(1);
    await expect(keys.withKey(scriptedAttempt({ primary: { status: 401 }, secondary: { status: 401 } }).attempt)).rejects.toThrow(KeysRejectedError);
    await keys.current();
    expect(source.loads).toBe(2);
  });

  test('property: at most two attempts, the slot reported is one BOOP accepted, and fellBack means the first was rejected', async () => {
    const keySets = fc.record(
      { primary: fc.constant(PRIMARY), secondary: fc.constant(SECONDARY), rotationDate: fc.constantFrom(ROTATION_DATE, '2026-02-31') },
      { requiredKeys: [] },
    );
    const answers = fc.array(fc.boolean(), { maxLength: 5 });
    const now = fc.constantFrom(BEFORE, AT, AFTER);
    await fc.assert(
      fc.asyncProperty(keySets, answers, now, async (keySet, accepts, at) => {
        const accepted: KeySlot[] = [];
        const calls: { slot: KeySlot; key: string }[] = [];
        const keys = manager(keySet, at);
        const outcome = await keys
          .withKey(async (key, slot) => {
            calls.push({ slot, key });
            // Answers beyond the script are rejections, so a loop would show as a third call.
            if (!(accepts[calls.length - 1] ?? false)) throw { status: KEY_REJECTED_STATUS };
            accepted.push(slot);
            return slot;
          })
          .catch((error: unknown) => error);
        const present = KEY_SLOTS.filter((slot) => keySet[slot] !== undefined);
        expect(calls.length).toBeLessThanOrEqual(2);
        expect(new Set(calls.map((c) => c.slot)).size).toBe(calls.length);
        for (const call of calls) expect(call.key).toBe(keySet[call.slot]);
        if (present.length === 0) {
          expect(calls).toHaveLength(0);
          expect(outcome).toBeInstanceOf(Error);
        } else if (accepted.length === 1) {
          const result = outcome as { value: KeySlot; slot: KeySlot; fellBack: boolean };
          expect(result.slot).toBe(accepted[0]);
          expect(result.value).toBe(accepted[0]);
          expect(result.fellBack).toBe(calls.length === 2);
        } else {
          expect(calls).toHaveLength(present.length);
          expect(outcome).toBeInstanceOf(KeysRejectedError);
          expect((outcome as KeysRejectedError).rejections.map((r) => r.slot)).toEqual(calls.map((c) => c.slot));
        }
      }),
    );
  });
});

describe('how long the keys are kept', () => {
  function clockedManager(cacheTtlSeconds: number) {
    const source = countingSource(BOTH);
    let now = BEFORE.getTime();
    const keys = new KeyManager({ source, cacheTtlSeconds, now: () => new Date(now) });
    return { source, keys, advanceMs: (ms: number) => (now += ms) };
  }

  test('the keys are read again once the TTL has passed, and not before', async () => {
    const { source, keys, advanceMs } = clockedManager(TTL_SECONDS);
    await keys.current();
    advanceMs(TTL_SECONDS * 1000 - 1);
    await keys.current();
    expect(source.loads).toBe(1);
    advanceMs(1);
    await keys.current();
    expect(source.loads).toBe(2);
  });

  test('a TTL of 0 reads the keys for every call', async () => {
    const { source, keys } = clockedManager(0);
    await keys.current();
    await keys.withKey(async () => 'ok');
    expect(source.loads).toBe(2);
  });

  test('callers at the same time share one read', async () => {
    const { source, keys } = clockedManager(0);
    await Promise.all([keys.current(), keys.current(), keys.withKey(async () => 'ok')]);
    expect(source.loads).toBe(1);
  });

  test('a failed read is not kept: the next call reads again', async () => {
    let loads = 0;
    const flaky: KeySource = async () => {
      loads += 1;
      if (loads === 1) throw new Error('SSM unavailable');
      return BOTH;
    };
    const keys = new KeyManager({ source: flaky, cacheTtlSeconds: TTL_SECONDS, now: () => BEFORE });
    await expect(keys.current()).rejects.toThrow('SSM unavailable');
    await expect(keys.current()).resolves.toEqual({ slot: 'primary', key: PRIMARY });
  });
});

describe('keys from SSM', () => {
  const names = environmentNames('dev').parameters;
  const parameterNames = { primary: names.primaryApiKey, secondary: names.secondaryApiKey, rotationDate: names.keyRotationDate };
  const ssmMock = mockClient(SSMClient);
  beforeEach(() => ssmMock.reset());

  test('one GetParameters call, decrypted, for the three parameters', async () => {
    ssmMock.on(GetParametersCommand).resolves({
      Parameters: [
        { Name: names.primaryApiKey, Type: 'SecureString', Value: PRIMARY },
        { Name: names.secondaryApiKey, Type: 'SecureString', Value: SECONDARY },
        { Name: names.keyRotationDate, Type: 'String', Value: ROTATION_DATE },
      ],
    });
    await expect(keysFromSsm(new SSMClient({}), parameterNames)()).resolves.toEqual(BOTH);
    const calls = ssmMock.commandCalls(GetParametersCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input.WithDecryption).toBe(true);
    expect([...(calls[0].args[0].input.Names ?? [])].sort()).toEqual([names.primaryApiKey, names.secondaryApiKey, names.keyRotationDate].sort());
  });

  test('parameters SSM does not find are absent: no rotation in progress uses the primary', async () => {
    ssmMock.on(GetParametersCommand).resolves({
      Parameters: [{ Name: names.primaryApiKey, Type: 'SecureString', Value: PRIMARY }],
      InvalidParameters: [names.secondaryApiKey, names.keyRotationDate],
    });
    const keys = new KeyManager({ source: keysFromSsm(new SSMClient({}), parameterNames), cacheTtlSeconds: TTL_SECONDS, now: () => AFTER });
    await expect(keys.current()).resolves.toEqual({ slot: 'primary', key: PRIMARY });
  });

  test('no key parameter at all is an error naming the parameters', async () => {
    ssmMock.on(GetParametersCommand).resolves({ Parameters: [], InvalidParameters: Object.values(parameterNames) });
    const keys = new KeyManager({ source: keysFromSsm(new SSMClient({}), parameterNames), cacheTtlSeconds: TTL_SECONDS });
    await expect(keys.current()).rejects.toThrow(
      `the SSM parameter ${names.primaryApiKey} and the SSM parameter ${names.secondaryApiKey} are both absent or blank`,
    );
  });
});

test('the manager writes nothing to stdout or stderr, so no key reaches a log through it', async () => {
  const written: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }),
  );
  try {
    const keys = manager(BOTH, BEFORE);
    await keys.withKey(scriptedAttempt({ primary: { status: 401 } }).attempt);
    await keys.withKey(scriptedAttempt({ primary: { status: 401 }, secondary: { status: 401 } }).attempt).catch(() => undefined);
  } finally {
    spies.forEach((spy) => spy.mockRestore());
  }
  expect(written).toEqual([]);
});
