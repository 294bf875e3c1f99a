/**
 * Configuration: what `loadConfig` accepts and, above all, what it refuses. Every bad case starts
 * from a valid configuration (dev: the defaults plus cdk.json; prod: the defaults plus
 * examples/prod.json given as `-c configFile=`), breaks one thing, and expects a ConfigError whose
 * problems name the field that is wrong.
 */
import fc from 'fast-check';
import { numRuns, propertyParameters } from '../support/properties';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BUILT_IN_ENVIRONMENTS, DEFAULT_ENVIRONMENT, IMAGE_PARAMETERS, MAX_ENVIRONMENT_NAME_LENGTH } from '../../common/names';
import { Slot, SLOTS } from '../../common/slots';
import { declaredFields, formatPath, groupFields } from '../../lib/config/fields';
import {
  LOG_RETENTION_DAYS,
  MAX_TESTER_CIDRS,
  SSM_PARAMETER_MAX_LEVELS,
  SSM_PARAMETER_NAME_MAX_LENGTH,
  WAF_SEARCH_STRING_MAX_BYTES,
  WIDEST_TESTER_PREFIX,
} from '../../lib/config/formats';
import { ConfigError, ENVIRONMENT_DEFAULTS, ENVIRONMENTS_CONTEXT_KEY, loadConfig } from '../../lib/config/load-config';
import { PRODUCTION_SAFETY, Waiver, WAIVERS } from '../../lib/config/production-safety';
import { settingsSchema } from '../../lib/config/schema';
import { BOOP_CLIENT_DEFAULTS, BOOP_ENDPOINTS, PRODUCTION_ROLLOUT, VENDOR_ID_PREFIX } from '../../lib/guides';
import { THRESHOLDS } from '../../lib/monitoring/thresholds';
import { appContext, cdkJsonContext, Json, PROD_EXAMPLE_FILE, prodExample, prodExampleContext, REPO_ROOT } from '../support/context';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'boop-config-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A config file that is not JSON. */
const BROKEN_JSON_FILE = path.join(tmp, 'broken.json');
fs.writeFileSync(BROKEN_JSON_FILE, '{ "boop": { "vendorId": "ven_live_x", }');

// ---------------------------------------------------------------------------------------------
// Building a configuration: a valid base, one thing changed.

type EnvName = 'dev' | 'prod';

interface Change {
  /** Field path → value, written into the environment's overrides (dev: cdk.json; prod: the config file). */
  readonly set?: Json;
  /** Field paths removed from the environment's overrides. */
  readonly unset?: readonly string[];
  /** `-c key=value` flags; the CLI hands them over as strings. */
  readonly flags?: Json;
}

interface BadConfig extends Change {
  readonly env: EnvName;
  /** A problem matching this must be reported. */
  readonly expected: RegExp;
  /** Text that no problem may repeat (a password, a key). */
  readonly neverShown?: string;
}

function setPath(target: Json, fieldPath: string, value: unknown): void {
  const segments = fieldPath.split('.');
  let node = target;
  for (const segment of segments.slice(0, -1)) {
    if (typeof node[segment] !== 'object' || node[segment] === null) node[segment] = {};
    node = node[segment] as Json;
  }
  node[segments[segments.length - 1]] = value;
}

function unsetPath(target: Json, fieldPath: string): void {
  const segments = fieldPath.split('.');
  let node: Json | undefined = target;
  for (const segment of segments.slice(0, -1)) node = node?.[segment] as Json | undefined;
  if (node) delete node[segments[segments.length - 1]];
}

function applyChange(overrides: Json, change: Change): Json {
  for (const [fieldPath, value] of Object.entries(change.set ?? {})) setPath(overrides, fieldPath, value);
  for (const fieldPath of change.unset ?? []) unsetPath(overrides, fieldPath);
  return overrides;
}

let fileCounter = 0;

/**
 * The context the app would see. dev: cdk.json's context with its `boop:environments.dev` changed.
 * prod: cdk.json's context plus `-c env=prod -c configFile=<examples/prod.json, changed>`.
 */
function contextFor(env: EnvName, change: Change = {}): Json {
  const context = cdkJsonContext();
  if (env === 'dev') {
    const environments = context[ENVIRONMENTS_CONTEXT_KEY] as Json;
    environments.dev = applyChange(environments.dev as Json, change);
    return { ...context, ...change.flags };
  }
  const file = path.join(tmp, `prod-${++fileCounter}.json`);
  fs.writeFileSync(file, JSON.stringify(applyChange(prodExample(), change)));
  return { ...context, env: 'prod', configFile: file, ...change.flags };
}

