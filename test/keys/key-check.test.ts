/**
 * The deploy-time API-key presence check as CloudFormation meets it: every state of the key
 * parameters that would stop a task from starting fails the deploy with the command that fixes it,
 * every usable state passes, and nothing (a delete, a rollback, a forged event, an SSM that refuses
 * or never answers) leaves CloudFormation waiting or blocks a rollback. SSM and CloudFormation are
 * answered by aws-sdk-client-mock (a hanging SSM by a real server on 127.0.0.1); CloudFormation's
 * response URL is played by a real HTTP server on 127.0.0.1.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeParametersCommand, DescribeParametersCommandInput, ParameterMetadata, SSMClient } from '@aws-sdk/client-ssm';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { AWS_MANAGED_SSM_KEY, KEY_SLOTS, KeySlot, keySlotsInUse, putKeyCommand } from '../../common/keys/api-keys';
import { environmentNames } from '../../common/names';
import type { KeyCheckProperties, Unchecked } from '../../common/payloads';
import { checkKeys, KEY_CHECK_PHYSICAL_RESOURCE_ID, KeyCheckDeps } from '../../lambda/key-check/check';
import { RESPONSE_LIMITS } from '../../lambda/support/cloudformation-response';
import { boundedClientConfig } from '../../lambda/support/aws-clients';
import { ACCOUNT, REGION } from '../support/deployed-template';
import { ResponseServer } from '../traffic/cloudformation';

const ENV = 'prod';
const NAMES = environmentNames(ENV);
const PARAMETER: Record<KeySlot, string> = { primary: NAMES.parameters.primaryApiKey, secondary: NAMES.parameters.secondaryApiKey };
const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${NAMES.stack}/6d1e2f30-0000-4000-8000-000000000002`;
/** A made-up customer-managed key of the test account. */
const KEY_ID = '0b5e7a31-0000-4000-8000-00000000c0de';
const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${KEY_ID}`;
const OTHER_KEY_ID = '0b5e7a31-0000-4000-8000-0000000000ff';
const ROTATION_DATE = '2026-03-01';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

const server = new ResponseServer();
beforeAll(() => server.start());
afterAll(() => server.stop());

const ssm = new SSMClient({ region: REGION, credentials });
const cloudformation = new CloudFormationClient({ region: REGION, credentials });
const ssmMock = mockClient(ssm);
const cloudformationMock = mockClient(cloudformation);

/** What SSM holds, by name: metadata only, as DescribeParameters reports it. */
let stored: Map<string, ParameterMetadata>;
let stackStatus: string;
/** Every URL the check sent its answer to; each answer is delivered to the local server instead. */
let answeredUrls: string[];
let logs: { level: string; message: string; extra: Record<string, unknown> }[];

beforeEach(() => {
  stored = new Map();
  stackStatus = 'UPDATE_IN_PROGRESS';
  answeredUrls = [];
  logs = [];
  server.received.length = 0;
  server.answers.length = 0;
  ssmMock.reset();
  cloudformationMock.reset();
  // SSM filters by the names asked for; a name it does not hold is simply not in the answer.
  ssmMock.on(DescribeParametersCommand).callsFake((input: DescribeParametersCommandInput) => {
    const asked = input.ParameterFilters?.find((filter) => filter.Key === 'Name' && filter.Option === 'Equals')?.Values ?? [];
    return { Parameters: [...stored.values()].filter((parameter) => asked.includes(parameter.Name!)) };
  });
  cloudformationMock.on(DescribeStacksCommand).callsFake(() => ({
    Stacks: [{ StackId: STACK_ID, StackName: NAMES.stack, StackStatus: stackStatus, CreationTime: new Date() }],
  }));
});

afterEach(() => {
  // Metadata only: whatever a test did, no call to SSM could have returned a value.
  const sent = ssmMock.calls().map((call) => call.args[0]);
  expect(sent.filter((command) => !(command instanceof DescribeParametersCommand))).toEqual([]);
});

/** A key parameter as the operator puts it: a SecureString with the AWS-managed key unless told otherwise. */
function put(slot: KeySlot, type: 'SecureString' | 'String' = 'SecureString', keyId: string | undefined = AWS_MANAGED_SSM_KEY) {
  stored.set(PARAMETER[slot], { Name: PARAMETER[slot], Type: type, KeyId: type === 'SecureString' ? keyId : undefined, LastModifiedDate: new Date() });
}

/** The properties the stack gives the check: the slots the tasks read, and the key they decrypt with. */
function properties(rotationDate?: string, encryptionKeyArn = ''): KeyCheckProperties {
  return {
    EnvName: ENV,
    Parameters: JSON.stringify(Object.fromEntries(keySlotsInUse(rotationDate).map((slot) => [slot, PARAMETER[slot]]))),
    EncryptionKeyArn: encryptionKeyArn,
    TaskFingerprint: 'arn:aws:ecs:task-definition/blue:7|2',
  };
}

let requests = 0;

/** A custom resource event as CloudFormation sends it for the presence check. */
function keyCheckEvent(
  type: 'Create' | 'Update' | 'Delete',
  resourceProperties: Unchecked<KeyCheckProperties> = properties(),
): CloudFormationCustomResourceEvent {
  const requestId = `key-check-${++requests}`;
  const serviceToken = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${NAMES.keyCheck}`;
  const base = {
    ServiceToken: serviceToken,
    ResponseURL:
      `https://cloudformation-custom-resource-response-${REGION.replace(/-/g, '')}.s3.${REGION}.amazonaws.com/` +
      `${encodeURIComponent(STACK_ID)}%7CApiKeysPresenceCheck%7C${requestId}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=7200&X-Amz-Signature=test`,
    StackId: STACK_ID,
    RequestId: requestId,
    LogicalResourceId: 'ApiKeysPresenceCheck',
    ResourceType: 'Custom::BoopApiKeyCheck',
    ResourceProperties: { ServiceToken: serviceToken, ...resourceProperties } as { ServiceToken: string },
  };
  if (type === 'Create') return { ...base, RequestType: 'Create' };
  if (type === 'Update')
    return { ...base, RequestType: 'Update', PhysicalResourceId: KEY_CHECK_PHYSICAL_RESOURCE_ID, OldResourceProperties: base.ResourceProperties };
  return { ...base, RequestType: 'Delete', PhysicalResourceId: KEY_CHECK_PHYSICAL_RESOURCE_ID };
}

