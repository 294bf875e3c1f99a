/**
 * The kinds of value the configuration takes, each a zod type with its refusals in plain words
 * ("must be ..., got ..."): generic ones (whole numbers, text, lists, groups) and those whose form
 * AWS or BOOP fixes (BOOP URLs, images, ARNs, tester CIDRs, the WAF path, e-mail, SSM parameter
 * names, Fargate sizes), with the plain constants and functions behind them.
 */
import { isIPv4, isIPv6 } from 'net';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { SUPPORTED_REGIONS } from '../regions';
import { z } from 'zod';
import { imageParameterConstraint, imageProblem } from '../../common/images';
import { VENDOR_ID_PREFIX } from '../guides';

// ---------------------------------------------------------------------------------------------
// How a message shows what it was given.

/** A shown value is cut after this many characters, so a huge input cannot flood the message. */
const SHOWN_CHARACTERS = 120;
/** Lists and objects are shown this many levels deep, so a deeply nested input cannot overflow the stack. */
const SHOWN_DEPTH = 3;
/** A shown list or object lists at most this many entries. */
const SHOWN_ENTRIES = 10;

/** The value as a message shows it: JSON-like, bounded in depth and length, any URL credentials masked; "nothing" when absent. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = render(value, SHOWN_DEPTH);
  return text.length > SHOWN_CHARACTERS ? `${text.slice(0, SHOWN_CHARACTERS)}…` : text;
}

function render(value: unknown, depth: number): string {
  if (typeof value === 'string') {
    // A URL's user name and password never reach a message, wherever the URL was given.
    const slashes = value.indexOf('//');
    const masked = slashes >= 0 && value.lastIndexOf('@') > slashes ? withoutCredentials(value) : value;
    return JSON.stringify(masked.length > SHOWN_CHARACTERS ? `${masked.slice(0, SHOWN_CHARACTERS)}…` : masked);
  }
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : `${value} (not a finite number)`;
  if (typeof value !== 'object' || value === null) return String(value);
  const list = Array.isArray(value);
  const entries: unknown[] = list ? value : Object.entries(value);
  const [open, close] = list ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return `${open}${close}`;
  if (depth === 0) return `${open}…${close}`;
  const shown = entries
    .slice(0, SHOWN_ENTRIES)
    .map((entry) =>
      list ? render(entry, depth - 1) : `${JSON.stringify((entry as [string, unknown])[0])}:${render((entry as [string, unknown])[1], depth - 1)}`,
    );
  return `${open}${shown.join(',')}${entries.length > SHOWN_ENTRIES ? ',…' : ''}${close}`;
}

/**
 * A URL as a message may show it, parseable or not: everything between the scheme's `//` (or the
 * start, when it has none) and the last `@` masked, so no user name or password ever reaches a log.
 */
function withoutCredentials(url: string): string {
  const at = url.lastIndexOf('@');
  if (at < 0) return url;
  // "https://", and the likes of "https//" a typo leaves; anything else before the @ may be a password.
  const scheme = /^[a-z][a-z0-9+.-]*:?\/\//i.exec(url)?.[0] ?? '';
  return `${scheme}***${url.slice(at)}`;
}

/** A URL field's value as a message shows it: masked text, or only its kind, since a list or object may hold a URL with credentials. */
export function showUrl(value: unknown): string {
  if (typeof value === 'string') return show(withoutCredentials(value));
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' && value !== null ? 'an object' : show(value);
}

// ---------------------------------------------------------------------------------------------
// What AWS and BOOP allow.

/** CloudWatch Logs accepts only these retention periods, in days. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** Fargate's CPU units and the memory sizes (MiB) each allows. */
export const FARGATE_MEMORY_BY_CPU: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};
/** Fargate's CPU sizes, in units. */
export const FARGATE_CPUS = Object.keys(FARGATE_MEMORY_BY_CPU).map(Number);