/** The error of a configuration that must be refused. */
function refusal(context: Json): ConfigError {
  let error: unknown;
  try {
    loadConfig({ context });
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

/** The problems of a configuration that must be refused. */
function problemsOf(context: Json): readonly string[] {
  return refusal(context).problems;
}

/** A group's field names, in declaration order, as "known fields here" lists them. */
function fieldsOf(...path: string[]): string {
  return Object.keys(path.reduce((fields, name) => groupFields(fields[name])!, groupFields(settingsSchema)!)).join(', ');
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// Rows of the threshold table picked by what they measure, so the cases follow the table.
const PERCENT_ROW = THRESHOLDS.find((row) => row.unit === 'percent')!;
const MILLISECONDS_ROW = THRESHOLDS.find((row) => row.unit === 'milliseconds')!;
const ANY_ROW = THRESHOLDS[0];
/** A row that alarms on M of N periods with M > 1. */
const M_OF_N_ROW = THRESHOLDS.find((row) => row.datapointsToAlarm > 1)!;

const PROD_CERTIFICATE = (prodExample().loadBalancer as Json).certificateArn as string;
const [, , , CERTIFICATE_REGION, CERTIFICATE_ACCOUNT] = PROD_CERTIFICATE.split(':');
const OTHER_REGION = CERTIFICATE_REGION === 'us-east-1' ? 'eu-west-1' : 'us-east-1';
const OTHER_ACCOUNT = CERTIFICATE_ACCOUNT === '444455556666' ? '777788889999' : '444455556666';
const PROD_BLUE_IMAGE = ((prodExample().service as Json).images as Json).blue as string;
const PAGERDUTY_URL_WITH_KEY = 'https://events.pagerduty.com/integration/0123456789abcdef0123456789abcdef/enqueue';
const PASSWORD = 'not-a-real-password';
/** A password with a `/`, which ends a URL's host part, so the URL no longer parses. */
const SLASHED_PASSWORD = 'not/a-real-password';
/** A value nested deeper than the stack allows rendering it recursively. */
const DEEPLY_NESTED = `${'['.repeat(6000)}${']'.repeat(6000)}`;
const IMAGE_REPOSITORY = PROD_BLUE_IMAGE.slice(0, PROD_BLUE_IMAGE.lastIndexOf(':'));

/** The one-line refusal of `-c service.images.<slot>`, naming the slot's image parameter and the deploy command. */
function imageFlagRefusal(env: EnvName, slot: Slot): RegExp {
  return new RegExp(
    `^-c service\\.images\\.${slot}: an image given with -c lasts one deploy; change the ${slot} slot's image with npx cdk deploy -c env=${env} --parameters ${IMAGE_PARAMETERS[slot]}=<image>, which later deploys keep$`,
  );
}

// ---------------------------------------------------------------------------------------------

describe('the bases the bad cases start from', () => {
  test.each(['dev', 'prod'] as const)('the %s base loads without problems', (env) => {
    expect(() => loadConfig({ context: contextFor(env) })).not.toThrow();
  });

  test("dev: no -c env means dev, with cdk.json's values over the defaults", () => {
    const config = loadConfig({ context: appContext() });
    const cdkDev = (cdkJsonContext()[ENVIRONMENTS_CONTEXT_KEY] as Record<string, Json>).dev;
    expect(config.envName).toBe(DEFAULT_ENVIRONMENT);
    expect(config.boop.vendorId).toBe((cdkDev.boop as Json).vendorId);
    expect(config.service.images).toEqual((cdkDev.service as Json).images);
    // Objects merge: the fields cdk.json does not set keep the defaults.
    expect(config.boop.baseUrl).toBe(BOOP_ENDPOINTS.development.baseUrl);
    expect(config.boop.wsEndpoint).toBe(BOOP_ENDPOINTS.development.wsEndpoint);
    expect(config.boop.apiTimeoutMs).toBe(BOOP_CLIENT_DEFAULTS.apiTimeoutMs);
    expect(config.service.cpu).toBe(ENVIRONMENT_DEFAULTS.development.service.cpu);
  });

  test('prod: -c configFile=examples/prod.json (relative to the working directory) loads the example', () => {
    const config = loadConfig({ context: prodExampleContext() });
    const example = prodExample();
    expect(config.envName).toBe('prod');
    expect(config.boop.vendorId).toBe((example.boop as Json).vendorId);
    expect(config.loadBalancer.certificateArn).toBe(PROD_CERTIFICATE);
    expect(config.service.images).toEqual((example.service as Json).images);
    expect(config.boop.baseUrl).toBe(BOOP_ENDPOINTS.production.baseUrl);
    expect(config.boop.wsEndpoint).toBe(BOOP_ENDPOINTS.production.wsEndpoint);
    // The migration guide's staged rollout is prod's default.
    expect(config.rollout.steps).toEqual(PRODUCTION_ROLLOUT.steps);
    expect(config.rollout.bakeTimeHours).toBe(PRODUCTION_ROLLOUT.bakeTimeHours);
  });
});

const BAD_CONFIGS: ReadonlyArray<[string, BadConfig]> = [
  // The BOOP connection.
  ['dev: vendorId missing', { env: 'dev', unset: ['boop.vendorId'], expected: /^boop\.vendorId: missing/ }],
  ['prod: vendorId missing', { env: 'prod', unset: ['boop.vendorId'], expected: /^boop\.vendorId: missing/ }],
  [
    'prod: a dev vendor id',
    {
      env: 'prod',
      set: { 'boop.vendorId': `${VENDOR_ID_PREFIX.development}acme` },
      expected: new RegExp(`^boop\\.vendorId: must start with "${VENDOR_ID_PREFIX.production}" against BOOP production`),
    },
  ],
  [
    'dev: a live vendor id',
    {
      env: 'dev',
      set: { 'boop.vendorId': `${VENDOR_ID_PREFIX.production}acme` },
      expected: new RegExp(`^boop\\.vendorId: must start with "${VENDOR_ID_PREFIX.development}"`),
    },
  ],
  [
    'dev: a vendor id with a space',
    {
      env: 'dev',
      set: { 'boop.vendorId': `${VENDOR_ID_PREFIX.development}acme corp` },
      expected: new RegExp(
        `^boop\\.vendorId: must be ${VENDOR_ID_PREFIX.development}\\.\\.\\. or ${VENDOR_ID_PREFIX.production}\\.\\.\\. followed by letters, digits or _, got "${VENDOR_ID_PREFIX.development}acme corp"$`,
      ),
    },
  ],
  ['dev: malformed baseUrl', { env: 'dev', set: { 'boop.baseUrl': 'dev.app.boop.it' }, expected: /^boop\.baseUrl: "dev\.app\.boop\.it" is not a valid URL/ }],
  [
    'prod: http:// baseUrl',
    {
      env: 'prod',
      set: { 'boop.baseUrl': BOOP_ENDPOINTS.production.baseUrl.replace('https:', 'http:') },
      expected: /^boop\.baseUrl: must use https in production/,
    },
  ],
  [
    'prod: ws:// wsEndpoint',
    {
      env: 'prod',
      set: { 'boop.wsEndpoint': BOOP_ENDPOINTS.production.wsEndpoint.replace('wss:', 'ws:') },
      expected: /^boop\.wsEndpoint: must use wss in production/,
    },
  ],
  [
    'prod: development BOOP baseUrl',
    {
      env: 'prod',
      set: { 'boop.baseUrl': BOOP_ENDPOINTS.development.baseUrl },
      expected: /^boop\.baseUrl: Development URL detected in production/,
    },
  ],
  [
    'prod: development BOOP wsEndpoint',
    {
      env: 'prod',
      set: { 'boop.wsEndpoint': BOOP_ENDPOINTS.development.wsEndpoint },
      expected: /^boop\.wsEndpoint: Development URL detected in production/,
    },
  ],
  [
    'dev: pointing at production BOOP (baseUrl)',
    {
      env: 'dev',
      set: { 'boop.baseUrl': BOOP_ENDPOINTS.production.baseUrl },
      expected: /^boop\.baseUrl: dev talks to BOOP development but points at production BOOP/,
    },
  ],
  [
    'dev: pointing at production BOOP (wsEndpoint)',
    {
      env: 'dev',
      set: { 'boop.wsEndpoint': BOOP_ENDPOINTS.production.wsEndpoint },
      expected: /^boop\.wsEndpoint: dev talks to BOOP development but points at production BOOP/,
    },
  ],
  [
    'prod: the development host written with a trailing dot ("https://dev.app.boop.it.")',
    {
      env: 'prod',
      set: { 'boop.baseUrl': BOOP_ENDPOINTS.development.baseUrl.replace(/\/?$/, '.') },
      expected: /^boop\.baseUrl: Development URL detected in production/,
    },
  ],
  [
    'prod: the development WebSocket host with a trailing dot',
    {
      env: 'prod',
      set: { 'boop.wsEndpoint': BOOP_ENDPOINTS.development.wsEndpoint.replace('.boop.it/', '.boop.it./') },
      expected: /^boop\.wsEndpoint: Development URL detected in production/,
    },
  ],
  [
    'dev: the production host with a trailing dot',
    {
      env: 'dev',
      set: { 'boop.baseUrl': `${BOOP_ENDPOINTS.production.baseUrl}.` },
      expected: /^boop\.baseUrl: dev talks to BOOP development but points at production BOOP/,
    },
  ],
  [
    'prod: a base URL with user:password@ (the password is never shown)',
    {
      env: 'prod',
      set: { 'boop.baseUrl': BOOP_ENDPOINTS.production.baseUrl.replace('://', `://user:${PASSWORD}@`) },
      expected: /^boop\.baseUrl: must not carry a user name or password/,
      neverShown: PASSWORD,
    },
  ],
  [
    'prod: an http:// base URL with a password: refused for both, the password never shown',
    {
      env: 'prod',
      set: { 'boop.baseUrl': BOOP_ENDPOINTS.production.baseUrl.replace('https://', `http://user:${PASSWORD}@`) },
      expected: /^boop\.baseUrl: must use https in production, got "http:\/\/\*\*\*@/,
      neverShown: PASSWORD,
    },
  ],
  [
    'dev: a WebSocket endpoint with a user name',
    {
      env: 'dev',
      set: { 'boop.wsEndpoint': BOOP_ENDPOINTS.development.wsEndpoint.replace('://', '://vendor@') },
      expected: /^boop\.wsEndpoint: must not carry a user name or password/,
    },
  ],
  [
    'dev: -c boop.baseUrl=https//user:password@... (no colon: not a URL, the password never shown)',
    {
      env: 'dev',
      flags: { 'boop.baseUrl': BOOP_ENDPOINTS.development.baseUrl.replace('://', `//user:${PASSWORD}@`) },
      expected: new RegExp(`^boop\\.baseUrl: "https//\\*\\*\\*@${escape(new URL(BOOP_ENDPOINTS.development.baseUrl).host)}" is not a valid URL$`),
      neverShown: PASSWORD,
    },
  ],
  [
    'prod: a base URL whose password holds a / (not a URL, the password never shown)',
    {
      env: 'prod',
      set: { 'boop.baseUrl': BOOP_ENDPOINTS.production.baseUrl.replace('://', `://user:${SLASHED_PASSWORD}@`) },
      expected: /^boop\.baseUrl: "https:\/\/\*\*\*@.*" is not a valid URL$/,
      neverShown: SLASHED_PASSWORD,
    },
  ],
  [
    'dev: -c boop.wsEndpoint=\'["wss://user:password@..."]\' (a list, never shown)',
    {
      env: 'dev',
      flags: { 'boop.wsEndpoint': JSON.stringify([BOOP_ENDPOINTS.development.wsEndpoint.replace('://', `://user:${PASSWORD}@`)]) },
      expected: /^boop\.wsEndpoint: must be a URL, got a list$/,
      neverShown: PASSWORD,
    },
  ],
  [
    '-c boop=<a URL with a password> (a section given a URL: the password never shown)',
    {
      env: 'dev',
      flags: { boop: BOOP_ENDPOINTS.development.baseUrl.replace('://', `://user:${PASSWORD}@`) },
      expected: /^boop: must be an object with the fields .*, got "https:\/\/\*\*\*@/,
      neverShown: PASSWORD,
    },
  ],
  [
    'dev: -c boop.maxRetries=[[[…]]] nested 6000 deep (a stack overflow before)',
    { env: 'dev', flags: { 'boop.maxRetries': DEEPLY_NESTED }, expected: /^boop\.maxRetries: must be a whole number within \d+\.\.\d+, got \[+…\]+$/ },
  ],
  [
    'dev: -c boop.maxRetries=1e400 (said "got null" before)',
    {
      env: 'dev',
      flags: { 'boop.maxRetries': '1e400' },
      expected: /^boop\.maxRetries: must be a whole number within \d+\.\.\d+, got Infinity \(not a finite number\)$/,
    },
  ],
  ['prod: enforceHttps false', { env: 'prod', set: { 'boop.enforceHttps': false }, expected: /^boop\.enforceHttps: must be true in production/ }],
  ['dev: enforceHttps "yes"', { env: 'dev', set: { 'boop.enforceHttps': 'yes' }, expected: /^boop\.enforceHttps: must be true or false/ }],
  [
    'prod: rotation date 2027-02-30',
    {
      env: 'prod',
      set: { 'boop.keyRotationDate': '2027-02-30' },
      expected: /^boop\.keyRotationDate: must be a calendar date written YYYY-MM-DD, got "2027-02-30"/,
    },
  ],
  [
    'prod: rotation date "next tuesday"',
    {
      env: 'prod',
      set: { 'boop.keyRotationDate': 'next tuesday' },
      expected: /^boop\.keyRotationDate: must be a calendar date written YYYY-MM-DD, got "next tuesday"/,
    },
  ],

  [
    'prod: the key-parameter KMS key given as an alias',
    { env: 'prod', set: { 'boop.apiKeyKmsKeyArn': 'alias/boop-keys' }, expected: /^boop\.apiKeyKmsKeyArn: must be a KMS key ARN .*not an alias/ },
  ],
  [
    'prod: the key-parameter KMS key from another region than the stack',
    {
      env: 'prod',
      set: {
        'account': CERTIFICATE_ACCOUNT,
        'region': CERTIFICATE_REGION,
        'network.availabilityZones': [`${CERTIFICATE_REGION}a`, `${CERTIFICATE_REGION}b`],
        'boop.apiKeyKmsKeyArn': `arn:aws:kms:${OTHER_REGION}:${CERTIFICATE_ACCOUNT}:key/0f1e2d3c-4b5a-4968-8776-655443322110`,
      },
      expected: new RegExp(`^boop\\.apiKeyKmsKeyArn: the key is in ${OTHER_REGION} but the stack is in ${CERTIFICATE_REGION}`),
    },
  ],
  [
    'prod: the key-parameter KMS key of another account than the stack',
    {
      env: 'prod',
      set: {
        'account': CERTIFICATE_ACCOUNT,
        'region': CERTIFICATE_REGION,
        'network.availabilityZones': [`${CERTIFICATE_REGION}a`, `${CERTIFICATE_REGION}b`],
        'boop.apiKeyKmsKeyArn': `arn:aws:kms:${CERTIFICATE_REGION}:${OTHER_ACCOUNT}:key/0f1e2d3c-4b5a-4968-8776-655443322110`,
      },
      expected: new RegExp(`^boop\\.apiKeyKmsKeyArn: the key belongs to account ${OTHER_ACCOUNT} but the stack is in ${CERTIFICATE_ACCOUNT}`),
    },
  ],

  // The rollout.
  ['prod: rollout steps not rising', { env: 'prod', set: { 'rollout.steps': [5, 50, 25, 100] }, expected: /^rollout\.steps: must rise strictly/ }],
  [
    'prod: a rollout step of 0',
    { env: 'prod', set: { 'rollout.steps': [0, 50, 100] }, expected: /^rollout\.steps\[0\]: must be a whole number within 1\.\.100 .*got 0$/ },
  ],
  [
    'prod: a rollout step above 100',
    { env: 'prod', set: { 'rollout.steps': [5, 50, 100, 150] }, expected: /^rollout\.steps\[3\]: must be a whole number within 1\.\.100 .*got 150$/ },
  ],
  ['prod: rollout steps not ending at 100', { env: 'prod', set: { 'rollout.steps': [5, 25, 50] }, expected: /^rollout\.steps: must end at 100/ }],
  ['prod: no rollout steps', { env: 'prod', set: { 'rollout.steps': [] }, expected: /^rollout\.steps: must list at least one step/ }],
  [
    'prod: a fractional rollout step',
    { env: 'prod', set: { 'rollout.steps': [5, 12.5, 100] }, expected: /^rollout\.steps\[1\]: must be a whole number within 1\.\.100 .*got 12\.5$/ },
  ],
  [
    'dev: -c rollout.steps=50 (not a list)',
    {
      env: 'dev',
      flags: { 'rollout.steps': '50' },
      expected: new RegExp(`^rollout\\.steps: must be a list of whole percentages such as \\[${PRODUCTION_ROLLOUT.steps.join(', ')}\\], got 50$`),
    },
  ],
  ['prod: negative bakeTimeHours', { env: 'prod', set: { 'rollout.bakeTimeHours': -1 }, expected: /^rollout\.bakeTimeHours: must be a number within 0\.\./ }],

  // Alarm threshold overrides.
  [
    `prod: ${PERCENT_ROW.name} threshold above 100 %`,
    {
      env: 'prod',
      set: { [`alarms.overrides.${PERCENT_ROW.name}.threshold`]: 150 },
      expected: new RegExp(`^alarms\\.overrides\\.${PERCENT_ROW.name}\\.threshold: must be a number between 0 and 100`),
    },
  ],
  [
    `dev: ${MILLISECONDS_ROW.name} threshold of negative milliseconds`,
    {
      env: 'dev',
      set: { [`alarms.overrides.${MILLISECONDS_ROW.name}.threshold`]: -500 },
      expected: new RegExp(`^alarms\\.overrides\\.${MILLISECONDS_ROW.name}\\.threshold: must be a whole number within 1\\.\\.`),
    },
  ],
  [
    'prod: unknown alarm name in alarms.overrides',
    {
      env: 'prod',
      set: { 'alarms.overrides.NOT_AN_ALARM.threshold': 1 },
      expected: new RegExp(
        `^config file .*: unknown field "alarms\\.overrides\\.NOT_AN_ALARM"; known fields here: ${THRESHOLDS.map((row) => row.name).join(', ')}$`,
      ),
    },
  ],
  [
    'prod: an alarm name one letter off',
    {
      env: 'prod',
      set: { [`alarms.overrides.${ANY_ROW.name.slice(0, -1)}.threshold`]: 1 },
      expected: new RegExp(
        `^config file .*: unknown field "alarms\\.overrides\\.${ANY_ROW.name.slice(0, -1)}"; did you mean "alarms\\.overrides\\.${ANY_ROW.name}"\\?$`,
      ),
    },
  ],
  [
    'prod: an override field that is not a number of the row',
    {
      env: 'prod',
      set: { [`alarms.overrides.${ANY_ROW.name}.severity`]: 'low' },
      expected: new RegExp(
        `^config file .*: unknown field "alarms\\.overrides\\.${ANY_ROW.name}\\.severity"; known fields here: threshold, periodMinutes, evaluationPeriods, datapointsToAlarm$`,
      ),
    },
  ],
  [
    `dev: -c alarms.overrides.${ANY_ROW.name}=null (crashed with a stack trace before)`,
    {
      env: 'dev',
      flags: { [`alarms.overrides.${ANY_ROW.name}`]: 'null' },
      expected: new RegExp(
        `^alarms\\.overrides\\.${ANY_ROW.name}: must be an object with the fields threshold, periodMinutes, evaluationPeriods, datapointsToAlarm, got null$`,
      ),
    },
  ],
  [
    `dev: -c alarms.overrides.${ANY_ROW.name}=5 (ignored before)`,
    {
      env: 'dev',
      flags: { [`alarms.overrides.${ANY_ROW.name}`]: '5' },
      expected: new RegExp(
        `^alarms\\.overrides\\.${ANY_ROW.name}: must be an object with the fields threshold, periodMinutes, evaluationPeriods, datapointsToAlarm, got 5$`,
      ),
    },
  ],
  [
    `prod: ${M_OF_N_ROW.name} evaluationPeriods lowered below the row's datapointsToAlarm`,
    {
      env: 'prod',
      set: { [`alarms.overrides.${M_OF_N_ROW.name}.evaluationPeriods`]: M_OF_N_ROW.datapointsToAlarm - 1 },
      expected: new RegExp(
        `^alarms\\.overrides\\.${M_OF_N_ROW.name}\\.evaluationPeriods: must not be below the table's datapointsToAlarm \\(${M_OF_N_ROW.datapointsToAlarm}\\)`,
      ),
    },
  ],
  [
    'prod: an alarm window longer than a day',
    {
      env: 'prod',
      set: { [`alarms.overrides.${ANY_ROW.name}.periodMinutes`]: 60, [`alarms.overrides.${ANY_ROW.name}.evaluationPeriods`]: 25 },
      expected: new RegExp(`^alarms\\.overrides\\.${ANY_ROW.name}: periodMinutes × evaluationPeriods must not exceed one day \\(CloudWatch\\), got 60 × 25$`),
    },
  ],
  [
    'prod: datapointsToAlarm above evaluationPeriods',
    {
      env: 'prod',
      set: { [`alarms.overrides.${ANY_ROW.name}.datapointsToAlarm`]: ANY_ROW.evaluationPeriods + 1 },
      expected: new RegExp(`^alarms\\.overrides\\.${ANY_ROW.name}\\.datapointsToAlarm: must not exceed evaluationPeriods \\(${ANY_ROW.evaluationPeriods}\\)`),
    },
  ],

  // The services.
  [
    'dev: malformed image reference',
    {
      env: 'dev',
      set: { 'service.images.blue': 'Boop Integration:1' },
      expected: /^service\.images\.blue: must be a container image reference \(registry\/repository:tag or @sha256:digest\), got "Boop Integration:1"$/,
    },
  ],
  [
    'dev: image without a tag',
    {
      env: 'dev',
      set: { 'service.images.green': 'public.ecr.aws/your-registry/boop-integration' },
      expected: /^service\.images\.green: needs a tag or digest: pin one .*, got "public\.ecr\.aws\/your-registry\/boop-integration"$/,
    },
  ],
  [
    'prod: image :latest',
    { env: 'prod', set: { 'service.images.green': `${IMAGE_REPOSITORY}:latest` }, expected: /^service\.images\.green: "latest" moves under you/ },
  ],
  [
    'prod: blue and green from two repositories',
    {
      env: 'prod',
      set: { 'service.images.green': 'public.ecr.aws/acme/boop-integration:3.0.0' },
      expected: new RegExp(`^service\\.images\\.green: must come from ${escape(IMAGE_REPOSITORY)}, the one repository of both slots in production`),
    },
  ],
  [
    "dev: an image name past ECS's 255 characters",
    {
      env: 'dev',
      set: { 'service.images.blue': `registry.example/${'a'.repeat(250)}:1` },
      expected: /^service\.images\.blue: must be at most 255 characters before any @digest/,
    },
  ],
  ['prod: green image missing', { env: 'prod', unset: ['service.images.green'], expected: /^service\.images\.green: missing/ }],
  // An image given with -c lasted one deploy; the next deploy without the flag put the configured image back on a live slot.
  ...SLOTS.flatMap((slot): Array<[string, BadConfig]> => [
    [
      `prod: -c service.images.${slot}`,
      { env: 'prod', flags: { [`service.images.${slot}`]: `${IMAGE_REPOSITORY}:9.9.9` }, expected: imageFlagRefusal('prod', slot) },
    ],
    [
      `dev: -c service.images as JSON naming ${slot}`,
      { env: 'dev', flags: { 'service.images': JSON.stringify({ [slot]: 'repo/x:2' }) }, expected: imageFlagRefusal('dev', slot) },
    ],
  ]),
  [
    'dev: a Fargate memory size the CPU does not allow',
    {
      env: 'dev',
      set: { 'service.cpu': 256, 'service.memoryMiB': 4096 },
      expected: /^service\.memoryMiB: Fargate with 256 CPU units allows .* got 4096/,
    },
  ],
  ['dev: a CPU size Fargate does not offer', { env: 'dev', set: { 'service.cpu': 300 }, expected: /^service\.cpu: Fargate allows 256, 512, .* got 300/ }],
  [
    'dev: log retention of 10 days',
    {
      env: 'dev',
      set: { 'service.logRetentionDays': 10 },
      expected: new RegExp(`^service\\.logRetentionDays: must be one of ${LOG_RETENTION_DAYS.join(', ')}, got 10`),
    },
  ],
  [
    'dev: -c service.deregistrationDelaySeconds=1e-320 (a multiple of 1 to zod, accepted before)',
    {
      env: 'dev',
      flags: { 'service.deregistrationDelaySeconds': '1e-320' },
      expected: /^service\.deregistrationDelaySeconds: must be a whole number within \d+\.\.\d+, got 1e-320$/,
    },
  ],
  [
    'dev: -c service.desiredCount=1.0000000000000002 (accepted before)',
    {
      env: 'dev',
      flags: { 'service.desiredCount': '1.0000000000000002' },
      expected: /^service\.desiredCount: must be a whole number within \d+\.\.\d+, got 1\.0000000000000002$/,
    },
  ],
  [
    'dev: -c service.desiredCount=0',
    { env: 'dev', flags: { 'service.desiredCount': '0' }, expected: /^service\.desiredCount: must be a whole number within 1\.\..*, got 0/ },
  ],

  // The load balancer.
  [
    'prod: malformed certificate ARN',
    {
      env: 'prod',
      set: { 'loadBalancer.certificateArn': `arn:aws:acm:${CERTIFICATE_REGION}:${CERTIFICATE_ACCOUNT}:certificate/not-a-uuid` },
      expected: /^loadBalancer\.certificateArn: must be an ACM certificate ARN .*, got "arn:aws:acm:.*:certificate\/not-a-uuid"$/,
    },
  ],
  [
    'prod: no host name for the certificate',
    { env: 'prod', unset: ['loadBalancer.hostName'], expected: /^loadBalancer\.hostName: production needs the DNS name your certificate is for/ },
  ],
  [
    'dev: a certificate without a host name',
    {
      env: 'dev',
      set: { 'loadBalancer.certificateArn': `arn:aws:acm:${CERTIFICATE_REGION}:${CERTIFICATE_ACCOUNT}:certificate/00000000-0000-4000-8000-000000000000` },
      expected: /^loadBalancer\.hostName: required with loadBalancer\.certificateArn/,
    },
  ],
  [
    'prod: a wildcard host name',
    {
      env: 'prod',
      set: { 'loadBalancer.hostName': '*.example.com' },
      expected: /^loadBalancer\.hostName: must be a DNS name in lowercase .*, got "\*\.example\.com"$/,
    },
  ],
  [
    'prod: healthCheck.timeoutSeconds beyond what fits in a minute',
    { env: 'prod', set: { 'healthCheck.timeoutSeconds': 45 }, expected: /^healthCheck\.timeoutSeconds: .*30/ },
  ],
  [
    'prod: no certificate',
    { env: 'prod', unset: ['loadBalancer.certificateArn'], expected: /^loadBalancer\.certificateArn: production needs an ACM certificate/ },
  ],
  [
    'prod: -c loadBalancer.certificateArn= (empty means none, which prod refuses)',
    { env: 'prod', flags: { 'loadBalancer.certificateArn': '' }, expected: /^loadBalancer\.certificateArn: production needs an ACM certificate/ },
  ],
  [
    'prod: certificate from another region than the stack',
    {
      env: 'prod',
      set: { 'account': CERTIFICATE_ACCOUNT, 'region': OTHER_REGION, 'network.availabilityZones': [`${OTHER_REGION}a`, `${OTHER_REGION}b`] },
      expected: new RegExp(`^loadBalancer\\.certificateArn: the certificate is in ${CERTIFICATE_REGION} but the stack is in ${OTHER_REGION}`),
    },
  ],
  [
    'prod: certificate from another account than the stack',
    {
      env: 'prod',
      set: { 'account': OTHER_ACCOUNT, 'region': CERTIFICATE_REGION, 'network.availabilityZones': [`${CERTIFICATE_REGION}a`, `${CERTIFICATE_REGION}b`] },
      expected: new RegExp(`^loadBalancer\\.certificateArn: the certificate belongs to account ${CERTIFICATE_ACCOUNT} but the stack is in ${OTHER_ACCOUNT}`),
    },
  ],
  [
    'dev: -c loadBalancer.wafRateLimitPerMinute=5',
    {
      env: 'dev',
      flags: { 'loadBalancer.wafRateLimitPerMinute': '5' },
      expected: /^loadBalancer\.wafRateLimitPerMinute: must be a whole number .*WAF rate rules count at least 10.*got 5/,
    },
  ],
  [
    'dev: WAF rate-limit path without a leading slash',
    {
      env: 'dev',
      set: { 'loadBalancer.wafRateLimitPath': 'api/boop' },
      expected: /^loadBalancer\.wafRateLimitPath: must be a path starting with "\/"/,
    },
  ],
  [
    'dev: WAF rate-limit path with capitals, which the lowercased request path never matches',
    {
      env: 'dev',
      set: { 'loadBalancer.wafRateLimitPath': '/API/Boop' },
      expected:
        /^loadBalancer\.wafRateLimitPath: WAF compares the request path after .*lowercasing it, so "\/API\/Boop" would never match; write "\/api\/boop"$/,
    },
  ],
  [
    'prod: WAF rate-limit path with a doubled slash and a ./ segment',
    {
      env: 'prod',
      set: { 'loadBalancer.wafRateLimitPath': '/api//./boop' },
      expected: /^loadBalancer\.wafRateLimitPath: WAF compares the request path after .*collapsing \/\/, resolving \.\/ and \.\.\/.*; write "\/api\/boop"$/,
    },
  ],
  [
    'dev: WAF rate-limit path with a %-escape',
    {
      env: 'dev',
      set: { 'loadBalancer.wafRateLimitPath': '/%61pi/boop' },
      expected: /^loadBalancer\.wafRateLimitPath: WAF compares the request path after decoding %XX.*; write "\/api\/boop"$/,
    },
  ],
  [
    'prod: WAF rate-limit path longer than WAF compares',
    {
      env: 'prod',
      set: { 'loadBalancer.wafRateLimitPath': `/${'a'.repeat(WAF_SEARCH_STRING_MAX_BYTES)}` },
      expected: new RegExp(
        `^loadBalancer\\.wafRateLimitPath: WAF matches at most ${WAF_SEARCH_STRING_MAX_BYTES} bytes, got ${WAF_SEARCH_STRING_MAX_BYTES + 1}`,
      ),
    },
  ],
  [
    'prod: WAF rate-limit path within 200 characters but over 200 bytes',
    {
      env: 'prod',
      set: { 'loadBalancer.wafRateLimitPath': `/${'é'.repeat(WAF_SEARCH_STRING_MAX_BYTES / 2)}` },
      expected: new RegExp(
        `^loadBalancer\\.wafRateLimitPath: WAF matches at most ${WAF_SEARCH_STRING_MAX_BYTES} bytes, got ${WAF_SEARCH_STRING_MAX_BYTES + 1}`,
      ),
    },
  ],
  [
    'prod: tester CIDR 0.0.0.0/0',
    {
      env: 'prod',
      set: { 'loadBalancer.testerCidrs': ['203.0.113.0/24', '0.0.0.0/0'] },
      expected: /^loadBalancer\.testerCidrs\[1\]: "0\.0\.0\.0\/0" admits the whole internet, which would reopen the path to green/,
    },
  ],
  [
    'dev: tester CIDR ::/0',
    {
      env: 'dev',
      set: { 'loadBalancer.testerCidrs': ['::/0'] },
      expected: /^loadBalancer\.testerCidrs\[0\]: "::\/0" admits the whole internet, which would reopen the path to green/,
    },
  ],
  [
    'prod: a /0 prefix on some other address',
    {
      env: 'prod',
      set: { 'loadBalancer.testerCidrs': ['203.0.113.0/0'] },
      expected: /^loadBalancer\.testerCidrs\[0\]: "203\.0\.113\.0\/0" admits the whole internet/,
    },
  ],
  [
    `prod: an IPv4 tester network wider than /${WIDEST_TESTER_PREFIX[4]}`,
    {
      env: 'prod',
      set: { 'loadBalancer.testerCidrs': [`10.0.0.0/${WIDEST_TESTER_PREFIX[4] - 1}`] },
      expected: new RegExp(
        `^loadBalancer\\.testerCidrs\\[0\\]: .* is wider than /${WIDEST_TESTER_PREFIX[4]} and would admit far more than your testers to green past the weights; .*each /${WIDEST_TESTER_PREFIX[4]} or narrower`,
      ),
    },
  ],
  [
    `dev: an IPv6 tester network wider than /${WIDEST_TESTER_PREFIX[6]}`,
    {
      env: 'dev',
      set: { 'loadBalancer.testerCidrs': [`2001::/${WIDEST_TESTER_PREFIX[6] - 1}`] },
      expected: new RegExp(
        `^loadBalancer\\.testerCidrs\\[0\\]: .* is wider than /${WIDEST_TESTER_PREFIX[6]} and would admit far more than your testers to green past the weights; .*each /${WIDEST_TESTER_PREFIX[6]} or narrower`,
      ),
    },
  ],
  [
    `prod: more than ${MAX_TESTER_CIDRS} tester CIDRs`,
    {
      env: 'prod',
      set: { 'loadBalancer.testerCidrs': Array.from({ length: MAX_TESTER_CIDRS + 1 }, (_, i) => `198.18.${i}.0/24`) },
      expected: new RegExp(`^loadBalancer\\.testerCidrs: at most ${MAX_TESTER_CIDRS} CIDRs .*got ${MAX_TESTER_CIDRS + 1}`),
    },
  ],
  [
    'dev: -c loadBalancer.testerCidrs=203.0.113.0/24 (not JSON, so not a list)',
    {
      env: 'dev',
      flags: { 'loadBalancer.testerCidrs': '203.0.113.0/24' },
      expected: /^loadBalancer\.testerCidrs: must be a list of CIDRs such as .*with -c, as JSON/,
    },
  ],
  [
    'prod: a tester address without a prefix length',
    {
      env: 'prod',
      set: { 'loadBalancer.testerCidrs': ['203.0.113.7'] },
      expected: /^loadBalancer\.testerCidrs\[0\]: "203\.0\.113\.7" has no prefix length; for this one address write "203\.0\.113\.7\/32"$/,
    },
  ],
  [
    'prod: a tester CIDR with address bits past its prefix',
    {
      env: 'prod',
      set: { 'loadBalancer.testerCidrs': ['203.0.113.7/24'] },
      expected: /^loadBalancer\.testerCidrs\[0\]: "203\.0\.113\.7\/24" is not in canonical form .*; write "203\.0\.113\.0\/24"$/,
    },
  ],
  [
    'dev: a tester IPv6 CIDR not in canonical form',
    {
      env: 'dev',
      set: { 'loadBalancer.testerCidrs': ['2001:DB8:0:0::/48'] },
      expected: /^loadBalancer\.testerCidrs\[0\]: "2001:DB8:0:0::\/48" is not in canonical form .*; write "2001:db8::\/48"$/,
    },
  ],
  [
    'dev: a tester entry that is no CIDR',
    {
      env: 'dev',
      set: { 'loadBalancer.testerCidrs': ['office-vpn'] },
      expected: /^loadBalancer\.testerCidrs\[0\]: "office-vpn" is not an IPv4 or IPv6 CIDR/,
    },
  ],
  [
    'prod: the same tester CIDR twice',
    {
      env: 'prod',
      set: { 'loadBalancer.testerCidrs': ['203.0.113.0/24', '203.0.113.0/24'] },
      expected: /^loadBalancer\.testerCidrs\[1\]: "203\.0\.113\.0\/24" is listed twice$/,
    },
  ],

  // Where the stack goes.
  ['prod: account without region', { env: 'prod', set: { account: CERTIFICATE_ACCOUNT }, expected: /^account and region: set both/ }],
  ['dev: region without account', { env: 'dev', set: { region: CERTIFICATE_REGION }, expected: /^account and region: set both/ }],
  ['dev: -c account=12345', { env: 'dev', flags: { account: '12345', region: CERTIFICATE_REGION }, expected: /^account: must be a 12-digit AWS account id/ }],
  [
    'prod: account and region without availability zones',
    {
      env: 'prod',
      set: { account: CERTIFICATE_ACCOUNT, region: CERTIFICATE_REGION },
      expected: /^network\.availabilityZones: required when account and region are set/,
    },
  ],
  [
    'prod: a misspelt region ("eu-west-9")',
    {
      env: 'prod',
      set: { 'account': CERTIFICATE_ACCOUNT, 'region': 'eu-west-9', 'network.availabilityZones': ['eu-west-9a', 'eu-west-9b'] },
      expected: /^region: "eu-west-9" is not an AWS region/,
    },
  ],
  [
    'prod: a hosted zone that does not hold loadBalancer.hostName',
    {
      env: 'prod',
      set: { 'loadBalancer.hostedZone': { id: 'Z0123456789ABCDEFGHIJ', name: 'example.org' } },
      expected:
        /^loadBalancer\.hostedZone\.name: loadBalancer\.hostName boop\.example\.com is not inside the zone example\.org; name the zone that holds it \(such as example\.com\)$/,
    },
  ],
  [
    'dev: a hosted zone without loadBalancer.hostName',
    {
      env: 'dev',
      set: { 'loadBalancer.hostedZone': { id: 'Z0123456789ABCDEFGHIJ', name: 'example.com' } },
      expected: /^loadBalancer\.hostedZone: only used with loadBalancer\.hostName/,
    },
  ],
  [
    'prod: a hosted zone id with the /hostedzone/ prefix',
    {
      env: 'prod',
      set: { 'loadBalancer.hostedZone': { id: '/hostedzone/Z0123456789ABCDEFGHIJ', name: 'example.com' } },
      expected: /^loadBalancer\.hostedZone\.id: must be a Route 53 hosted zone id/,
    },
  ],
  [
    'prod: a region boop-deploy does not support (GovCloud)',
    {
      env: 'prod',
      set: { 'account': CERTIFICATE_ACCOUNT, 'region': 'us-gov-west-1', 'network.availabilityZones': ['us-gov-west-1a', 'us-gov-west-1b'] },
      expected: /^region: "us-gov-west-1" is not a region boop-deploy supports .*: choose one of af-south-1, .*eu-west-1, /,
    },
  ],
  [
    'prod: an availability zone outside the region',
    {
      env: 'prod',
      set: { 'account': CERTIFICATE_ACCOUNT, 'region': CERTIFICATE_REGION, 'network.availabilityZones': [`${CERTIFICATE_REGION}a`, `${OTHER_REGION}b`] },
      expected: new RegExp(`^network\\.availabilityZones: "${OTHER_REGION}b" is not a zone of region ${CERTIFICATE_REGION}`),
    },
  ],
  [
    'prod: a region given where a zone belongs',
    {
      env: 'prod',
      set: { 'account': CERTIFICATE_ACCOUNT, 'region': CERTIFICATE_REGION, 'network.availabilityZones': [`${CERTIFICATE_REGION}a`, CERTIFICATE_REGION] },
      expected: new RegExp(`^network\\.availabilityZones: "${CERTIFICATE_REGION}" is not a zone of region ${CERTIFICATE_REGION}`),
    },
  ],
  [
    'prod: three availability zones',
    {
      env: 'prod',
      set: {
        'account': CERTIFICATE_ACCOUNT,
        'region': CERTIFICATE_REGION,
        'network.availabilityZones': ['a', 'b', 'c'].map((z) => `${CERTIFICATE_REGION}${z}`),
      },
      expected: /^network\.availabilityZones: must list exactly two zones/,
    },
  ],
  ['prod: no NAT gateway', { env: 'prod', set: { 'network.natGateways': 0 }, expected: /^network\.natGateways: must be a whole number within 1\.\..*got 0/ }],

  // Alert targets.
  [
    'prod: an email address without @',
    {
      env: 'prod',
      set: { 'alerts.emails.high': ['platform.example.com'] },
      expected: /^alerts\.emails\.high\[0\]: "platform\.example\.com" is not an email address/,
    },
  ],
  [
    'prod: x";DROP--@example.com as an email address',
    {
      env: 'prod',
      set: { 'alerts.emails.critical': ['oncall@example.com', 'x";DROP--@example.com'] },
      expected: /^alerts\.emails\.critical\[1\]: "x";DROP--@example\.com" is not an email address$/,
    },
  ],
  [
    'dev: -c alerts.emails.high with the same address twice (a stack trace from CDK before)',
    {
      env: 'dev',
      flags: { 'alerts.emails.high': JSON.stringify(['oncall@example.com', 'oncall@example.com']) },
      expected: /^alerts\.emails\.high\[1\]: "oncall@example\.com" is listed twice$/,
    },
  ],
  [
    'prod: the same email address twice in one severity, in another case',
    {
      env: 'prod',
      set: { 'alerts.emails.critical': ['oncall@example.com', 'platform@example.com', 'OnCall@Example.com'] },
      expected: /^alerts\.emails\.critical\[2\]: "OnCall@Example\.com" is listed twice \(as "oncall@example\.com"\)$/,
    },
  ],
  [
    'prod: no critical alert target at all',
    {
      env: 'prod',
      unset: ['alerts.pagerDutyIntegrationUrlParameter', 'alerts.slack'],
      set: { 'alerts.emails.critical': [] },
      expected:
        /^alerts: production needs at least one critical target .*, or a rollback would page nobody; keep it, or record why not in productionWaivers\.noCriticalAlertTarget/,
    },
  ],
  [
    "prod: the PagerDuty integration URL where its SSM parameter's name belongs (the URL is never shown)",
    {
      env: 'prod',
      set: { 'alerts.pagerDutyIntegrationUrlParameter': PAGERDUTY_URL_WITH_KEY },
      expected: /^alerts\.pagerDutyIntegrationUrlParameter: must be an SSM parameter name starting with "\/"/,
      neverShown: PAGERDUTY_URL_WITH_KEY,
    },
  ],
  [
    'prod: the retired pagerDutyIntegrationUrl field (the URL is never shown)',
    {
      env: 'prod',
      set: { 'alerts.pagerDutyIntegrationUrl': PAGERDUTY_URL_WITH_KEY },
      expected:
        /^config file .*: alerts\.pagerDutyIntegrationUrl is no longer a field; .*SSM String parameter .*alerts\.pagerDutyIntegrationUrlParameter \(docs\/configuration\.md "Switching from alerts\.pagerDutyIntegrationUrl" says how to switch without losing the subscription\)$/,
      neverShown: PAGERDUTY_URL_WITH_KEY,
    },
  ],
  [
    'prod: a PagerDuty parameter name without the leading /',
    {
      env: 'prod',
      set: { 'alerts.pagerDutyIntegrationUrlParameter': 'acme/pagerduty-url' },
      expected: /^alerts\.pagerDutyIntegrationUrlParameter: must be an SSM parameter name starting with "\/" and made of letters, digits and _ \. - \//,
    },
  ],
  [
    'prod: a PagerDuty parameter name that would end the dynamic reference ("}}")',
    {
      env: 'prod',
      set: { 'alerts.pagerDutyIntegrationUrlParameter': '/acme/pagerduty}}' },
      expected: /^alerts\.pagerDutyIntegrationUrlParameter: must be an SSM parameter name starting with "\/" and made of letters, digits and _ \. - \//,
    },
  ],
  [
    `prod: a PagerDuty parameter name longer than SSM's ${SSM_PARAMETER_NAME_MAX_LENGTH} characters`,
    {
      env: 'prod',
      set: { 'alerts.pagerDutyIntegrationUrlParameter': `/${'a'.repeat(SSM_PARAMETER_NAME_MAX_LENGTH)}` },
      expected: new RegExp(
        `^alerts\\.pagerDutyIntegrationUrlParameter: SSM allows at most ${SSM_PARAMETER_NAME_MAX_LENGTH} characters, got ${SSM_PARAMETER_NAME_MAX_LENGTH + 1}$`,
      ),
    },
  ],
  [
    `prod: a PagerDuty parameter name deeper than SSM's ${SSM_PARAMETER_MAX_LEVELS} levels`,
    {
      env: 'prod',
      set: { 'alerts.pagerDutyIntegrationUrlParameter': '/a'.repeat(SSM_PARAMETER_MAX_LEVELS + 1) },
      expected: new RegExp(
        `^alerts\\.pagerDutyIntegrationUrlParameter: SSM allows at most ${SSM_PARAMETER_MAX_LEVELS} levels of /, got ${SSM_PARAMETER_MAX_LEVELS + 1}$`,
      ),
    },
  ],
  [
    'prod: a PagerDuty parameter name in the /aws namespace',
    {
      env: 'prod',
      set: { 'alerts.pagerDutyIntegrationUrlParameter': '/aws/pagerduty' },
      expected: /^alerts\.pagerDutyIntegrationUrlParameter: names starting with \/aws or \/ssm are reserved by AWS$/,
    },
  ],
  [
    'prod: Slack workspace name instead of id',
    { env: 'prod', set: { 'alerts.slack.workspaceId': 'acme-corp' }, expected: /^alerts\.slack\.workspaceId: must be a Slack workspace id/ },
  ],
  [
    'prod: Slack channel name instead of id',
    { env: 'prod', set: { 'alerts.slack.channelId': '#oncall' }, expected: /^alerts\.slack\.channelId: must be a Slack channel id/ },
  ],

  // Where the values come from.
  [
    'dev: typo in cdk.json ("boop.baseUrll")',
    {
      env: 'dev',
      set: { 'boop.baseUrll': BOOP_ENDPOINTS.development.baseUrl },
      expected: new RegExp(`^cdk\\.json ${ENVIRONMENTS_CONTEXT_KEY}\\.dev: unknown field "boop\\.baseUrll"; did you mean "boop\\.baseUrl"\\?$`),
    },
  ],
  [
    'dev: a field in cdk.json that is no typo of any ("boop.colour")',
    {
      env: 'dev',
      set: { 'boop.colour': 'blue' },
      expected: new RegExp(`^cdk\\.json ${ENVIRONMENTS_CONTEXT_KEY}\\.dev: unknown field "boop\\.colour"; known fields here: ${fieldsOf('boop')}$`),
    },
  ],
  [
    'prod: typo in the config file ("alerts.pagerDutyUrl")',
    {
      env: 'prod',
      set: { 'alerts.pagerDutyUrl': '/acme/pagerduty-url' },
      expected: /^config file .*: unknown field "alerts\.pagerDutyUrl"; known fields here: .*\bpagerDutyIntegrationUrlParameter\b/,
    },
  ],
  [
    'dev: typo in -c ("service.desiredCont")',
    {
      env: 'dev',
      flags: { 'service.desiredCont': '3' },
      expected: /^-c: unknown field "service\.desiredCont"; did you mean "service\.desiredCount"\?$/,
    },
  ],
  [
    'dev: typo in a -c section ("servce.desiredCount")',
    {
      env: 'dev',
      flags: { 'servce.desiredCount': '3' },
      expected: /^-c: unknown field "servce\.desiredCount"; did you mean "service\.desiredCount"\?$/,
    },
  ],
  [
    'dev: -c below a field that has no fields ("boop.baseUrl.host")',
    {
      env: 'dev',
      flags: { 'boop.baseUrl.host': 'x' },
      expected: /^-c: unknown field "boop\.baseUrl\.host"; boop\.baseUrl has no fields$/,
    },
  ],

  // Names every object has (Object.prototype's), which are no fields.
  [
    'dev: -c boop.__proto__.x=1 (polluted Object.prototype before)',
    {
      env: 'dev',
      flags: { 'boop.__proto__.x': '1' },
      expected: new RegExp(`^-c: unknown field "boop\\.__proto__"; known fields here: ${fieldsOf('boop')}$`),
    },
  ],
  [
    'prod: "__proto__" in the config file',
    {
      env: 'prod',
      set: { boop: JSON.parse(`{ "vendorId": "${VENDOR_ID_PREFIX.production}acme", "__proto__": { "polluted": true } }`) },
      expected: /^config file .*: unknown field "boop\.__proto__"/,
    },
  ],
  ['dev: "toString" as a field in cdk.json', { env: 'dev', set: { 'boop.toString': 'x' }, expected: /^cdk\.json .*: unknown field "boop\.toString"/ }],
  ['dev: "constructor" as a top-level field in cdk.json', { env: 'dev', set: { constructor: {} }, expected: /^cdk\.json .*: unknown field "constructor"/ }],
  [
    'prod: "hasOwnProperty" as a field in the config file',
    { env: 'prod', set: { 'alarms.hasOwnProperty': 1 }, expected: /^config file .*: unknown field "alarms\.hasOwnProperty"/ },
  ],
  ['dev: -c service.constructor=1', { env: 'dev', flags: { 'service.constructor': '1' }, expected: /^-c: unknown field "service\.constructor"/ }],
  [
    'dev: envName set in cdk.json',
    { env: 'dev', set: { envName: 'prod' }, expected: /envName cannot be overridden; select the environment with -c env=<name>/ },
  ],
  [
    '-c env=staging',
    {
      env: 'dev',
      flags: { env: 'staging' },
      expected:
        /^unknown environment "staging" given with -c env; declared environments: dev, prod \(declare others in cdk\.json's boop:environments with their "boopEnvironment"\)$/,
    },
  ],
  [
    '-c configFile pointing at a missing file',
    {
      env: 'dev',
      flags: { configFile: 'examples/does-not-exist.json' },
      expected: /^config file examples\/does-not-exist\.json cannot be read/,
    },
  ],
  [
    '-c configFile with invalid JSON',
    {
      env: 'dev',
      flags: { configFile: BROKEN_JSON_FILE },
      expected: new RegExp(`^config file ${escape(BROKEN_JSON_FILE)} is not valid JSON`),
    },
  ],
];

describe('a bad configuration is refused, naming the field', () => {
  test('the table covers at least 30 cases', () => {
    expect(BAD_CONFIGS.length).toBeGreaterThanOrEqual(30);
  });

  test.each(BAD_CONFIGS)('%s', (_name, bad) => {
    const error = refusal(contextFor(bad.env, bad));
    expect(error.problems).toEqual(expect.arrayContaining([expect.stringMatching(bad.expected)]));
    if (bad.neverShown) expect(error.message).not.toContain(bad.neverShown);
    // Nothing a configuration names reaches every object.
    expect(Object.prototype).toEqual({});
    expect(Object.getOwnPropertyNames(Object.prototype).filter((name) => ['x', 'polluted'].includes(name))).toEqual([]);
  });
});

describe('a URL field never repeats its user name or password', () => {
  const URL_FIELDS = ['boop.baseUrl', 'boop.wsEndpoint'];
  /** What a URL may start with, typos included; the rest is whatever a user might type. */
  const prefix = fc.oneof(fc.constantFrom('https://', 'wss://', 'http://', 'https//', 'https:/', 'https:', '//', ''), fc.string({ maxLength: 8 }));
  const password = fc.string({ minLength: 8, maxLength: 24, unit: fc.constantFrom(...'abcXYZ019-._~!$&()*+,;=:/?#[]%@'.split('')) });
  const afterUserinfo = fc.string({ maxLength: 30 }).filter((rest) => !rest.includes('@'));
  /** How the URL reaches the field: as cdk.json text, as a -c value, inside a list or an object. */
  const form = fc.constantFrom('cdk.json', '-c', 'list', 'object');

  /** Every problem the app would print, or nothing when the configuration loads. */
  function message(context: Json): string {
    try {
      loadConfig({ context });
      return '';
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).message;
    }
  }

  test('for any text with a password where the user info goes, no problem contains the password', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<EnvName>('dev', 'prod'),
        fc.constantFrom(...URL_FIELDS),
        form,
        prefix,
        fc.string({ maxLength: 8 }),
        password,
        afterUserinfo,
        (env, field, how, start, user, secret, rest) => {
          fc.pre(![start, user, rest].some((part) => part.includes(secret)));
          const url = `${start}${user}:${secret}@${rest}`;
          const value = how === 'list' ? [url] : how === 'object' ? { url } : url;
          const context = contextFor(env, how === '-c' ? { flags: { [field]: url } } : { set: { [field]: value } });
          expect(message(context)).not.toContain(secret);
        },
      ),
      { numRuns: numRuns(300) },
    );
  });

  test.each([
    ['no colon after the scheme', BOOP_ENDPOINTS.development.baseUrl.replace('://', `//user:${PASSWORD}@`)],
    ['a / in the password', BOOP_ENDPOINTS.development.baseUrl.replace('://', `://user:${SLASHED_PASSWORD}@`)],
  ])('a URL that does not parse (%s) is one problem, not also "must not carry a user name or password"', (_name, url) => {
    const problems = problemsOf(contextFor('dev', { flags: { 'boop.baseUrl': url } }));
    expect(problems.filter((problem) => problem.startsWith('boop.baseUrl: '))).toEqual([expect.stringMatching(/ is not a valid URL$/)]);
  });
});

