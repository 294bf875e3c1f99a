/**
 * The value types of the configuration, each with its refusals in plain words ("must be ...,
 * got ..."): generic ones (whole numbers, text, lists, groups) and those whose form AWS or BOOP
 * fixes (BOOP URLs, images, tester CIDRs, the WAF path, e-mail, SSM parameter names).
 */
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { z } from 'zod';
import {
  formatCidr,
  IMAGE_REFERENCE,
  parseCidr,
  REGION_NAME,
  ssmParameterNameProblems,
  TESTER_EXAMPLE,
  WAF_SEARCH_STRING_MAX_BYTES,
  wafComparedPath,
  WIDEST_TESTER_PREFIX,
  withoutCredentials,
} from './formats';

/** An object with fixed fields, refusing unknown ones. */
export function group<S extends z.ZodRawShape>(shape: S) {
  const fields = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : `must be an object with the fields ${fields}, got ${show(issue.input)}`),
  });
}

/** The value as a message shows it: JSON, or "nothing". */
export function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

/** Whole numbers within min..max. (No z.int(): its refusal stops every later rule, and all problems are reported at once.) */
export function wholeNumber(min: number, max: number, why?: string) {
  const error = (issue: { readonly input?: unknown }) => `must be a whole number within ${min}..${max}${why ? ` (${why})` : ''}, got ${show(issue.input)}`;
  return z.number({ error }).min(min, { error }).max(max, { error }).multipleOf(1, { error });
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

/** BOOP's REST or WebSocket URL; the scheme and host rules depend on the environment (rules.ts). */
export function boopUrl() {
  return z
    .url({
      error: (issue) =>
        typeof issue.input === 'string' ? `"${withoutCredentials(issue.input)}" is not a valid URL` : `must be a URL, got ${show(issue.input)}`,
    })
    .refine((url) => URL.canParse(url) && !new URL(url).username && !new URL(url).password, {
      error: 'must not carry a user name or password: it would be written into the task environment and the template; BOOP authenticates with your API key',
    });
}

/** An AWS region this aws-cdk-lib knows (the stack's mappings are keyed by them; any other would fail synth with a stack trace). */
export function awsRegion() {
  return text(REGION_NAME, 'an AWS region such as eu-west-1').refine((region) => !REGION_NAME.test(region) || KNOWN_REGIONS.has(region), {
    error: (issue) => `${show(issue.input)} is not an AWS region this aws-cdk-lib version knows; check the spelling`,
  });
}

const KNOWN_REGIONS = new Set(RegionInfo.regions.map((region) => region.name));

/** A container image with a tag or digest. */
export function image() {
  return text(IMAGE_REFERENCE, 'a container image reference (registry/repository:tag or @sha256:digest)').refine(
    (reference) => {
      const match = IMAGE_REFERENCE.exec(reference);
      return !match || Boolean(match[1] || match[2]);
    },
    { error: (issue) => `${show(issue.input)} has no tag or digest; pin one so blue and green stay what you deployed` },
  );
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
      .startsWith('/', { error: (issue) => `must be a path starting with "/", got ${show(issue.input)}` })
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