/** The memory sizes a CPU size allows, in words: a range in steps where they are one, else a list. */
export function fargateMemoryText(cpu: number): string {
  const allowed = FARGATE_MEMORY_BY_CPU[cpu];
  const step = allowed[1] - allowed[0];
  // 256 CPU units allow 512, 1024 and 2048 MiB, which is not a range in steps; list such sizes one by one.
  const stepped = allowed.length > 3 && allowed.every((m, i) => i === 0 || m - allowed[i - 1] === step);
  return stepped ? `${allowed[0]}..${allowed[allowed.length - 1]} MiB in steps of ${step}` : `${allowed.join(', ')} MiB`;
}

/** An ACM certificate ARN; group 1 is its region, group 2 its account. */
export const CERTIFICATE_ARN =
  /^arn:aws(?:-[a-z]+)*:acm:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):certificate\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export { KMS_KEY_ARN } from '../../common/keys/api-keys';
/** A DNS host name as a certificate names it: lowercase labels of letters, digits and inner hyphens, at least two, no wildcard. */
export const HOST_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** A Route 53 hosted zone id, as Route 53 gives it (without /hostedzone/). */
export const HOSTED_ZONE_ID = /^Z[A-Z0-9]{1,31}$/;
/** A trusted host: a host name as HOST_NAME, then an optional port; group 1 is the name, group 2 the port. */
export const TRUSTED_HOST = new RegExp(`^(${HOST_NAME.source.slice(1, -1)})(?::([1-9][0-9]{0,4}))?$`);
/** The longest reason for a trusted host: one line of a status table. */
export const MAX_REASON_CHARACTERS = 200;
/** A vendor id of either environment: its prefix, then letters, digits or _. */
export const VENDOR_ID = new RegExp(`^(?:${Object.values(VENDOR_ID_PREFIX).join('|')})[A-Za-z0-9_]+$`);
export const ACCOUNT_ID = /^\d{12}$/;
const REGION_NAME = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
export const SLACK_WORKSPACE_ID = /^T[A-Z0-9]{8,}$/;
export const SLACK_CHANNEL_ID = /^[CG][A-Z0-9]{8,}$/;

/**
 * An SSM parameter name as a dynamic reference can carry it: a full path (so it cannot be a
 * relative name resolved somewhere unexpected) of letters, digits and `_ . - /`, no `:` or `}`.
 */
const SSM_PARAMETER_PATH = /^\/[A-Za-z0-9_.\-/]+$/;
/** SSM allows a parameter name of at most this many characters (2048 minus 1037 reserved). */
export const SSM_PARAMETER_NAME_MAX_LENGTH = 1011;
/** SSM allows at most this many levels in a parameter hierarchy. */
export const SSM_PARAMETER_MAX_LEVELS = 15;

/** Problems with an SSM parameter name, in plain words; empty when it is one. */
function ssmParameterNameProblems(name: string): string[] {
  if (!SSM_PARAMETER_PATH.test(name))
    return ['must be an SSM parameter name starting with "/" and made of letters, digits and _ . - /, such as /acme/prod/pagerduty-integration-url'];
  const problems: string[] = [];
  if (name.length > SSM_PARAMETER_NAME_MAX_LENGTH) problems.push(`SSM allows at most ${SSM_PARAMETER_NAME_MAX_LENGTH} characters, got ${name.length}`);
  if (name.split('/').length - 1 > SSM_PARAMETER_MAX_LEVELS)
    problems.push(`SSM allows at most ${SSM_PARAMETER_MAX_LEVELS} levels of /, got ${name.split('/').length - 1}`);
  if (name.endsWith('/') || name.includes('//')) problems.push('an SSM parameter name has no empty level (no // and no trailing /)');
  if (/^\/(aws|ssm)/i.test(name)) problems.push('names starting with /aws or /ssm are reserved by AWS');
  return problems;
}

/** CloudWatch evaluates an alarm over at most one day: period × evaluation periods, in minutes. */
export const CLOUDWATCH_LONGEST_WINDOW_MINUTES = 1440;

/** WAF compares at most this many bytes in a byte-match statement (ByteMatchStatement.SearchString). */
export const WAF_SEARCH_STRING_MAX_BYTES = 200;

/**
 * The path as the WAF rate rule compares it (its text transformations): %XX decoded, duplicate
 * slashes collapsed, ./ dropped, ../ resolved except at the start, lowercased.
 */