/** The check's dependencies, its answer delivered by real HTTP to the local server whatever the URL. */
function deps(overrides: Partial<KeyCheckDeps> = {}): KeyCheckDeps {
  const record =
    (level: string) =>
    (message: string, extra: Record<string, unknown> = {}) =>
      logs.push({ level, message, extra });
  return {
    ssm,
    cloudformation,
    region: REGION,
    functionName: NAMES.keyCheck,
    log: { info: record('info'), warn: record('warn'), error: record('error') },
    response: {
      send: ((url: string, init: RequestInit) => {
        answeredUrls.push(url);
        return fetch(server.url('answer'), init);
      }) as typeof fetch,
      sleep: async () => undefined,
    },
    ...overrides,
  };
}

/** Runs the check on an event and returns what CloudFormation received. */
async function answerTo(event: unknown, overrides: Partial<KeyCheckDeps> = {}) {
  await checkKeys(event, deps(overrides));
  expect(server.received).toHaveLength(1);
  return server.last();
}

describe('a deploy whose tasks could not start fails, naming every problem with the command that fixes it', () => {
  const cases: { name: string; setup: () => void; rotationDate?: string; encryptionKeyArn?: string; broken: KeySlot[]; says: RegExp }[] = [
    { name: 'the primary key is missing', setup: () => undefined, broken: ['primary'], says: /does not exist/ },
    {
      name: 'the secondary key is missing during a rotation',
      setup: () => put('primary'),
      rotationDate: ROTATION_DATE,
      broken: ['secondary'],
      says: /does not exist/,
    },
    {
      name: 'the primary key is a String, not a SecureString',
      setup: () => put('primary', 'String'),
      broken: ['primary'],
      says: /is a String, not a SecureString/,
    },
    {
      name: 'the key is encrypted with the AWS-managed key where a customer key is configured',
      setup: () => put('primary'),
      encryptionKeyArn: KEY_ARN,
      broken: ['primary'],
      says: new RegExp(`encrypted with ${AWS_MANAGED_SSM_KEY}, not the configured KMS key`),
    },
    {
      name: 'the key is encrypted with another customer key',
      setup: () => put('primary', 'SecureString', OTHER_KEY_ID),
      encryptionKeyArn: KEY_ARN,
      broken: ['primary'],
      says: new RegExp(`encrypted with ${OTHER_KEY_ID}`),
    },
    {
      name: 'the key is encrypted with a customer key where the AWS-managed key is expected',
      setup: () => put('primary', 'SecureString', KEY_ARN),
      broken: ['primary'],
      says: new RegExp(`not the AWS-managed key ${AWS_MANAGED_SSM_KEY}`),
    },
    {
      name: 'both keys are missing during a rotation',
      setup: () => undefined,
      rotationDate: ROTATION_DATE,
      broken: ['primary', 'secondary'],
      says: /does not exist/,
    },
  ];

  test.each(cases)('$name', async ({ setup, rotationDate, encryptionKeyArn, broken, says }) => {
    setup();
    const answer = await answerTo(keyCheckEvent('Update', properties(rotationDate, encryptionKeyArn)));
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: KEY_CHECK_PHYSICAL_RESOURCE_ID });
    expect(answer.Reason).toMatch(says);
    for (const slot of KEY_SLOTS) {
      if (broken.includes(slot)) expect(answer.Reason).toContain(`${PARAMETER[slot]} `);
      expect(answer.Reason.includes(putKeyCommand(ENV, slot))).toBe(broken.includes(slot));
    }
    expect(answer.Reason).toMatch(/then deploy again$/);
  });

  test('a new stack is checked too (Create)', async () => {
    const answer = await answerTo(keyCheckEvent('Create'));
    expect(answer).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining(putKeyCommand(ENV, 'primary')) });
  });
});

