/**
 * What `keys put` stores as a BOOP key: printable ASCII without spaces, nothing else. Any other
 * character, wherever it sits, is refused with its position and never with the key, piped or typed,
 * and nothing is written. Property tests over generated keys and characters, with a fixed seed.
 */
import { Readable } from 'stream';
import fc from 'fast-check';
import { numRuns } from '../support/properties';
import { readPiped } from '../../cli/secret-input';
import { API_KEY_PREFIX, apiKeyProblem } from '../../common/keys/api-keys';
import { BoopEnvironment } from '../../common/names';
import { fakeKey, KeyWorld } from './key-world';

/** A key's secret part: what BOOP keys are made of. */
const keyBody = fc.array(fc.integer({ min: 0x21, max: 0x7e }), { minLength: 1, maxLength: 64 }).map((codes) => String.fromCharCode(...codes));
/** Any character a BOOP key never holds: controls, the space, DEL, and every code point beyond ASCII (lone surrogates included). */
const foreignCharacter = fc
  .oneof(fc.integer({ min: 0, max: 0x20 }), fc.constant(0x7f), fc.integer({ min: 0x80, max: 0xffff }), fc.integer({ min: 0x10000, max: 0x10ffff }))
  .map((codePoint) => String.fromCodePoint(codePoint));
/** A secret part long enough that finding it in a message means the message repeats the key. */
const secretPart = fc.array(fc.integer({ min: 0x21, max: 0x7e }), { minLength: 12, maxLength: 64 }).map((codes) => String.fromCharCode(...codes));
const environment = fc.constantFrom<BoopEnvironment>('development', 'production');

/** The look-alikes and invisibles a paste brings along, named as the issue names them. */
const EXAMPLES: readonly [string, string][] = [
  ['a zero-width space', '\u200b'],
  ['a Cyrillic а (looks like a)', '\u0430'],
  ['a Cyrillic е (looks like e)', '\u0435'],
  ['a Cyrillic о (looks like o)', '\u043e'],
  ['a byte-order mark', '\ufeff'],
  ['a non-breaking space', '\u00a0'],
  ['a tab', '\t'],
  ['a NUL', '\u0000'],
  ['an escape', '\u001b'],
  ['a DEL', '\u007f'],
  ['a replacement character (what bytes that are not UTF-8 become)', '\ufffd'],
];

test('every key of printable ASCII after its prefix is taken', () => {
  fc.assert(
    fc.property(environment, keyBody, (env, body) => {
      expect(apiKeyProblem(`${API_KEY_PREFIX[env]}${body}`, env)).toBeUndefined();
    }),
    { numRuns: numRuns(500) },
  );
});

test('any other character, anywhere, is refused by its position, and the message never holds the key', () => {
  fc.assert(
    fc.property(environment, secretPart, secretPart, foreignCharacter, (env, before, after, foreign) => {
      const value = `${API_KEY_PREFIX[env]}${before}${foreign}${after}`;
      const message = apiKeyProblem(value, env);
      // One ASCII character is one position; a whitespace-only value is "empty", which the next test covers.
      expect(message).toMatch(new RegExp(`^character ${API_KEY_PREFIX[env].length + before.length + 1} of the key is `));
      expect(message).not.toContain(before);
      expect(message).not.toContain(after);
      // The message is printable ASCII itself: the character is named by its code point, never shown.
      expect(message).toMatch(/^[\x20-\x7e]+$/);
    }),
    { numRuns: numRuns(500) },
  );
});

test.each(EXAMPLES)('%s inside a key is refused, named by its position and code point', (_what, character) => {
  const key = `${API_KEY_PREFIX.production}abc${character}def`;
  const code = `U\\+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  expect(apiKeyProblem(key, 'production')).toMatch(new RegExp(`^character ${API_KEY_PREFIX.production.length + 4} of the key is .*${code}`));
});

test.each(['\ufeff', '\u00a0', '\u200b'])('an invisible character pasted with the key (%j) is named as not ASCII, not as a second line', (character) => {
  expect(apiKeyProblem(`${API_KEY_PREFIX.production}abc${character}def`, 'production')).toMatch(
    /which is not ASCII \(a look-alike letter or an invisible character/,
  );
});

test('bytes that are not UTF-8, piped in, are refused at the byte where they start', async () => {
  await fc.assert(
    fc.asyncProperty(keyBody, fc.constantFrom([0xff], [0xc3], [0xe2, 0x82], [0x80], [0xf0, 0x9f, 0x98]), async (body, bytes) => {
      const prefix = API_KEY_PREFIX.production;
      const piped = Buffer.concat([Buffer.from(prefix + body, 'ascii'), Buffer.from(bytes), Buffer.from('tail\n', 'ascii')]);
      const value = await readPiped(Readable.from([piped]));
      expect(apiKeyProblem(value, 'production')).toMatch(
        new RegExp(`^character ${prefix.length + body.length + 1} of the key is U\\+FFFD, bytes that are not UTF-8`),
      );
    }),
    { numRuns: numRuns(100) },
  );
});

test.each(EXAMPLES)('put refuses a key with %s and writes nothing', async (_what, character) => {
  const world = new KeyWorld({ env: 'prod' });
  expect((await world.cli(['put', '--env', 'prod', '--slot', 'primary'], fakeKey('production', 'a'))).error).toBeUndefined();
  const parameters = JSON.stringify([...world.parameters]);
  const secret = 'q'.repeat(24);
  const run = await world.cli(['put', '--env', 'prod', '--slot', 'secondary'], `${API_KEY_PREFIX.production}${secret}${character}${secret}`);
  expect(run.error?.message).toMatch(new RegExp(`^character ${API_KEY_PREFIX.production.length + 25} of the key is .*; nothing was written$`));
  expect(run.error!.message).not.toContain(secret);
  expect(JSON.stringify([...world.parameters])).toBe(parameters);
});