function wafComparedPath(path: string): string {
  const decoded = path.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  const segments: string[] = [];
  for (const segment of decoded.split('/').slice(1)) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..' && segments.length > 0 && segments[segments.length - 1] !== '..') segments.pop();
    else segments.push(segment);
  }
  const trailingSlash = segments.length > 0 && /\/(\.\.?)?$/.test(decoded);
  return `/${segments.join('/')}${trailingSlash ? '/' : ''}`.toLowerCase();
}

/** At most this many tester CIDRs: with two NAT addresses that is 11 header routes per slot (3 CIDRs each), far below an ALB's 100 rules. */
export const MAX_TESTER_CIDRS = 30;
/** The widest tester network per IP version: one organisation's allocation, never a large part of the internet. */
export const WIDEST_TESTER_PREFIX: Readonly<Record<4 | 6, number>> = { 4: 16, 6: 32 };
/** A tester network as messages show one. */
export const TESTER_EXAMPLE = '203.0.113.0/24';

/** An IPv4 or IPv6 network. */
interface Cidr {
  readonly version: 4 | 6;
  readonly address: bigint;
  readonly prefix: number;
}

const BITS: Readonly<Record<4 | 6, number>> = { 4: 32, 6: 128 };

/** Any notation of an IPv4 or IPv6 CIDR (node's `net` decides what an address is); formatCidr gives its canonical form. */
export function parseCidr(text: string): Cidr | undefined {
  const [host, prefixText, ...rest] = text.split('/');
  if (rest.length > 0 || !/^\d{1,3}$/.test(prefixText ?? '')) return undefined;
  const prefix = Number(prefixText);
  // A zone index (fe80::1%eth0) names a local interface, never a client address.
  const version = isIPv4(host) ? 4 : isIPv6(host) && !host.includes('%') && URL.canParse(`http://[${host}]/`) ? 6 : undefined;
  if (version === undefined || prefix > BITS[version]) return undefined;
  return { version, address: version === 4 ? ipv4Value(host) : ipv6Value(host), prefix };
}

/** Dotted decimal for IPv4, RFC 5952 for IPv6 (as the WHATWG URL parser writes it); host bits cleared. */
export function formatCidr(cidr: Cidr): string {
  const bits = BITS[cidr.version];
  const network = cidr.address & (((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - cidr.prefix)) - 1n));
  if (cidr.version === 4) return `${[24n, 16n, 8n, 0n].map((shift) => (network >> shift) & 255n).join('.')}/${cidr.prefix}`;
  const words = Array.from({ length: 8 }, (_, i) => ((network >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  return `${canonicalIpv6(words.join(':'))}/${cidr.prefix}`;
}

function ipv4Value(host: string): bigint {
  return host.split('.').reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
}

function ipv6Value(host: string): bigint {
  // The URL parser writes an embedded IPv4 part as hex words, so only `::` is left to expand.
  const [head, tail] = canonicalIpv6(host).split('::');
  const words = (part: string | undefined) => (part ? part.split(':') : []);
  const zeros = tail === undefined ? [] : Array<string>(8 - words(head).length - words(tail).length).fill('0');
  return [...words(head), ...zeros, ...words(tail)].reduce((value, word) => (value << 16n) | BigInt(parseInt(word, 16)), 0n);
}

function canonicalIpv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

function range(from: number, to: number, step: number): number[] {
  const values: number[] = [];
  for (let v = from; v <= to; v += step) values.push(v);
  return values;
}

// ---------------------------------------------------------------------------------------------
// The value types.

/** An object with fixed fields, refusing unknown ones. */
export function group<S extends z.ZodRawShape>(shape: S) {
  const fields = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : `must be an object with the fields ${fields}, got ${show(issue.input)}`),
  });
}

/** The whole-number types, which the JSON Schema says are integers. */
export const WHOLE_NUMBERS = new WeakSet<z.core.$ZodType>();

/**
 * Whole numbers within min..max: Number.isInteger, which 1e-320 and 1.0000000000000002 fail
 * (multipleOf(1) lets them pass). A refinement rather than z.int(), whose refusal stops every later rule.
 */
