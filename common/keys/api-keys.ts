/**
 * BOOP API keys: the guide's facts about them and the rules every part of the project applies to
 * them (the stack, the presence check, the keys CLI, the key manager). Plain TypeScript that
 * imports only common/, so a function bundle and the CLIs load it without the CDK.
 * Citations as in lib/guides.ts (ENV = "Environment Configuration", MIG = "Migration Overview").
 */

import { BoopEnvironment, environmentNames } from '../names';

/** The two key parameters of an environment. ENV "API Key Management" (ApiKeyManager: primaryKey, secondaryKey). */
export const KEY_SLOTS = ['primary', 'secondary'] as const;
export type KeySlot = (typeof KEY_SLOTS)[number];

/** The variables the services read, as the guide names them. ENV "API Key Management" (ApiKeyManager constructor). */
export const KEY_VARIABLES = {
  primary: 'BOOP_API_KEY',
  secondary: 'BOOP_API_KEY_SECONDARY',
  rotationDate: 'BOOP_KEY_ROTATION_DATE',
} as const;

/** The prefix of a key per BOOP environment. ENV ConfigValidator ("sk_live_" in production); MIG "1. Obtain Production Credentials" (sk_dev_). */
export const API_KEY_PREFIX = { development: 'sk_dev_', production: 'sk_live_' } as const satisfies Record<BoopEnvironment, string>;

/** Every prefix a BOOP key value starts with, test keys' included: what redaction and the CLIs look for. */
export const KEY_PREFIXES = [...Object.values(API_KEY_PREFIX), 'sk_test_'] as const;

/** A KMS key ARN (not an alias: IAM grants decrypt on a key's ARN); group 1 is its region, group 2 its account. */
export const KMS_KEY_ARN =
  /^arn:aws(?:-[a-z]+)*:kms:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):key\/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;
/** The key SSM uses for a SecureString when none is named: the AWS-managed key of the account and region. */
export const AWS_MANAGED_SSM_KEY = 'alias/aws/ssm';

/** SSM's limit for a standard-tier parameter value, in bytes. */
const MAX_KEY_BYTES = 4096;

/** What a BOOP key consists of: printable ASCII without the space (ENV "Environment Variables": BOOP_API_KEY = sk_live_your_secret_key). */
const KEY_CHARACTER = /^[\x21-\x7e]$/;

/** What a character that cannot be in a key is, in words that never show the key itself. */
function describeCharacter(character: string): string {
  const codePoint = character.codePointAt(0)!;
  const code = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  if (character === '\ufffd') return `${code}, bytes that are not UTF-8 (or a replacement character)`;
  // ASCII whitespace only: JavaScript's \s also matches U+FEFF and U+00A0, which are pasted invisibles, not a second line.
  if (/[\t\n\v\f\r ]/.test(character)) return `whitespace (${code}; was a second line or a space pasted with it?)`;
  if (codePoint < 0x20 || codePoint === 0x7f) return `a control character (${code})`;
  return `${code}, which is not ASCII (a look-alike letter or an invisible character pasted with the key?)`;
}

/**
 * Why a value cannot be stored as this environment's API key, or undefined when it can. Never
 * quotes the value: the message may reach a terminal or a log. A character that cannot be in a key
 * is named by its position and code point.
 */
