/**
 * The project's one way to make a logger, and the redaction every log line passes through: ENV
 * "Structured Logging" (SecurityValidator.sanitizeLog) applied at any depth, plus BOOP key values
 * inside any string. Redaction runs in Powertools Logger's own hook (`jsonReplacerFn`), which
 * JSON.stringify calls for every key and value of a log line, so no call site can forget it.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { KEY_PREFIXES } from './keys/api-keys';

/** What a sensitive value is replaced with, as ENV sanitizeLog writes it. */
export const REDACTED = '***REDACTED***';

/**
 * ENV sanitizeLog's sensitive key names (`api_key`, `apiKey`, `secret`, `password`, `token`),
 * compared as in `sensitiveKeyName`: lower case, without separators.
 */
const SENSITIVE_KEY_PARTS = ['apikey', 'secret', 'password', 'token'] as const;

/**
 * A BOOP key inside text: its prefix (ENV ConfigValidator sk_live_, MIG sk_dev_, and sk_test_), in
 * any case, and what follows it in a key or a URL-encoded key. The prefix is kept in the output,
 * so a log still says which environment's key it was; the rest is replaced. The prefix counts
 * even glued to a word before it (a key pasted onto text must not leak, so "task_live_1" is
 * redacted too). Redacting twice changes nothing (a value can pass a redacted view and the replacer).
 */
const KEY_PREFIX = `(?:${KEY_PREFIXES.join('|')})`;
const KEY_IN_TEXT = new RegExp(`(${KEY_PREFIX})(?!${REDACTED.replace(/\*/g, '\\*')})[\\w\\-+/=.~%]+`, 'gi');
// The same without the global flag, whose lastIndex would make test() answer differently each call.
const KEY_IN_TEXT_ONCE = new RegExp(KEY_IN_TEXT.source, 'i');

/**
 * A secret written into text under one of ENV's sensitive names, as a query string, a header or
 * JSON inside a string writes it (`api_key=…`, `X-API-Key: …`, `"token":"…"`), or as a bearer
 * token. A value already redacted is left as it is, so the key prefix it shows stays.
 */
const ALREADY_REDACTED = `(?!${KEY_PREFIX}?${REDACTED.replace(/\*/g, '\\*')})`;
const NAMED_SECRET_IN_TEXT = new RegExp(`((?:api[_-]?key|secret|password|token)["']?\\s*[:=]\\s*["']?)${ALREADY_REDACTED}[^\\s"'&,;}]+`, 'gi');
const BEARER_TOKEN = new RegExp(`(bearer\\s+)${ALREADY_REDACTED}[\\w\\-.~+/=]+`, 'gi');

/** Every BOOP key value inside `text` replaced ("sk_live_…" becomes "sk_live_***REDACTED***"), and every secret written under a sensitive name. */
export function redactText(text: string): string {
  return text.replace(KEY_IN_TEXT, `$1${REDACTED}`).replace(NAMED_SECRET_IN_TEXT, `$1${REDACTED}`).replace(BEARER_TOKEN, `$1${REDACTED}`);
}

/**
 * True for a key name whose value is a secret: once lower-cased and stripped of everything but
 * letters and digits, it contains one of ENV's sensitive names. So `api_key`, `X-API-Key`,
 * `apiKeySecondary`, `BOOP_API_KEY`, `accessToken` and `AWS_SECRET_ACCESS_KEY` all are; a name
 * like `tokenCount` is too, which costs a number in a log and never leaks a key.
 */
export function sensitiveKeyName(key: string): boolean {
  const squeezed = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  return SENSITIVE_KEY_PARTS.some((part) => squeezed.includes(part));
}

/** True when a string holds a BOOP key value. */
export function holdsKey(text: string): boolean {
  return KEY_IN_TEXT_ONCE.test(text);
}

/** The redacted view of each object that needed one, with the property names it was built for. */
const views = new WeakMap<object, { readonly names: string; readonly view: object }>();

/**
 * A stand-in for `value` that reads through to it with every string redacted and every key value
 * in a property name redacted. Reads are live, so a later change of `value` shows; one view per
 * object, so Powertools' and JSON.stringify's circular-reference checks still recognise a cycle.
 * For an Error, name, message, stack and cause become enumerable: a plain JSON.stringify shows them too.
 */
function redactedView(value: object): object {
  const isError = value instanceof Error;
  const ownNames = isError ? Object.getOwnPropertyNames(value) : Object.keys(value);
  const names = ownNames.join('\u0000');
  const known = views.get(value);
  if (known !== undefined && known.names === names) return known.view;
  const view = isError ? Object.create(Object.getPrototypeOf(value) as object) : {};
  const source = value as Record<string, unknown>;
  const shown = isError ? [...new Set(['name', 'message', 'stack', ...ownNames])] : ownNames;
  for (const name of shown) {
    const enumerable = isError && ['name', 'message', 'stack', 'cause'].includes(name) ? true : Object.prototype.propertyIsEnumerable.call(value, name);
    if (!(name in value)) continue;
    Object.defineProperty(view, redactText(name), { get: () => redactedValue(source[name]), enumerable, configurable: true });
  }
  views.set(value, { names, view });
  return view;
}

/** A value as a log may show it: strings redacted, errors and objects with a key in a property name as redacted views. */
function redactedValue(value: unknown): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value instanceof Error) return redactedView(value);
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).some(holdsKey)) return redactedView(value);
  return value;
}

/**
 * A JSON.stringify replacer that redacts: the value of a sensitive key name (see
 * `sensitiveKeyName`) becomes REDACTED whatever it is, objects and arrays included; every string
 * has its BOOP key values redacted; an Error's message and stack are redacted before Powertools
 * formats it. JSON.stringify calls it at every depth, so nesting changes nothing.
 */
export function redactingReplacer(key: string, value: unknown): unknown {
  // An absent value stays absent rather than appearing as a redacted one.
  if (value !== undefined && sensitiveKeyName(key)) return REDACTED;
  return redactedValue(value);
}

/** A Powertools Logger for one service whose every line is redacted. The only place the project constructs a Logger. */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName, jsonReplacerFn: redactingReplacer });
}