describe('no input gets a stack trace', () => {
  const FIELD_PATHS = declaredFields(settingsSchema).map((field) => formatPath(field.path));
  const SECTION_NAMES = Object.keys(groupFields(settingsSchema)!);

  test('any JSON value for any field or section, from cdk.json or -c, loads or is a ConfigError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<EnvName>('dev', 'prod'),
        fc.constantFrom(...FIELD_PATHS, ...SECTION_NAMES),
        fc.jsonValue({ maxDepth: 4 }),
        fc.boolean(),
        (env, field, value, asFlag) => {
          const context = contextFor(env, asFlag ? { flags: { [field]: JSON.stringify(value) } } : { set: { [field]: value } });
          try {
            loadConfig({ context });
          } catch (error) {
            expect(error).toBeInstanceOf(ConfigError);
          }
        },
      ),
      { numRuns: numRuns(300) },
    );
  });
});

describe('an empty loadBalancer.certificateArn means none', () => {
  const withCertificateInCdkJson = (flags: Json = {}) =>
    contextFor('dev', { set: { 'loadBalancer.certificateArn': PROD_CERTIFICATE, 'loadBalancer.hostName': 'boop-dev.example.com' }, flags });

  test('dev: -c loadBalancer.certificateArn= clears the certificate cdk.json sets', () => {
    expect(loadConfig({ context: withCertificateInCdkJson() }).loadBalancer.certificateArn).toBe(PROD_CERTIFICATE);
    expect(loadConfig({ context: withCertificateInCdkJson({ 'loadBalancer.certificateArn': '' }) }).loadBalancer.certificateArn).toBeUndefined();
  });

  test('prod: an empty certificate gets the one problem a missing one gets', () => {
    const missing = problemsOf(contextFor('prod', { unset: ['loadBalancer.certificateArn'] }));
    expect(missing).toEqual([expect.stringMatching(/^loadBalancer\.certificateArn: /)]);
    expect(problemsOf(contextFor('prod', { set: { 'loadBalancer.certificateArn': '' } }))).toEqual(missing);
    expect(problemsOf(contextFor('prod', { flags: { 'loadBalancer.certificateArn': '' } }))).toEqual(missing);
  });
});

