/**
 * The real `npm run keys` as a child process (its code bundled once, as operatorBundle says), with a clean
 * environment (fake credentials, no profile, no instance metadata), stdin piped, and AWS endpoints
 * that the test runs on 127.0.0.1: a piped key loses one trailing newline and reaches SSM as a
 * SecureString; a key in argv is refused without being repeated and nothing is sent; every failure
 * is one line on stderr and exit code 1, never a stack trace. The runs are independent, so they run
 * concurrently.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { projectEnvironments } from '../../cli/environments';
import { BUILT_IN_ENVIRONMENTS, environmentNames } from '../../common/names';
import { fakeKey } from '../keys/key-world';
import { cleanEnv, expectOneLine, FakeAwsEndpoint, fakeAwsEndpoint, operatorBundle } from '../support/operator-process';
import { ProcessRun, runProcess } from '../support/process';

const ROOT = path.join(__dirname, '..', '..');
/** `npm run keys`'s code, bundled once for every run here. */
const BUNDLE = operatorBundle('keys');
afterAll(() => BUNDLE.remove());
/** A run still going after this long is killed and fails its test. */
const RUN_LIMIT_MS = 90_000;
/** The repository's cdk.json configures dev; the runs use it as an operator's checkout would. */
const ENV = 'dev';
/** The BOOP environment ENV talks to, as every project declares it. */
const BOOP = BUILT_IN_ENVIRONMENTS[ENV];
const names = environmentNames(ENV);

/** `npm run keys -- <args>` in `cwd`, whose cdk.json declares the environments, with `stdin` piped in (and then closed). */
function keys(args: readonly string[], env: NodeJS.ProcessEnv, stdin: string | Buffer = '', cwd = ROOT): Promise<ProcessRun> {
  return runProcess(process.execPath, [BUNDLE.file, ...args], { cwd, env, timeoutMs: RUN_LIMIT_MS, stdin });
}

/**
 * An AWS endpoint on 127.0.0.1 for a stack that is not deployed: SSM (JSON protocol) holds no
 * parameters and takes PutParameter; CloudFormation (query protocol) says the stack does not exist.
 */
function notDeployedAws(): Promise<FakeAwsEndpoint> {
  return fakeAwsEndpoint(({ target, action }, res) => {
    if (target.startsWith('AmazonSSM.')) {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(action === 'PutParameter' ? { Version: 1, Tier: 'Standard' } : action === 'DescribeParameters' ? { Parameters: [] } : {}));
      return;
    }
    res.writeHead(400, { 'content-type': 'text/xml' });
    res.end(
      '<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code>' +
        `<Message>Stack with id ${names.stack} does not exist</Message></Error><RequestId>5c4b6a1e-0000-4000-8000-000000000000</RequestId></ErrorResponse>`,
    );
  });
}

/** What follows a key's prefix: the part no output may show. */
const secretPart = (key: string) => key.slice(key.indexOf('_', 3) + 1);

describe('put, with the key piped in', () => {
  test.concurrent.each([
    ['\\n', '\n'],
    ['\\r\\n', '\r\n'],
  ])('one trailing %s is dropped; the key goes to SSM as a SecureString and nowhere else', async (_name, newline) => {
    const aws = await notDeployedAws();
    const key = fakeKey(BOOP, 'p');
    try {
      const run = await keys(['put', '--env', ENV, '--slot', 'primary'], cleanEnv({ AWS_ENDPOINT_URL: aws.url }), `${key}${newline}`);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const puts = aws.requests.filter((r) => r.action === 'PutParameter').map((r) => JSON.parse(r.body) as Record<string, unknown>);
      expect(puts).toEqual([expect.objectContaining({ Name: names.parameters.primaryApiKey, Value: key, Type: 'SecureString', Overwrite: true })]);
      expect(run.stdout).toMatch(/wrote the primary key to .* \(SecureString, encrypted with alias\/aws\/ssm, version 1\)/);
      expect(run.stdout).toMatch(/next: deploy the stack/);
      expect(run.stdout).not.toContain(secretPart(key));
    } finally {
      await aws.close();
    }
  });

  test.concurrent.each([
    ['nothing', '', /^keys: the key is empty; .*nothing was written$/m],
    ['whitespace only', '  \n', /^keys: the key is empty; .*nothing was written$/m],
    ['two lines', `${fakeKey(BOOP, 'p')}\n${fakeKey(BOOP, 'q')}\n`, /^keys: character \d+ of the key is whitespace .*nothing was written$/m],
    [
      'bytes that are not UTF-8',
      Buffer.concat([Buffer.from(fakeKey(BOOP, 'p')), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]),
      new RegExp(`^keys: character ${fakeKey(BOOP, 'p').length + 1} of the key is U\\+FFFD, bytes that are not UTF-8 .*nothing was written$`, 'm'),
    ],
    ["production's key in dev", `${fakeKey('production', 'p')}\n`, /^keys: development BOOP takes .*nothing was written$/m],
  ])('%s: refused in one line, and nothing is sent', async (_case, stdin, hint) => {
    const aws = await notDeployedAws();
    try {
      const run = await keys(['put', '--env', ENV, '--slot', 'secondary'], cleanEnv({ AWS_ENDPOINT_URL: aws.url }), stdin);
      expectOneLine(run, 'keys', hint, ...stdin.toString('latin1').split(/\s+/).filter(Boolean).map(secretPart));
      expect(aws.requests).toHaveLength(0);
    } finally {
      await aws.close();
    }
  });
});