describe('a deploy whose tasks can start passes', () => {
  const cases: { name: string; setup: () => void; rotationDate?: string; encryptionKeyArn?: string }[] = [
    { name: 'the primary key, AWS-managed key, no rotation', setup: () => put('primary') },
    {
      name: 'without a rotation a broken secondary does not matter',
      setup: () => {
        put('primary');
        put('secondary', 'String');
      },
    },
    {
      name: 'both keys during a rotation',
      setup: () => KEY_SLOTS.forEach((slot) => put(slot)),
      rotationDate: ROTATION_DATE,
    },
    { name: 'a customer key that SSM reports by ARN', setup: () => put('primary', 'SecureString', KEY_ARN), encryptionKeyArn: KEY_ARN },
    {
      name: 'a customer key that SSM reports by key id, during a rotation',
      setup: () => KEY_SLOTS.forEach((slot) => put(slot, 'SecureString', KEY_ID)),
      rotationDate: ROTATION_DATE,
      encryptionKeyArn: KEY_ARN,
    },
  ];

  test.each(cases)('$name', async ({ setup, rotationDate, encryptionKeyArn }) => {
    setup();
    expect(await answerTo(keyCheckEvent('Update', properties(rotationDate, encryptionKeyArn)))).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: KEY_CHECK_PHYSICAL_RESOURCE_ID,
    });
  });

  test('a short page from SSM with a token for more is followed to the parameter', async () => {
    put('primary');
    const [parameter] = stored.values();
    ssmMock
      .on(DescribeParametersCommand)
      .resolvesOnce({ Parameters: [], NextToken: 'more' })
      .resolves({ Parameters: [parameter] });
    expect(await answerTo(keyCheckEvent('Update'))).toMatchObject({ Status: 'SUCCESS' });
    expect(ssmMock.commandCalls(DescribeParametersCommand)[1].args[0].input.NextToken).toBe('more');
  });

  test('SSM is asked about exactly the parameters the tasks read, by name, for metadata alone', async () => {
    KEY_SLOTS.forEach((slot) => put(slot));
    await answerTo(keyCheckEvent('Update', properties(ROTATION_DATE)));
    const calls = ssmMock.commandCalls(DescribeParametersCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toEqual({
      ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: KEY_SLOTS.map((slot) => PARAMETER[slot]) }],
      MaxResults: expect.any(Number),
    });
  });
});