describe('a Fargate size problem says what would be allowed', () => {
  /** The memory sizes a message offers: "allows A..B MiB in steps of S" or "allows A, B, C MiB". */
  function offeredSizes(problem: string): number[] {
    const range = /allows (\d+)\.\.(\d+) MiB in steps of (\d+)/.exec(problem);
    if (range) {
      const [from, to, step] = range.slice(1).map(Number);
      const sizes: number[] = [];
      for (let size = from; size <= to; size += step) sizes.push(size);
      return sizes;
    }
    const list = /allows ((?:\d+, )*\d+) MiB/.exec(problem);
    return list ? list[1].split(', ').map(Number) : [];
  }

  test.each([
    [256, 1536],
    [512, 1536],
    [1024, 2560],
    [4096, 8704],
  ])('cpu %i with %i MiB: the message does not offer the refused size', (cpu, memoryMiB) => {
    const problems = problemsOf(contextFor('dev', { set: { 'service.cpu': cpu, 'service.memoryMiB': memoryMiB } }));
    const problem = problems.find((p) => p.startsWith('service.memoryMiB: '));
    expect(problem).toBeDefined();
    const offered = offeredSizes(problem!);
    expect(offered.length).toBeGreaterThan(0);
    expect(offered).not.toContain(memoryMiB);
    // And each size offered is accepted.
    for (const size of offered) {
      expect(() => loadConfig({ context: contextFor('dev', { set: { 'service.cpu': cpu, 'service.memoryMiB': size } }) })).not.toThrow();
    }
  });
});

