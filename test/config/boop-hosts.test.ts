/**
 * Keys go only to BOOP: in production boop.baseUrl and boop.wsEndpoint load only on BOOP's
 * production host (BOOP_HOSTS) or the configured trusted host, written exactly so, and every other
 * form of a host is refused naming its field. URLs are generated from their parts, so the expected
 * verdict comes from how each was built (property tests with a fixed seed), not from the rule.
 */
import fc from 'fast-check';
import { numRuns } from '../support/properties';
import { ConfigError, loadConfig } from '../../lib/config/load-config';
import { BOOP_ENDPOINTS, BOOP_HOSTS } from '../../lib/guides';
import { appContext, Json, prodExampleContext, REPO_ROOT } from '../support/context';
import { build } from '../support/synth';
import { STACK_OUTPUTS } from '../../common/payloads';

const FIELDS = { baseUrl: 'https://', wsEndpoint: 'wss://' } as const;
type Field = keyof typeof FIELDS;
const TRUSTED = { host: 'boop-egress.acme.example:8443', reason: 'our egress proxy to BOOP, change 1234' };

/** The problems of loading `context`, or none. */
function problems(context: Json): readonly string[] {
  try {
    loadConfig({ context, cwd: REPO_ROOT });
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
}

const trustedFlags = { 'boop.trustedHost.host': TRUSTED.host, 'boop.trustedHost.reason': TRUSTED.reason };

/** Hosts that are not BOOP's production host, each a way a key could leave for someone else. */
const FOREIGN_AUTHORITIES: readonly [string, string][] = [
  ['another domain', 'boop.example.com'],
  ['a suffix trick', `${BOOP_HOSTS.production}.evil.com`],
  ['a suffix trick on the dev host', 'boop.example.evil.com'],
  ['a prefix', `evil${BOOP_HOSTS.production}`],
  ['a subdomain', `api.${BOOP_HOSTS.production}`],
  ['the dev host', BOOP_HOSTS.development],
  ['a Cyrillic look-alike', BOOP_HOSTS.production.replace('a', '\u0430')],
  ['a punycode look-alike', 'xn--pp-8kc.boop.it'],
  ['a digit look-alike', BOOP_HOSTS.production.replace('o', '0')],
  ['userinfo before the host', `user@${BOOP_HOSTS.production}`],
  ['the host as userinfo', `${BOOP_HOSTS.production}@evil.com`],
  ['an explicit port', `${BOOP_HOSTS.production}:443`],
  ['another port', `${BOOP_HOSTS.production}:8443`],
  ['an IPv4 literal', '203.0.113.7'],
  ['an IPv4 literal in decimal', '3405803783'],
  ['an IPv6 literal', '[2001:db8::7]'],
  ['uppercase', BOOP_HOSTS.production.toUpperCase()],
  ['mixed case', 'App.Boop.It'],
  ['a trailing dot', `${BOOP_HOSTS.production}.`],
  ['percent-encoding', BOOP_HOSTS.production.replace('.', '%2E')],
  ['the trusted host without its port', TRUSTED.host.split(':')[0]],
  ['the trusted host on another port', `${TRUSTED.host.split(':')[0]}:9443`],
];

/** What may follow the host: a path keeps the request on the host; anything else is refused. */
const PATHS = ['', '/', '/ws/vendor', '/v1/health'];
const NOT_PATHS = ['?next=https://evil.com', '#fragment', '\\evil.com', '/?q', ':443/'];

describe("in production, each BOOP URL is accepted exactly on BOOP's production host or the trusted host", () => {
  const field = fc.constantFrom<Field>('baseUrl', 'wsEndpoint');
  const trusted = fc.boolean();

  test('a URL built on an allowed host with only a path after it loads', () => {
    fc.assert(
      fc.property(field, trusted, fc.constantFrom(...PATHS), fc.boolean(), (name, withTrusted, path, onTrusted) => {
        const host = onTrusted && withTrusted ? TRUSTED.host : BOOP_HOSTS.production;
        const url = `${FIELDS[name]}${host}${path}`;
        expect(problems(prodExampleContext({ [`boop.${name}`]: url, ...(withTrusted ? trustedFlags : {}) }))).toEqual([]);
      }),
      { numRuns: numRuns(60) },
    );
  });

  test('a URL on any other host, or with anything but a path after it, is refused naming its field and never loads', () => {
    fc.assert(
      fc.property(
        field,
        trusted,
        fc.oneof(
          // Another host in any form, followed by a path.
          fc.tuple(fc.constantFrom(...FOREIGN_AUTHORITIES.map(([, authority]) => authority)), fc.constantFrom(...PATHS)),
          // An allowed host followed by something that is not a path.
          fc.tuple(fc.constantFrom(BOOP_HOSTS.production, TRUSTED.host), fc.constantFrom(...NOT_PATHS)),
        ),
        fc.constantFrom('', 'HTTPS://', 'https:/', 'http://', 'ws://'),
        (name, withTrusted, [authority, rest], otherScheme) => {
          const url = `${otherScheme || FIELDS[name]}${authority}${rest}`;
          const found = problems(prodExampleContext({ [`boop.${name}`]: url, ...(withTrusted ? trustedFlags : {}) }));
          expect(found.length).toBeGreaterThan(0);
          expect(found.some((problem) => problem.startsWith(`boop.${name}: `))).toBe(true);
        },
      ),
      { numRuns: numRuns(300) },
    );
  });

  test.each(FOREIGN_AUTHORITIES)('%s is refused for both URLs, naming the field', (_what, authority) => {
    for (const [name, scheme] of Object.entries(FIELDS)) {
      const found = problems(prodExampleContext({ [`boop.${name}`]: `${scheme}${authority}/ws/vendor`, ...trustedFlags }));
      expect(found).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^boop\\.${name}: `))]));
      // A user name or password never comes back in a message.
      expect(found.join('\n')).not.toContain('user@');
    }
  });

  test("the refusal names BOOP's host and the way to trust a host of your own", () => {
    expect(problems(prodExampleContext({ 'boop.baseUrl': 'https://boop.example.com' }))).toEqual([
      `boop.baseUrl: in production the vendor id and API keys go only to BOOP's production host ${BOOP_HOSTS.production}, written exactly so, with nothing but a path after it; got "https://boop.example.com"; use ${BOOP_ENDPOINTS.production.baseUrl}, or name your own egress proxy in boop.trustedHost with a reason`,
    ]);
  });
});