describe('what is never checked', () => {
  test('a delete answers SUCCESS without asking SSM or CloudFormation, even with no keys and no properties', async () => {
    expect(await answerTo(keyCheckEvent('Delete', {}))).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: KEY_CHECK_PHYSICAL_RESOURCE_ID });
    expect(ssmMock.calls()).toEqual([]);
    expect(cloudformationMock.calls()).toEqual([]);
  });

  test.each(['UPDATE_ROLLBACK_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'IMPORT_ROLLBACK_IN_PROGRESS'])(
    'a stack in %s is let through unchecked, so the rollback completes even with no keys',
    async (status) => {
      stackStatus = status;
      const answer = await answerTo(keyCheckEvent('Update'));
      expect(answer).toMatchObject({ Status: 'SUCCESS', Reason: expect.stringContaining(`skipped: the stack is ${status}`) });
      expect(ssmMock.calls()).toEqual([]);
      expect(cloudformationMock.commandCalls(DescribeStacksCommand)[0].args[0].input).toEqual({ StackName: STACK_ID });
    },
  );

  test.each(['CREATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS'])("a user's deploy (%s) is checked", async (status) => {
    stackStatus = status;
    expect(await answerTo(keyCheckEvent('Update'))).toMatchObject({ Status: 'FAILED' });
  });

  test('when the stack status cannot be read the keys are still checked: a deploy is never waved through', async () => {
    cloudformationMock.on(DescribeStacksCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    expect(await answerTo(keyCheckEvent('Update'))).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining(putKeyCommand(ENV, 'primary')) });
    server.received.length = 0;
    put('primary');
    expect(await answerTo(keyCheckEvent('Update'))).toMatchObject({ Status: 'SUCCESS' });
  });
});

describe('an SSM that refuses or fails answers FAILED, saying what to do', () => {
  test('AccessDenied names the permission and asks for a deploy after the fix', async () => {
    ssmMock
      .on(DescribeParametersCommand)
      .rejects(Object.assign(new Error('not authorized to perform ssm:DescribeParameters'), { name: 'AccessDeniedException' }));
    const answer = await answerTo(keyCheckEvent('Update'));
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(/denied ssm:DescribeParameters .*permissions boundary or an SCP.*then deploy again$/);
    expect(logs).toContainEqual(expect.objectContaining({ level: 'error', extra: expect.objectContaining({ outcome: 'FAILED' }) }));
  });

  test('an outage sends the reader to the service health, then deploy again', async () => {
    ssmMock.on(DescribeParametersCommand).rejects(Object.assign(new Error('We encountered an internal error'), { name: 'InternalServerError' }));
    expect(await answerTo(keyCheckEvent('Update'))).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringMatching(new RegExp(`InternalServerError.*AWS Health Dashboard for SSM in ${REGION}, then deploy again$`)),
    });
  });
});