describe('the release guard and the rollback that empties green', () => {
  test('the release guard is on in production and off in dev by default, and either environment may set it', () => {
    expect(loadConfig({ context: contextFor('prod') }).rollout.releaseGuard).toBe(true);
    expect(loadConfig({ context: contextFor('dev') }).rollout.releaseGuard).toBe(false);
    expect(loadConfig({ context: contextFor('dev', { flags: { 'rollout.releaseGuard': 'true' } }) }).rollout.releaseGuard).toBe(true);
    const waived = { 'rollout.releaseGuard': false, 'productionWaivers.releaseGuardOff': 'pre-production, no customer traffic' };
    expect(loadConfig({ context: contextFor('prod', { set: waived }) }).rollout.releaseGuard).toBe(false);
  });

  test('a rollback scales green to zero by default in both environments, and either may turn it off', () => {
    for (const env of ['dev', 'prod'] as const) {
      expect(loadConfig({ context: contextFor(env) }).rollout.scaleGreenToZeroOnRollback).toBe(true);
      expect(loadConfig({ context: contextFor(env, { flags: { 'rollout.scaleGreenToZeroOnRollback': 'false' } }) }).rollout.scaleGreenToZeroOnRollback).toBe(
        false,
      );
    }
  });

  test('the hands-free rollout is off by default against both BOOP environments, as the schema declares, and turning it on in production needs no waiver', () => {
    const [declared] = declaredFields(settingsSchema).filter((field) => formatPath(field.path) === 'rollout.autoAdvance');
    expect([declared.info.development, declared.info.production]).toEqual([false, false]);
    for (const env of ['dev', 'prod'] as const) {
      const config = loadConfig({ context: contextFor(env) });
      expect(config.rollout.autoAdvance).toBe(declared.info[config.boopEnvironment]);
      const turnedOn = loadConfig({ context: contextFor(env, { flags: { 'rollout.autoAdvance': 'true' } }) });
      // Every step still passes the checks a deploy of it would: nothing of production's safety is set aside.
      expect({ autoAdvance: turnedOn.rollout.autoAdvance, waivers: turnedOn.productionWaivers }).toEqual({ autoAdvance: true, waivers: {} });
    }
  });

  test.each(['rollout.releaseGuard', 'rollout.scaleGreenToZeroOnRollback', 'rollout.autoAdvance'])('%s takes true or false only', (field) => {
    expect(problemsOf(contextFor('prod', { flags: { [field]: 'yes' } }))).toEqual([`${field}: must be true or false, got "yes"`]);
  });
});

