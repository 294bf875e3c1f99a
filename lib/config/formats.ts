/**
 * What a valid value looks like where AWS or BOOP fixes the format: image references, ARNs, CIDRs,
 * the path WAF compares, SSM parameter names, Fargate sizes. Plain functions and constants, no zod.
 */
import { isIPv4, isIPv6 } from 'net';
import { VENDOR_ID_PREFIX } from '../guides';

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

/** A container image reference: [registry[:port]/]repository[:tag][@sha256:digest]; group 1 is the tag, group 2 the digest. */
export const IMAGE_REFERENCE =
  /^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::([\w][\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/;

/** An ACM certificate ARN; group 1 is its region, group 2 its account. */
export const CERTIFICATE_ARN =
  /^arn:aws(?:-[a-z]+)*:acm:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):certificate\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A vendor id of either environment: its prefix, then letters, digits or _. */
export const VENDOR_ID = new RegExp(`^(?:${Object.values(VENDOR_ID_PREFIX).join('|')})[A-Za-z0-9_]+$`);
export const ACCOUNT_ID = /^\d{12}$/;
export const REGION_NAME = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
export const SLACK_WORKSPACE_ID = /^T[A-Z0-9]{8,}$/;
export const SLACK_CHANNEL_ID = /^[CG][A-Z0-9]{8,}$/;

/** The URL as a message may show it: user name and password replaced, so neither ever reaches a log. */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@');
}

/**
 * An SSM parameter name as a dynamic reference can carry it: a full path (so it cannot be a
 * relative name resolved somewhere unexpected) of letters, digits and `_ . - /`, no `:` or `}`.
 */
export const SSM_PARAMETER_PATH = /^\/[A-Za-z0-9_.\-/]+$/;
/** SSM allows a parameter name of at most this many characters (2048 minus 1037 reserved). */
export const SSM_PARAMETER_NAME_MAX_LENGTH = 1011;
/** SSM allows at most this many levels in a parameter hierarchy. */
export const SSM_PARAMETER_MAX_LEVELS = 15;

/** Problems with an SSM parameter name, in plain words; empty when it is one. */
export function ssmParameterNameProblems(name: string): string[] {
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
export function wafComparedPath(path: string): string {
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
export interface Cidr {
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
