/**
 * No BOOP key reaches a log: a real Powertools Logger from createLogger, its stdout caught, is
 * handed keys in every place a caller could put one (nested objects, arrays, strings, error
 * messages and stacks, causes, key names in any case, property names), and the planted key must
 * never come out. Also: nothing in the project makes a logger another way, and the CLIs' failure
 * lines redact keys too.
 */
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { failureLineOf } from '../cli/errors';
import { createLogger, REDACTED, redactingReplacer, redactText, sensitiveKeyName } from '../common/logging';
import { captureStdout } from './support/stdout';

/** Fake keys built at run time, so no file holds anything that looks like a key. */
const LIVE_KEY = `sk_live_${'x'.repeat(24)}`;
const DEV_KEY = `sk_dev_${'d'.repeat(24)}`;
const TEST_KEY = `sk_test_${'t'.repeat(24)}`;
const PLANTED = [LIVE_KEY, DEV_KEY, TEST_KEY];

/** What a fresh logger writes on stdout and stderr (Powertools writes warnings and errors to stderr), each line parsed. */
function logged(write: (logger: ReturnType<typeof createLogger>) => void): { text: string; lines: Record<string, unknown>[] } {
  const logger = createLogger('redaction-test');
  const { output, errors } = captureStdout(() => write(logger));
  return {
    text: output + errors,
    lines: (output + errors)
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

function expectNoKey(text: string): void {
  expect(text.length).toBeGreaterThan(0);
  for (const key of PLANTED) expect(text).not.toContain(key);
}

describe('key values inside text', () => {
  test.each(PLANTED)('%s is replaced wherever it sits in a string, and the text around it stays', (key) => {
    const prefix = key.slice(0, key.lastIndexOf('_') + 1);
    expect(redactText(`X-API-Key: ${key}, retrying`)).toBe(`X-API-Key: ${prefix}${REDACTED}, retrying`);
    expect(redactText(`wss://app/ws?api_key=${key}&v=1`)).toBe(`wss://app/ws?api_key=${prefix}${REDACTED}&v=1`);
    expect(redactText(`"${key}""${key}"`)).toBe(`"${prefix}${REDACTED}""${prefix}${REDACTED}"`);
  });

  test.each([
    ['a query string', 'https://x.example/cb?api_key=plainvalue&v=1', `https://x.example/cb?api_key=${REDACTED}&v=1`],
    ['JSON inside a string', '{"apiKey":"plainvalue","nested":{"token":"tok"}}', `{"apiKey":"${REDACTED}","nested":{"token":"${REDACTED}"}}`],
    ['a header line', 'X-API-Key: plainvalue', `X-API-Key: ${REDACTED}`],
    ['a password assignment', 'PASSWORD=hunter2 user=a', `PASSWORD=${REDACTED} user=a`],
    ['a bearer token', 'authorization: Bearer abc.def-ghi', `authorization: Bearer ${REDACTED}`],
  ])('a secret under a sensitive name in %s is replaced, whatever it looks like', (_where, text, redacted) => {
    expect(redactText(text)).toBe(redacted);
    expect(redactText(redacted)).toBe(redacted);
  });

  test('the prefix is recognised in any case', () => {
    expect(redactText(LIVE_KEY.toUpperCase())).not.toContain(LIVE_KEY.toUpperCase().slice(8));
  });

  test('text without a key is unchanged', () => {
    const text = 'green at 25 %, sk_other_value, sk-live-1 and sk_livestock unchanged';
    expect(redactText(text)).toBe(text);
  });
});

describe('the replacer on its own: sensitive key names, errors, absent values', () => {
  test.each([
    'api_key',
    'apiKey',
    'APIKEY',
    'X-API-Key',
    'x-api-key',
    'apiKeySecondary',
    'BOOP_API_KEY',
    'secret',
    'clientSecret',
    'PASSWORD',
    'token',
    'accessToken',
    'X-Session-Token',
  ])('%s is sensitive', (name) => expect(sensitiveKeyName(name)).toBe(true));

  test.each(['slot', 'keyId', 'greenPercent', 'message', 'level', 'service', 'timestamp', 'apiVersion', 'stack'])('%s is not', (name) =>
    expect(sensitiveKeyName(name)).toBe(false),
  );

  test('an error comes out of the replacer already redacted, and plain JSON.stringify shows its message instead of {}', () => {
    const error = new Error(`rejected ${LIVE_KEY}`);
    const replaced = redactingReplacer('error', error) as Error;
    expect(replaced).toBeInstanceOf(Error);
    expect(replaced.message).toBe(`rejected sk_live_${REDACTED}`);
    expect(replaced.stack).toContain(`rejected sk_live_${REDACTED}`);
    expect(replaced.stack).not.toContain(LIVE_KEY);
    expect(JSON.parse(JSON.stringify({ error }, redactingReplacer)).error).toMatchObject({ name: 'Error', message: `rejected sk_live_${REDACTED}` });
  });

  test('an absent value stays absent instead of appearing redacted', () => {
    expect(JSON.stringify({ token: undefined, slot: 'green' }, redactingReplacer)).toBe('{"slot":"green"}');
  });
});

describe('through a real Powertools Logger', () => {
  test('nested objects and arrays: sensitive names at any depth and in any case, key values in any string', () => {
    const { text, lines } = logged((logger) =>
      logger.info(`calling BOOP with ${LIVE_KEY}`, {
        request: { headers: { 'X-API-Key': LIVE_KEY, 'Content-Type': 'application/json' }, body: { vendor_id: 'ven_live_1', API_KEY: DEV_KEY } },
        attempts: [{ slot: 'primary', note: `rejected ${TEST_KEY}` }, [`${DEV_KEY} then`, 42]],
        credentials: { password: { nested: LIVE_KEY }, tokens: [LIVE_KEY], apiKeySecondary: null },
        [`seen ${LIVE_KEY}`]: true,
      }),
    );
    expectNoKey(text);
    const line = lines[0];
    expect(line.message).toBe(`calling BOOP with sk_live_${REDACTED}`);
    expect(line.request).toEqual({
      headers: { 'X-API-Key': REDACTED, 'Content-Type': 'application/json' },
      body: { vendor_id: 'ven_live_1', API_KEY: REDACTED },
    });
    expect(line.attempts).toEqual([{ slot: 'primary', note: `rejected sk_test_${REDACTED}` }, [`sk_dev_${REDACTED} then`, 42]]);
    expect(line.credentials).toEqual({ password: REDACTED, tokens: REDACTED, apiKeySecondary: REDACTED });
    expect(line[`seen sk_live_${REDACTED}`]).toBe(true);
  });

  test("an error's message, stack, cause and attributes", () => {
    const cause = new Error(`socket closed for ${DEV_KEY}`);
    const error = Object.assign(new Error(`BOOP said 401 to ${LIVE_KEY}`, { cause }), {
      config: { headers: { 'x-api-key': LIVE_KEY } },
      detail: `sent ${TEST_KEY}`,
    });
    const { text, lines } = logged((logger) => {
      logger.error('the call failed', error);
      logger.warn('again', { failure: error });
    });
    expectNoKey(text);
    expect(lines).toHaveLength(2);
    const formatted = lines[0].error as Record<string, unknown>;
    expect(formatted.message).toBe(`BOOP said 401 to sk_live_${REDACTED}`);
    expect(String(formatted.stack)).toContain(`BOOP said 401 to sk_live_${REDACTED}`);
    expect(formatted.config).toEqual({ headers: { 'x-api-key': REDACTED } });
    expect(formatted.detail).toBe(`sent sk_test_${REDACTED}`);
    expect((formatted.cause as Record<string, unknown>).message).toBe(`socket closed for sk_dev_${REDACTED}`);
    expect((lines[1].failure as Record<string, unknown>).message).toBe(formatted.message);
  });

  test('an error is redacted before Powertools formats it: its code location still comes from the stack', () => {
    function failWithKey(): Error {
      return new Error(`key ${LIVE_KEY}`);
    }
    const { lines } = logged((logger) => logger.error('failed', failWithKey()));
    expect((lines[0].error as Record<string, unknown>).location).toMatch(/logging\.test\.ts:\d+$/);
  });

  test('an object that refers to itself, with a key as a property name, is logged once and does not hang', () => {
    const looped: Record<string, unknown> = { [LIVE_KEY]: 'value' };
    looped.self = looped;
    const { text } = logged((logger) => logger.info('loop', { looped }));
    expectNoKey(text);
  });

  test('an object logged again after a change shows the change', () => {
    const state: Record<string, unknown> = { [LIVE_KEY]: 1 };
    const { lines } = logged((logger) => {
      logger.info('first', { state });
      state[LIVE_KEY] = 2;
      logger.info('second', { state });
    });
    expect(lines.map((line) => (line.state as Record<string, unknown>)[`sk_live_${REDACTED}`])).toEqual([1, 2]);
  });

  test('a child logger redacts too', () => {
    const { text } = logged((logger) => logger.createChild({ persistentKeys: { slot: 'green' } }).info('child', { apiKey: LIVE_KEY }));
    expectNoKey(text);
  });

  test('property: a key planted anywhere in any JSON value never reaches the output', () => {
    const key = fc.tuple(fc.constantFrom('sk_live_', 'sk_dev_', 'sk_test_'), fc.stringMatching(/^[A-Za-z0-9]{16,40}$/)).map(([prefix, body]) => prefix + body);
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), key, fc.string(), fc.string(), (value, where, planted, before, after) => {
        const withKey = plant(value, where, `${before}${planted}${after}`, planted);
        const { text } = logged((logger) => {
          logger.info('value', { value: withKey });
          logger.info(typeof withKey === 'string' ? withKey : 'as the message');
        });
        expect(text).not.toContain(planted);
      }),
    );
  });
});