/** A local SSM endpoint that accepts every request and never answers; it records what was asked. */
async function hangingEndpoint() {
  const targets: string[] = [];
  const open = new Set<http.ServerResponse>();
  const hanging = http.createServer((request, response) => {
    request.resume();
    targets.push(String(request.headers['x-amz-target']));
    open.add(response);
  });
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`,
    targets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const response of open) response.destroy();
        hanging.closeAllConnections();
        hanging.close(() => resolve());
      }),
  };
}

describe('an SSM that never answers still gets CloudFormation an answer', () => {
  // Wide, as the bound only tells which limit ended the wait (each test's other limit is 60 s), not how fast this machine is.
  const SLACK_MS = 10_000;

  test("the invocation's budget ends calls the SDK would wait on, and the answer is FAILED", async () => {
    const hanging = await hangingEndpoint();
    // An order of magnitude above the 0.1 to 0.2 s a first SSM call takes to reach the endpoint, so the call is on the wire when the budget ends it.
    const budgetMs = 3_000;
    // Request timeouts far beyond the budget: only the budget can end this check.
    const config = boundedClientConfig({ connectionTimeoutMs: 60_000, requestTimeoutMs: 60_000, maxAttempts: 3 });
    try {
      const started = Date.now();
      const answer = await answerTo(keyCheckEvent('Update'), {
        ssm: new SSMClient({ ...config, region: REGION, endpoint: hanging.endpoint, credentials }),
        budgetMs,
      });
      expect(Date.now() - started).toBeLessThan(budgetMs + SLACK_MS);
      expect(answer).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining(`SSM did not answer the API key check within ${budgetMs / 1000} s`) });
      // On the wire too: the only thing asked of SSM was DescribeParameters.
      expect(hanging.targets.length).toBeGreaterThan(0);
      expect(new Set(hanging.targets)).toEqual(new Set(['AmazonSSM.DescribeParameters']));
    } finally {
      await hanging.close();
    }
  });

  test("the SDK's own request timeouts end each try, and the answer is FAILED", async () => {
    const hanging = await hangingEndpoint();
    // Each try's timeout an order of magnitude above the 0.1 to 0.2 s a request takes to reach the endpoint, so every try is on the wire when it ends.
    const limits = { connectionTimeoutMs: 10_000, requestTimeoutMs: 2_000, maxAttempts: 2 };
    const ssmClient = new SSMClient({ ...boundedClientConfig(limits), region: REGION, endpoint: hanging.endpoint, credentials });
    try {
      const started = Date.now();
      const answer = await answerTo(keyCheckEvent('Update'), { ssm: ssmClient, budgetMs: 60_000 });
      expect(Date.now() - started).toBeLessThan(limits.maxAttempts * limits.requestTimeoutMs + SLACK_MS);
      expect(answer).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/then deploy again$/) });
      expect(hanging.targets).toHaveLength(limits.maxAttempts);
    } finally {
      await hanging.close();
    }
  });
});

describe('only CloudFormation is answered', () => {
  const cloudFormationUrl = keyCheckEvent('Update').ResponseURL;
  const foreign: [string, string][] = [
    ['a URL elsewhere', 'https://attacker.example/collect'],
    ["an http URL on CloudFormation's bucket name", cloudFormationUrl.replace('https:', 'http:')],
    ["another region's bucket", cloudFormationUrl.replace(/eu-?west-?1/g, (match) => match.replace('eu', 'us'))],
    ['a local URL', 'http://127.0.0.1:8080/cloudformation-response/forged'],
  ];

  test.each(foreign)('an event with %s is refused: no answer, no AWS call', async (_name, url) => {
    const outcome = await checkKeys({ ...keyCheckEvent('Update'), ResponseURL: url }, deps());
    expect(outcome).toHaveProperty('refused');
    expect(answeredUrls).toEqual([]);
    expect(server.received).toEqual([]);
    expect(ssmMock.calls()).toEqual([]);
    expect(cloudformationMock.calls()).toEqual([]);
    expect(logs).toEqual([
      expect.objectContaining({
        level: 'error',
        extra: expect.objectContaining({ why: expect.stringMatching(/^the response URL is not CloudFormation's; .*assumption response-url-host /) }),
      }),
    ]);
  });

  const malformed: [string, unknown][] = [
    ['null', null],
    ['a list', []],
    ['a string', 'Update'],
    ['an empty object', {}],
    ['an unknown request type', { ...keyCheckEvent('Update'), RequestType: 'Replace' }],
    ['no response URL', { ...keyCheckEvent('Update'), ResponseURL: undefined }],
    ['no request id', { ...keyCheckEvent('Update'), RequestId: 7 }],
  ];

  test.each(malformed)('%s is refused with a reason, without a crash, an answer or an AWS call', async (_name, event) => {
    const outcome = await checkKeys(event, deps());
    expect(outcome).toEqual({ refused: expect.stringMatching(/^the event/) });
    expect(answeredUrls).toEqual([]);
    expect(ssmMock.calls()).toEqual([]);
    expect(cloudformationMock.calls()).toEqual([]);
  });

  test("the answer goes to the event's own response URL", async () => {
    const event = keyCheckEvent('Update');
    await answerTo(event);
    expect(answeredUrls).toEqual([event.ResponseURL]);
    expect(server.last()).toMatchObject({ StackId: STACK_ID, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId });
  });
});

describe('malformed properties fail the deploy with a reason, and SSM is never asked', () => {
  const good = properties(ROTATION_DATE);
  const otherEnvironment = environmentNames('dev').parameters.primaryApiKey;
  const cases: [string, Unchecked<KeyCheckProperties>, RegExp][] = [
    ['no EnvName', { ...good, EnvName: undefined }, /^refused: EnvName must be an environment name, got nothing/],
    ['an EnvName that is no environment name', { ...good, EnvName: 'Staging/x' }, /^refused: EnvName must be an environment name, got "Staging\/x"/],
    // Any declared environment is a valid name, but this function answers for its own alone.
    [
      "another environment's EnvName, with that environment's own parameters",
      { ...good, EnvName: 'staging', Parameters: JSON.stringify({ primary: environmentNames('staging').parameters.primaryApiKey }) },
      new RegExp(`^refused: EnvName "staging" is not the environment of this function \\(${NAMES.keyCheck}\\)`),
    ],
    ['Parameters that are not JSON', { ...good, Parameters: '{primary:' }, /^refused: Parameters must be JSON/],
    ['Parameters that are a list', { ...good, Parameters: JSON.stringify([PARAMETER.primary]) }, /^refused: Parameters must be JSON/],
    [
      'an unknown slot',
      { ...good, Parameters: JSON.stringify({ primary: PARAMETER.primary, tertiary: PARAMETER.secondary }) },
      /^refused: Parameters names the slot "tertiary"/,
    ],
    ['no primary slot', { ...good, Parameters: JSON.stringify({ secondary: PARAMETER.secondary }) }, /^refused: Parameters has no primary slot/],
    [
      "another environment's parameter",
      { ...good, Parameters: JSON.stringify({ primary: otherEnvironment }) },
      new RegExp(`^refused: Parameters gives "${otherEnvironment}" for the primary slot, but the primary API key parameter of ${ENV} is ${PARAMETER.primary}`),
    ],
    ['a parameter that is not a key', { ...good, Parameters: JSON.stringify({ primary: NAMES.parameters.trafficState }) }, /^refused: Parameters gives/],
    ['a key alias for EncryptionKeyArn', { ...good, EncryptionKeyArn: 'alias/boop-keys' }, /^refused: EncryptionKeyArn must be a KMS key ARN/],
    ['a number for EncryptionKeyArn', { ...good, EncryptionKeyArn: 7 }, /^refused: EncryptionKeyArn must be a KMS key ARN .*got 7/],
  ];

  test.each(cases)('%s', async (_name, props, reason) => {
    KEY_SLOTS.forEach((slot) => put(slot));
    const answer = await answerTo(keyCheckEvent('Update', props));
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(reason);
    expect(ssmMock.calls()).toEqual([]);
  });
});

describe('the answer and the log', () => {
  test('one physical id for Create and Update, so CloudFormation never replaces the check', async () => {
    put('primary');
    const created = await answerTo(keyCheckEvent('Create'));
    server.received.length = 0;
    const updated = await answerTo(keyCheckEvent('Update'));
    expect(updated.PhysicalResourceId).toBe(created.PhysicalResourceId);
  });

  test("an answer that cannot be delivered fails the invocation, so Lambda's retries answer again", async () => {
    put('primary');
    server.answers.push(...Array<number>(RESPONSE_LIMITS.attempts).fill(500));
    await expect(checkKeys(keyCheckEvent('Update'), deps())).rejects.toThrow('could not answer CloudFormation');
    expect(answeredUrls).toHaveLength(RESPONSE_LIMITS.attempts);
    expect(logs).toContainEqual(expect.objectContaining({ level: 'error', message: 'could not answer CloudFormation' }));
  });

  test('each event is one structured line: request type, the parameters judged, the outcome', async () => {
    put('primary');
    await checkKeys(keyCheckEvent('Update', properties(ROTATION_DATE)), deps());
    expect(logs).toEqual([
      {
        level: 'warn',
        message: 'API key check',
        extra: expect.objectContaining({
          requestType: 'Update',
          envName: ENV,
          parameters: KEY_SLOTS.map((slot) => PARAMETER[slot]),
          outcome: 'FAILED',
          reason: expect.stringContaining(putKeyCommand(ENV, 'secondary')),
        }),
      },
    ]);
  });
});