describe('problems are reported together', () => {
  test('-c env=prod with nothing else lists every missing value in one error', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({ context: appContext({ env: 'prod' }) });
    } catch (caught) {
      error = caught as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems.length).toBeGreaterThanOrEqual(3);
    for (const field of ['boop.vendorId', 'service.images.blue', 'service.images.green', 'loadBalancer.certificateArn']) {
      expect(error!.problems).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${escape(field)}: `))]));
    }
    // The message the user reads lists each problem on a line of its own.
    for (const problem of error!.problems) expect(error!.message).toContain(`\n  - ${problem}`);
    expect(error!.message).toContain('"prod"');
  });

  test('problems from cdk.json, -c and validation come in one error', () => {
    const problems = problemsOf(
      contextFor('dev', {
        set: { 'boop.baseUrll': 'x', 'rollout.steps': [50] },
        flags: { 'service.cpu': '300' },
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/unknown field "boop\.baseUrll"/),
        expect.stringMatching(/^rollout\.steps: must end at 100/),
        expect.stringMatching(/^service\.cpu: /),
      ]),
    );
  });

  test("a declaration that does not say its BOOP environment is a problem when selected, and holds up no other environment's deploy", () => {
    const context = cdkJsonContext();
    (context[ENVIRONMENTS_CONTEXT_KEY] as Json).staging = {};
    expect(() => loadConfig({ context })).not.toThrow();
    expect(problemsOf({ ...context, env: 'staging' })).toEqual([
      'cdk.json boop:environments.staging: say which BOOP environment it talks to: "boopEnvironment": "development" or "production"',
      expect.stringMatching(/^unknown environment "staging" given with -c env; declared environments: dev, prod /),
    ]);
  });
});

describe('where a value comes from: defaults < cdk.json < config file < -c', () => {
  test('a per-deploy -c wins over the config file', () => {
    const config = loadConfig({ context: prodExampleContext({ 'loadBalancer.hostName': 'other.example.com' }) });
    expect((prodExample().loadBalancer as Json).hostName).not.toBe('other.example.com');
    expect(config.loadBalancer.hostName).toBe('other.example.com');
    expect(config.service.images.blue).toBe(PROD_BLUE_IMAGE);
  });

  test("-c service.images.<slot> is refused in one line that gives the deploy command for the slot's image parameter", () => {
    const problems = problemsOf(prodExampleContext({ 'service.images.green': `${IMAGE_REPOSITORY}:3.0.1` }));
    expect(problems).toEqual([
      `-c service.images.green: an image given with -c lasts one deploy; change the green slot's image with npx cdk deploy -c env=prod --parameters ${IMAGE_PARAMETERS.green}=<image>, which later deploys keep`,
    ]);
  });

  test('-c values are typed: numbers, booleans and lists', () => {
    const config = loadConfig({
      context: appContext({ 'service.desiredCount': '3', 'loadBalancer.wafEnabled': 'false', 'rollout.steps': '[50,100]' }),
    });
    expect(config.service.desiredCount).toBe(3);
    expect(config.loadBalancer.wafEnabled).toBe(false);
    expect(config.rollout.steps).toEqual([50, 100]);
  });

  test('tester CIDRs in canonical form load, IPv4 and IPv6, from a config file and from -c as JSON', () => {
    const testers = ['203.0.113.0/24', '198.51.100.7/32', '2001:db8:1234::/48'];
    expect(loadConfig({ context: contextFor('prod', { set: { 'loadBalancer.testerCidrs': testers } }) }).loadBalancer.testerCidrs).toEqual(testers);
    expect(loadConfig({ context: appContext({ 'loadBalancer.testerCidrs': JSON.stringify(testers) }) }).loadBalancer.testerCidrs).toEqual(testers);
  });

  test('-c values of text fields stay text, even when they look like numbers (account ids)', () => {
    for (const account of ['111122223333', '012345678901']) {
      const config = loadConfig({
        context: appContext({
          account,
          'region': CERTIFICATE_REGION,
          'network.availabilityZones': JSON.stringify([`${CERTIFICATE_REGION}a`, `${CERTIFICATE_REGION}b`]),
        }),
      });
      expect(config.account).toBe(account);
      expect(config.region).toBe(CERTIFICATE_REGION);
      expect(config.network.availabilityZones).toEqual([`${CERTIFICATE_REGION}a`, `${CERTIFICATE_REGION}b`]);
    }
  });

  test('a cdk.json override changes the value; untouched siblings keep their defaults', () => {
    const changed = ENVIRONMENT_DEFAULTS.development.service.desiredCount + 1;
    const config = loadConfig({ context: contextFor('dev', { set: { 'service.desiredCount': changed } }) });
    expect(config.service.desiredCount).toBe(changed);
    expect(config.service.memoryMiB).toBe(ENVIRONMENT_DEFAULTS.development.service.memoryMiB);
  });

  test('the config file wins over cdk.json', () => {
    const context = prodExampleContext();
    (context[ENVIRONMENTS_CONTEXT_KEY] as Json).prod = { boop: { vendorId: `${VENDOR_ID_PREFIX.production}from_cdk_json` } };
    const config = loadConfig({ context });
    expect(config.boop.vendorId).toBe((prodExample().boop as Json).vendorId);
  });

  test('lists replace rather than merge', () => {
    const config = loadConfig({ context: contextFor('prod', { set: { 'rollout.steps': [5, 100] } }) });
    expect(config.rollout.steps).toEqual([5, 100]);
  });

  test('loading does not change the shared defaults', () => {
    const before = structuredClone(ENVIRONMENT_DEFAULTS);
    loadConfig({ context: contextFor('prod', { set: { 'alarms.overrides.SERVICE_DOWN.threshold': 90, 'alerts.emails.medium': ['a@example.com'] } }) });
    expect(ENVIRONMENT_DEFAULTS).toEqual(before);
  });

  test('prod via examples/prod.json also works relative to a given cwd', () => {
    const config = loadConfig({
      context: appContext({ env: 'prod', configFile: path.basename(PROD_EXAMPLE_FILE) }),
      cwd: path.join(REPO_ROOT, path.dirname(PROD_EXAMPLE_FILE)),
    });
    expect(config.loadBalancer.certificateArn).toBe(PROD_CERTIFICATE);
  });
});