/**
 * `value` with the key put at one place chosen by `where`: as a string leaf, an array element, an
 * object's property value or property name; a value with no such place becomes the text itself.
 */
function plant(value: unknown, where: number, text: string, key: string): unknown {
  const places: (() => void)[] = [];
  const collect = (node: unknown, replace: (next: unknown) => void) => {
    if (typeof node === 'string') places.push(() => replace(text));
    else if (Array.isArray(node)) {
      places.push(() => void node.push(text));
      node.forEach((item, i) => collect(item, (next) => (node[i] = next)));
    } else if (typeof node === 'object' && node !== null) {
      const object = node as Record<string, unknown>;
      places.push(() => void (object[key] = 'planted as a name'));
      places.push(() => void (object.note = text));
      for (const name of Object.keys(object)) collect(object[name], (next) => (object[name] = next));
    }
  };
  const root = { value: structuredClone(value) as unknown };
  collect(root.value, (next) => (root.value = next));
  if (places.length === 0) return text;
  places[where % places.length]();
  return root.value;
}

test('a CLI failure line never shows a key', () => {
  const line = failureLineOf('boop-keys', new Error(`BOOP refused ${LIVE_KEY}`));
  expect(line).toContain(`sk_live_${REDACTED}`);
  expect(line).not.toContain(LIVE_KEY);
});

test('nothing in lambda/, cli/, bin/ or common/ makes a Powertools Logger except common/logging.ts', () => {
  const root = path.join(__dirname, '..');
  const allowed = 'common/logging.ts';
  const sources = (dir: string): string[] =>
    fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
      const file = `${dir}/${entry.name}`;
      if (entry.isDirectory()) return sources(file);
      return /\.[cm]?[jt]s$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [file] : [];
    });
  const files = ['lambda', 'cli', 'bin', 'common'].flatMap(sources);
  expect(files).toContain(allowed);
  const offenders = files.filter((file) => {
    if (file === allowed) return false;
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    // A value import could make a Logger under another name; a type-only import cannot.
    const valueImport = /import\s+(?!type\b)[^;]*?from\s+['"]@aws-lambda-powertools\/logger['"]/.test(text);
    return /\bnew\s+Logger\s*\(/.test(text) || valueImport || /require\(\s*['"]@aws-lambda-powertools\/logger['"]\s*\)/.test(text);
  });
  expect(offenders).toEqual([]);
});