describe('refused before any request, in one line', () => {
  const key = fakeKey(BOOP, 'v');
  // The process's part: one line on stderr, exit 1, no key in any output. Every rule of the command line is in keys.test.ts.

  test.concurrent.each([
    ['a key as an argument', ['put', '--env', ENV, '--slot', 'primary', key], /^keys: a key is never a command-line argument: .*treat it as exposed/],
    [
      'an unknown environment',
      ['check', '--env', 'staging'],
      new RegExp(`^keys: unknown environment "staging"; declared environments: ${[...projectEnvironments(ROOT).environments.keys()].join(', ')} \\(`, 'm'),
    ],
    [
      'a configuration file that is not there',
      ['check', '--env', ENV, '--config-file', 'no-such-file.json'],
      /^keys: the configuration of dev has a problem, .*config file no-such-file\.json cannot be read/,
    ],
  ])('%s', async (_case, args, hint) => {
    const aws = await notDeployedAws();
    try {
      const run = await keys(args, cleanEnv({ AWS_ENDPOINT_URL: aws.url }), `${fakeKey(BOOP, 's')}\n`);
      expectOneLine(run, 'keys', hint, secretPart(key), secretPart(fakeKey(BOOP, 's')));
      expect(aws.requests).toHaveLength(0);
    } finally {
      await aws.close();
    }
  });

  test.concurrent('no credentials', async () => {
    const aws = await notDeployedAws();
    try {
      const run = await keys(['check', '--env', ENV], cleanEnv({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_ENDPOINT_URL: aws.url }));
      expectOneLine(run, 'keys', /^keys: no AWS credentials found; set AWS_PROFILE/);
      expect(aws.requests).toHaveLength(0);
    } finally {
      await aws.close();
    }
  });

  test.concurrent.each([[['put', '--help']]])('%j prints the usage and exits 0', async (args) => {
    const run = await keys(args, cleanEnv());
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^usage: npm run keys -- /);
    expect(run.stderr).toBe('');
  });
});

describe('check, before the stack is deployed', () => {
  test.concurrent('prints the parameters and says the services are not deployed', async () => {
    const aws = await notDeployedAws();
    try {
      const run = await keys(['check', '--env', ENV], cleanEnv({ AWS_ENDPOINT_URL: aws.url }));
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`${names.parameters.primaryApiKey.replace(/\//g, '\\/')} +no`));
      expect(run.stdout).toMatch(/services +not deployed; deploy with: npx cdk deploy -c env=dev/);
    } finally {
      await aws.close();
    }
  });
});

describe("a folder whose cdk.json declares an environment of the team's own name", () => {
  // Made here, not in a hook: concurrent tests may start before beforeAll has run.
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'keys-environments-'));
  fs.writeFileSync(path.join(folder, 'cdk.json'), JSON.stringify({ context: { 'boop:environments': { preprod: { boopEnvironment: 'production' } } } }));
  afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

  test.concurrent('put --env preprod, bound to BOOP production, refuses a development key: nothing is sent', async () => {
    const aws = await notDeployedAws();
    const key = fakeKey('development', 'd');
    try {
      const run = await keys(['put', '--env', 'preprod', '--slot', 'primary'], cleanEnv({ AWS_ENDPOINT_URL: aws.url }), `${key}\n`, folder);
      expectOneLine(run, 'keys', /^keys: production BOOP takes sk_live_… keys, this is a sk_dev_… key; .*nothing was written$/m, secretPart(key));
      expect(aws.requests).toHaveLength(0);
    } finally {
      await aws.close();
    }
  });
});