export function apiKeyProblem(value: string, boopEnvironment: BoopEnvironment): string | undefined {
  const prefix = API_KEY_PREFIX[boopEnvironment];
  if (value.trim() === '') return 'the key is empty; pipe or type the key BOOP gave you';
  if (Buffer.byteLength(value, 'utf8') > MAX_KEY_BYTES) return `the key is longer than SSM's ${MAX_KEY_BYTES} bytes; paste the key alone`;
  // By code point, so the position is the one a reader counts (every character before it is one ASCII byte).
  const characters = Array.from(value);
  const bad = characters.findIndex((character) => !KEY_CHARACTER.test(character));
  if (bad >= 0) {
    return `character ${bad + 1} of the key is ${describeCharacter(characters[bad])}; a BOOP key is printable ASCII without spaces: paste the key alone`;
  }
  if (!value.startsWith(prefix)) {
    const other = Object.values(API_KEY_PREFIX).find((p) => value.startsWith(p));
    const seen = other ? `a ${other}… key` : `a key that does not start with ${prefix}`;
    return `${boopEnvironment} BOOP takes ${prefix}… keys, this is ${seen}; use the ${boopEnvironment} key from BOOP`;
  }
  if (value.length === prefix.length) return `the key is only its prefix ${prefix}; paste the whole key`;
  return undefined;
}

/** The instant a rotation date takes effect: 00:00 UTC of that day, as the guide's `new Date(rotationDate)` reads a date. */
export function rotationStartsAt(rotationDate: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(rotationDate)) return undefined;
  const at = new Date(`${rotationDate}T00:00:00Z`);
  // Date accepts 2026-02-31 as March 3rd; a date that does not round-trip is not a calendar date.
  return Number.isNaN(at.getTime()) || at.toISOString().slice(0, 10) !== rotationDate ? undefined : at;
}

/**
 * Which key is current: the secondary from the rotation date on, else the primary. ENV "API Key
 * Management" (getCurrentKey, isRotationActive). No date, or one that is not a calendar date, keeps the primary.
 */
export function currentKeySlot(rotationDate: string | undefined, now: Date): KeySlot {
  const startsAt = rotationDate === undefined ? undefined : rotationStartsAt(rotationDate);
  return startsAt !== undefined && now.getTime() >= startsAt.getTime() ? 'secondary' : 'primary';
}

/** One day, ms. */
export const DAY_MS = 86_400_000;

/**
 * KEY_ROTATION_UNREADY's rule: a rotation date is configured, it is at most `warningDays` away (or
 * has come), and the secondary key is not in place. A secondary whose presence could not be read
 * counts as missing: an unanswered question near the date is worth an email.
 */
export function rotationUnready(rotationDate: string | undefined, secondaryInPlace: boolean | undefined, warningDays: number, now: Date): boolean {
  const startsAt = rotationDate === undefined ? undefined : rotationStartsAt(rotationDate);
  if (startsAt === undefined || secondaryInPlace === true) return false;
  return startsAt.getTime() - now.getTime() <= warningDays * DAY_MS;
}

/** The key parameters a task of this environment reads: the primary, and the secondary while a rotation is configured. */
export function keySlotsInUse(rotationDate: string | undefined): readonly KeySlot[] {
  return rotationDate === undefined ? ['primary'] : KEY_SLOTS;
}

/** The parameter name of each key slot of an environment. */
export function keyParameterNames(envName: string): Readonly<Record<KeySlot, string>> {
  const { primaryApiKey, secondaryApiKey } = environmentNames(envName).parameters;
  return { primary: primaryApiKey, secondary: secondaryApiKey };
}

/** The command that writes one key parameter, as every message that asks for it spells it. */
export function putKeyCommand(envName: string, slot: KeySlot): string {
  return `npm run keys -- put --env ${envName} --slot ${slot}`;
}

/** The HTTP status of a rejected key. API "REST conventions" (401 = bad key; 403 is a forbidden call, not a bad key). */
export const KEY_REJECTED_STATUS = 401;

/** The error codes with which BOOP rejects a key. API "REST conventions" (`error.code`) and "Vendor WebSocket" ("Invalid-key error codes seen"). */
export const INVALID_KEY_CODES = ['VENDOR_INVALID_KEY', 'AUTH_FAILED', 'UNAUTHORIZED'] as const;

/** The slot that is not this one: where a rejected key falls back to. ENV "API Key Management" (makeApiCall). */
export function otherKeySlot(slot: KeySlot): KeySlot {
  return slot === 'primary' ? 'secondary' : 'primary';
}