describe('boop.trustedHost', () => {
  test.each([
    ['without a reason', { 'boop.trustedHost.host': TRUSTED.host }, /^boop\.trustedHost\.reason: missing/],
    ['with a blank reason', { 'boop.trustedHost.host': TRUSTED.host, 'boop.trustedHost.reason': '   ' }, /^boop\.trustedHost\.reason: missing/],
    ['with a reason of two lines', { ...trustedFlags, 'boop.trustedHost.reason': 'proxy\nINC-1' }, /^boop\.trustedHost\.reason: must be one line/],
    ['as a URL', { ...trustedFlags, 'boop.trustedHost.host': `https://${TRUSTED.host}` }, /^boop\.trustedHost\.host: must be a host name/],
    ['as an IP literal', { ...trustedFlags, 'boop.trustedHost.host': '203.0.113.7' }, /^boop\.trustedHost\.host: must be a host name/],
    ['in uppercase', { ...trustedFlags, 'boop.trustedHost.host': TRUSTED.host.toUpperCase() }, /^boop\.trustedHost\.host: must be a host name/],
    ['with a trailing dot', { ...trustedFlags, 'boop.trustedHost.host': 'boop-egress.acme.example.' }, /^boop\.trustedHost\.host: must be a host name/],
    ['with user info', { ...trustedFlags, 'boop.trustedHost.host': `user@${TRUSTED.host}` }, /^boop\.trustedHost\.host: must be a host name/],
  ])('%s is refused, naming the field', (_what, flags, expected) => {
    expect(problems(prodExampleContext(flags))).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
  });

  test.each([BOOP_HOSTS.development, `${BOOP_HOSTS.development}:443`, `eu.${BOOP_HOSTS.development}`])(
    "as BOOP's development host (%s) is refused, naming the field",
    (host) => {
      expect(problems(prodExampleContext({ ...trustedFlags, 'boop.trustedHost.host': host }))).toEqual(
        expect.arrayContaining([expect.stringMatching(/^boop\.trustedHost\.host: is BOOP's development host/)]),
      );
    },
  );

  test("naming BOOP's development host as trusted does not let production send its keys there", () => {
    const flags = {
      ...trustedFlags,
      'boop.trustedHost.host': BOOP_HOSTS.development,
      ...Object.fromEntries(Object.entries(BOOP_ENDPOINTS.development).map(([field, url]) => [`boop.${field}`, url])),
    };
    const found = problems(prodExampleContext(flags));
    for (const field of Object.keys(FIELDS))
      expect(found).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^boop\\.${field}: Development URL detected`))]));
  });

  test('a dev environment still never points at production BOOP', () => {
    expect(problems(appContext({ 'env': 'dev', 'boop.baseUrl': BOOP_ENDPOINTS.production.baseUrl }))).toEqual([
      expect.stringMatching(/^boop\.baseUrl: dev talks to BOOP development but points at production BOOP/),
    ]);
  });

  test('the stack tells rollout status where the keys go, and why a trusted host may have them', () => {
    // The REST calls go through the proxy, the WebSocket straight to BOOP: both hosts are listed.
    const { template } = build('prod', { ...trustedFlags, 'boop.baseUrl': `https://${TRUSTED.host}` });
    expect(template.toJSON().Outputs[STACK_OUTPUTS.boopHosts].Value).toBe(
      `${TRUSTED.host}, ${BOOP_HOSTS.production}; ${TRUSTED.host} is a trusted host, not BOOP's: ${TRUSTED.reason}`,
    );
  });
});