describe('every rule follows the BOOP environment an environment is bound to, not its name', () => {
  /** Names of the form teams choose (a word, a hyphen, a word starting with a digit), which no message contains unless it names the environment. */
  const teamName = fc
    .tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/), fc.stringMatching(/^[0-9][a-z0-9]{0,8}$/))
    .map(([first, second]) => `${first}-${second}`)
    .filter((name) => !Object.hasOwn(BUILT_IN_ENVIRONMENTS, name));
  const cases = BAD_CONFIGS.filter(([, bad]) => !Object.hasOwn(bad.flags ?? {}, 'env'));
  const names = fc.sample(teamName, { ...propertyParameters(process.env), numRuns: cases.length });

  /** The same context with the environment's settings declared again under `name`, bound to the same BOOP environment, and `name` selected. */
  function renamed(context: Json, from: EnvName, name: string): Json {
    const environments = context[ENVIRONMENTS_CONTEXT_KEY] as Json;
    environments[name] = { ...((environments[from] as Json | undefined) ?? {}), boopEnvironment: BUILT_IN_ENVIRONMENTS[from] };
    return { ...context, env: name };
  }

  test.each(cases.map(([title, bad], i) => [title, bad, names[i]] as const))(
    '%s: the same problems under a name of its own bound to the same BOOP environment',
    (_title, bad, name) => {
      const context = contextFor(bad.env, bad);
      const asBuiltIn = problemsOf(context);
      const asDeclared = problemsOf(renamed(structuredClone(context), bad.env, name));
      expect(asDeclared.map((problem) => problem.replaceAll(name, bad.env))).toEqual(asBuiltIn);
    },
  );

  test.each(['dev', 'prod'] as const)('the %s base loads the same under any name bound to its BOOP environment, the longest included', (env) => {
    const longest = `x${'0'.repeat(MAX_ENVIRONMENT_NAME_LENGTH - 1)}`;
    for (const name of [...names.slice(0, 5), longest]) {
      const { envName, ...settings } = loadConfig({ context: renamed(contextFor(env), env, name) });
      const { envName: builtIn, ...expected } = loadConfig({ context: contextFor(env) });
      expect([envName, builtIn]).toEqual([name, env]);
      expect(settings).toEqual(expected);
    }
  });
});