export function wholeNumber(min: number, max: number, why?: string) {
  const error = (issue: { readonly input?: unknown }) => `must be a whole number within ${min}..${max}${why ? ` (${why})` : ''}, got ${show(issue.input)}`;
  const type = z.number({ error }).min(min, { error }).max(max, { error }).refine(Number.isInteger, { error });
  WHOLE_NUMBERS.add(type);
  return type;
}

/** Numbers within min..max, bounds included unless `exclusive`. */
export function decimal(min: number, max: number, options: { readonly why?: string; readonly exclusive?: boolean } = {}) {
  const bounds = options.exclusive ? `between ${min} and ${max} (exclusive)` : `within ${min}..${max}`;
  const error = (issue: { readonly input?: unknown }) => `must be a number ${bounds}${options.why ? ` (${options.why})` : ''}, got ${show(issue.input)}`;
  const type = z.number({ error });
  return options.exclusive ? type.gt(min, { error }).lt(max, { error }) : type.min(min, { error }).max(max, { error });
}

/** One of a fixed set of numbers. */
export function oneOf(values: readonly [number, ...number[]], message = `must be one of ${values.join(', ')}`) {
  return z.literal(values, { error: (issue) => `${message}, got ${show(issue.input)}` });
}

/** true or false. */
export function flag() {
  return z.boolean({ error: (issue) => `must be true or false, got ${show(issue.input)}` });
}

/** Text; `pattern` with `what` is the form it must have ("must be <what>"). Empty text counts as missing. */
export function text(pattern?: RegExp, what?: string) {
  const type = z.string({ error: (issue) => `must be text, got ${show(issue.input)}` }).min(1, { error: 'missing' });
  return pattern ? type.regex(pattern, { error: (issue) => `must be ${what}, got ${show(issue.input)}` }) : type;
}

/** A list of `element`s; `what` names them in the message, e.g. "email addresses". */
export function listOf<T extends z.ZodType>(element: T, what: string) {
  return z.array(element, { error: (issue) => `must be a list of ${what}, got ${show(issue.input)}` });
}

/** BOOP's REST or WebSocket URL; the scheme and host rules depend on the environment (rules.ts). Messages never repeat its user name or password. */
export function boopUrl() {
  return z
    .url({ error: (issue) => (typeof issue.input === 'string' ? `${showUrl(issue.input)} is not a valid URL` : `must be a URL, got ${showUrl(issue.input)}`) })
    .refine((url) => !URL.canParse(url) || (!new URL(url).username && !new URL(url).password), {
      error: 'must not carry a user name or password: it would be written into the task environment and the template; BOOP authenticates with your API key',
    });
}

/** A reason given for a choice that would otherwise be refused: one line of printable text; `why` says what to explain. */
export function reason(why: string) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? `missing; ${why}` : `must be text, got ${show(issue.input)}`) })
    .refine((text) => text.trim() !== '', { error: `missing; ${why}` })
    .refine((text) => text.length <= MAX_REASON_CHARACTERS, { error: `must be at most ${MAX_REASON_CHARACTERS} characters; say why in one line` })
    .refine((text) => /^[^\p{Cc}]*$/u.test(text), { error: 'must be one line without control characters' });
}

/**
 * An AWS region this aws-cdk-lib knows (the stack's mappings are keyed by them; any other would fail
 * synth with a stack trace), and one of SUPPORTED_REGIONS (elsewhere CloudFormation lacks a type the stack uses).
 */
export function awsRegion() {
  return text(REGION_NAME, 'an AWS region such as eu-west-1')
    .refine((region) => !REGION_NAME.test(region) || KNOWN_REGIONS.has(region), {
      error: (issue) => `${show(issue.input)} is not an AWS region this aws-cdk-lib version knows; check the spelling`,
      abort: true,
    })
    .refine((region) => !KNOWN_REGIONS.has(region) || (SUPPORTED_REGIONS as readonly string[]).includes(region), {
      error: (issue) =>
        `${show(issue.input)} is not a region boop-deploy supports (a commercial region where CloudFormation has every resource type the stack uses; China, GovCloud and isolated regions are not): choose one of ${SUPPORTED_REGIONS.join(', ')}`,
    });
}

const KNOWN_REGIONS = new Set(RegionInfo.regions.map((region) => region.name));

/** A container image with a tag or digest, within ECS's length (common/images.ts); the environment's own rules are in rules.ts. */
export function image() {
  // The pattern is what the JSON Schema shows editors; the message names the part of the rule the value breaks.
  const anyEnvironment = { production: false };
  return text().regex(new RegExp(imageParameterConstraint(anyEnvironment).allowedPattern), {
    error: (issue) => `${imageProblem(String(issue.input), anyEnvironment)}, got ${show(issue.input)}`,
  });
}

/** One tester network: canonical, and never wide enough to give the internet a path to green past the weights. */
export function testerCidr() {
  return z.string({ error: (issue) => `must be text such as "${TESTER_EXAMPLE}", got ${show(issue.input)}` }).superRefine((entry, ctx) => {
    const cidr = parseCidr(entry);
    if (!cidr) {
      const address = parseCidr(`${entry}/${entry.includes(':') ? 128 : 32}`);
      ctx.addIssue({
        code: 'custom',
        message: address
          ? `"${entry}" has no prefix length; for this one address write "${formatCidr(address)}"`
          : `"${entry}" is not an IPv4 or IPv6 CIDR such as ${TESTER_EXAMPLE} or 2001:db8::/48`,
      });
      return;
    }
    const widest = WIDEST_TESTER_PREFIX[cidr.version];
    if (cidr.prefix === 0) {
      ctx.addIssue({
        code: 'custom',
        message: `"${entry}" admits the whole internet, which would reopen the path to green: an X-Boop-Slot header from anyone would reach it past the weights, even at 0 % or after a rollback; list only your testers' networks`,
      });
    } else if (cidr.prefix < widest) {
      ctx.addIssue({
        code: 'custom',
        message: `"${entry}" is wider than /${widest} and would admit far more than your testers to green past the weights; list your testers' networks, each /${widest} or narrower`,
      });
    } else if (formatCidr(cidr) !== entry) {
      ctx.addIssue({
        code: 'custom',
        message: `"${entry}" is not in canonical form (lowercase, shortest, no address bits past the prefix); write "${formatCidr(cidr)}"`,
      });
    }
  });
}

/** The path prefix the WAF rate rule compares, as WAF compares it. */
export function wafPath() {
  const tooLong = (path: string) =>
    `WAF matches at most ${WAF_SEARCH_STRING_MAX_BYTES} bytes, got ${Buffer.byteLength(path, 'utf8')}; give a shorter path prefix`;
  return (
    text()
      // A pattern rather than startsWith, whose JSON Schema form is zod's own "starts_with" format, which no editor knows.
      .regex(/^\//, { error: (issue) => `must be a path starting with "/", got ${show(issue.input)}` })
      // maxLength counts characters; the refinement below counts the bytes WAF counts.
      .max(WAF_SEARCH_STRING_MAX_BYTES, { error: (issue) => tooLong(String(issue.input)) })
      .superRefine((path, ctx) => {
        if (!path.startsWith('/')) return;
        if (Buffer.byteLength(path, 'utf8') > WAF_SEARCH_STRING_MAX_BYTES) ctx.addIssue({ code: 'custom', message: tooLong(path) });
        else if (wafComparedPath(path) !== path) {
          ctx.addIssue({
            code: 'custom',
            message: `WAF compares the request path after decoding %XX, collapsing //, resolving ./ and ../ and lowercasing it, so "${path}" would never match; write "${wafComparedPath(path)}"`,
          });
        }
      })
  );
}

/** An e-mail address SNS can subscribe (no quotes, semicolons or spaces). */
export function email() {
  return z.email({
    error: (issue) => (typeof issue.input === 'string' ? `"${issue.input}" is not an email address` : `must be an email address, got ${show(issue.input)}`),
  });
}

/** The name of an SSM parameter, as a CloudFormation dynamic reference can carry it. */
export function ssmParameterName() {
  return text().superRefine((name, ctx) => ssmParameterNameProblems(name).forEach((message) => ctx.addIssue({ code: 'custom', message })));
}