describe("production's safety defaults: set aside only with a recorded reason, and only against BOOP production", () => {
  const REASON = 'pre-production, no customer traffic';
  /** A change that weakens each safety default (PRODUCTION_SAFETY), built from the guide's numbers. */
  const WEAKENED: Readonly<Record<Waiver, Change>> = {
    bakeBelowGuide: { set: { 'rollout.bakeTimeHours': PRODUCTION_ROLLOUT.bakeTimeHours - 1 } },
    firstStepAboveGuide: { set: { 'rollout.steps': [PRODUCTION_ROLLOUT.steps[0] + 1, 100] } },
    releaseGuardOff: { set: { 'rollout.releaseGuard': false } },
    noCriticalAlertTarget: { unset: ['alerts.pagerDutyIntegrationUrlParameter', 'alerts.slack'], set: { 'alerts.emails.critical': [] } },
  };
  const withWaiver = (waiver: Waiver, change: Change = WEAKENED[waiver]): Change => ({
    ...change,
    set: { ...change.set, [`productionWaivers.${waiver}`]: REASON },
  });
  const production = (change: Change, name?: string) => (name === undefined ? contextFor('prod', change) : renamedTo(contextFor('prod', change), 'prod', name));
  function renamedTo(context: Json, from: EnvName, name: string): Json {
    (context[ENVIRONMENTS_CONTEXT_KEY] as Json)[name] = {
      ...((context[ENVIRONMENTS_CONTEXT_KEY] as Json)[from] as Json),
      boopEnvironment: BUILT_IN_ENVIRONMENTS[from],
    };
    return { ...context, env: name };
  }

  describe.each([undefined, 'preprod', 'prod-eu'])('bound to production (%s)', (name) => {
    test.each(WAIVERS)('%s: weakening the default without the waiver is refused, naming the field and the waiver', (waiver) => {
      const field = formatPath(PRODUCTION_SAFETY[waiver].path);
      expect(problemsOf(production(WEAKENED[waiver], name))).toEqual([
        expect.stringMatching(new RegExp(`^${escape(field)}: production needs .*; keep it, or record why not in productionWaivers\\.${waiver} `)),
      ]);
    });

    test.each(WAIVERS)('%s: with the waiver it loads, reason kept', (waiver) => {
      expect(loadConfig({ context: production(withWaiver(waiver), name) }).productionWaivers).toEqual({ [waiver]: REASON });
    });

    test.each(WAIVERS)('%s: a waiver that sets nothing aside is refused', (waiver) => {
      expect(problemsOf(production(withWaiver(waiver, {}), name))).toEqual([
        expect.stringMatching(new RegExp(`^productionWaivers\\.${waiver}: sets nothing aside`)),
      ]);
    });
  });

  test.each(WAIVERS)('%s: a blank or two-line reason is refused', (waiver) => {
    for (const reason of [' ', 'first line\nsecond line']) {
      const change = { ...WEAKENED[waiver], set: { ...WEAKENED[waiver].set, [`productionWaivers.${waiver}`]: reason } };
      expect(problemsOf(production(change))).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^productionWaivers\\.${waiver}: `))]));
    }
  });

  test.each(WAIVERS)('%s: bound to development, the same values need no waiver, and a waiver is refused', (waiver) => {
    const development = (change: Change) => renamedTo(contextFor('dev', change), 'dev', 'staging');
    expect(() => loadConfig({ context: development(WEAKENED[waiver]) })).not.toThrow();
    expect(problemsOf(development(withWaiver(waiver)))).toEqual([
      `productionWaivers.${waiver}: only an environment bound to BOOP production has production's safety defaults to set aside; remove it`,
    ]);
  });
});

describe('declaring environments in cdk.json', () => {
  const declare = (declarations: Json, flags: Json = {}): Json => {
    const context = cdkJsonContext();
    Object.assign(context[ENVIRONMENTS_CONTEXT_KEY] as Json, declarations);
    return { ...context, ...flags };
  };
  const devSettings = () => (cdkJsonContext()[ENVIRONMENTS_CONTEXT_KEY] as Json).dev as Json;

  test('a declared environment loads with the defaults of its BOOP environment', () => {
    const config = loadConfig({ context: declare({ staging: { ...devSettings(), boopEnvironment: 'development' } }, { env: 'staging' }) });
    expect([config.envName, config.boopEnvironment]).toEqual(['staging', 'development']);
    expect(config.rollout).toEqual(loadConfig({ context: contextFor('dev') }).rollout);
  });

  test.each([
    [
      'prod bound to development',
      { prod: { boopEnvironment: 'development' } },
      /^cdk\.json boop:environments\.prod\.boopEnvironment: prod always talks to BOOP production/,
    ],
    [
      'an environment name in capitals',
      { Staging: { boopEnvironment: 'development' } },
      /^cdk\.json boop:environments: an environment name is lowercase .*got "Staging"; rename/,
    ],
    [
      'a name longer than its function names allow',
      { [`s${'x'.repeat(MAX_ENVIRONMENT_NAME_LENGTH)}`]: { boopEnvironment: 'development' } },
      new RegExp(`^cdk\\.json boop:environments: an environment name has at most ${MAX_ENVIRONMENT_NAME_LENGTH} characters`),
    ],
    [
      'a BOOP environment that is none',
      { staging: { boopEnvironment: 'test' } },
      /^cdk\.json boop:environments\.staging\.boopEnvironment must be development or production, got "test"$/,
    ],
  ])('%s is refused when that environment is selected, and holds up no other', (_title, declarations, expected) => {
    const [name] = Object.keys(declarations);
    expect(problemsOf(declare(declarations, { env: name }))).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
    if (name !== 'dev') expect(() => loadConfig({ context: declare(declarations) })).not.toThrow();
  });

  describe('two environments against one BOOP environment in one account and region are refused: their metrics would mix', () => {
    const pin = (region = CERTIFICATE_REGION) => ({
      account: CERTIFICATE_ACCOUNT,
      region,
      network: { availabilityZones: [`${region}a`, `${region}b`] },
    });
    const clash =
      /^account and region: staging is pinned to account \d{12} and region [a-z0-9-]+ too, against BOOP development; their metrics would mix with dev's/;

    test('both pinned in cdk.json: refused for either', () => {
      const context = declare({ dev: { ...devSettings(), ...pin() }, staging: { ...devSettings(), ...pin(), boopEnvironment: 'development' } });
      expect(problemsOf(context)).toEqual([expect.stringMatching(clash)]);
      expect(problemsOf({ ...context, env: 'staging' })).toEqual([
        expect.stringMatching(/^account and region: dev is pinned to account .* their metrics would mix with staging's/),
      ]);
    });

    test('the selected one pinned by -c (or a config file) to where another is pinned: refused', () => {
      const pinned = pin();
      const flags = { 'account': pinned.account, 'region': pinned.region, 'network.availabilityZones': JSON.stringify(pinned.network.availabilityZones) };
      const context = declare({ staging: { ...devSettings(), ...pinned, boopEnvironment: 'development' } }, flags);
      expect(problemsOf(context)).toEqual([expect.stringMatching(clash)]);
    });

    test.each([
      ['another region', { ...devSettings(), ...pin(OTHER_REGION), boopEnvironment: 'development' }],
      ['the other BOOP environment', { ...prodExample(), ...pin(), boopEnvironment: 'production' }],
      ['unpinned', { ...devSettings(), boopEnvironment: 'development' }],
    ])('%s shares nothing', (_title, staging) => {
      expect(() => loadConfig({ context: declare({ dev: { ...devSettings(), ...pin() }, staging }) })).not.toThrow();
    });
  });

  test('a waiver given with -c is refused: it would last one deploy and be recorded nowhere you review', () => {
    const flags = { 'rollout.releaseGuard': 'false', 'productionWaivers.releaseGuardOff': 'hotfix' };
    expect(problemsOf(contextFor('prod', { flags }))).toEqual(
      expect.arrayContaining([
        "-c productionWaivers: a waiver given with -c lasts one deploy and is recorded nowhere you review; write it in cdk.json's boop:environments.prod.productionWaivers",
      ]),
    );
  });

  test.each([
    [
      'a config file',
      (context: Json) => ({ ...context, env: 'prod', configFile: writeConfig({ ...prodExample(), boopEnvironment: 'development' }) }),
      /^config file .*: boopEnvironment is declared once, in cdk\.json's boop:environments/,
    ],
    ['-c', (context: Json) => ({ ...context, boopEnvironment: 'production' }), /^-c: boopEnvironment is declared once, in cdk\.json's boop:environments/],
  ])('%s cannot change which BOOP environment an environment talks to', (_title, build, expected) => {
    expect(problemsOf(build(cdkJsonContext()))).toEqual([expect.stringMatching(expected)]);
  });
});

function writeConfig(content: Json): string {
  const file = path.join(tmp, `config-${++fileCounter}.json`);
  fs.writeFileSync(file, JSON.stringify(content));
  return file;
}
