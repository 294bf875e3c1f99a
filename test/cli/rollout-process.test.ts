/**
 * The real `npm run rollout` as a child process (its code bundled once, as operatorBundle says), with a clean environment (fake credentials, no
 * profile, no instance metadata) and AWS endpoints that the test runs on 127.0.0.1: every failure
 * is one line on stderr and exit code 1, never a stack trace; --help exits 0; refused operations
 * make no request at all. The runs are independent, so they run concurrently.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { READ_ATTEMPTS, READ_TIMEOUT_MS } from '../../cli/rollout';
import { cleanEnv, expectOneLine, fakeAwsEndpoint, operatorBundle } from '../support/operator-process';
import { ProcessRun, runProcess } from '../support/process';

const ROOT = path.join(__dirname, '..', '..');
/** `npm run rollout`'s code, bundled once for every run here. */
const BUNDLE = operatorBundle('rollout');
afterAll(() => BUNDLE.remove());
/** A child process's start-up on a busy two-core machine, and then some. */
const SLACK_MS = 15_000;
/** A run still going after this long is killed and fails its test. */
const RUN_LIMIT_MS = 90_000;

/** The real command, as `npm run rollout` runs it (bundled) in `cwd`, whose cdk.json declares the environments. */
function rollout(args: readonly string[], env: NodeJS.ProcessEnv, cwd = ROOT): Promise<ProcessRun> {
  return runProcess(process.execPath, [BUNDLE.file, ...args], { cwd, env, timeoutMs: RUN_LIMIT_MS });
}

/** A port on 127.0.0.1 that nobody listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('AWS unreachable or refusing', () => {
  // First, so the run that waits out its timeouts starts while the others run.
  test.concurrent('an endpoint that never answers: the timeouts bound the run', async () => {
    const aws = await fakeAwsEndpoint();
    try {
      const run = await rollout(['status', '--env', 'prod'], cleanEnv({ AWS_ENDPOINT_URL: aws.url }));
      expectOneLine(
        run,
        'rollout',
        new RegExp(`^rollout: AWS did not answer within ${READ_TIMEOUT_MS / 1000} s \\(timeout, ${READ_ATTEMPTS} tries\\); check your network`),
      );
      expect(aws.requests).toHaveLength(READ_ATTEMPTS);
      expect(run.ms).toBeLessThan(READ_ATTEMPTS * READ_TIMEOUT_MS + SLACK_MS);
    } finally {
      await aws.close();
    }
  });

  test.concurrent('an unknown region: its endpoint does not resolve', async () => {
    // The SDK builds cloudformation.eu-nowhere-1.amazonaws.com, which DNS does not know (ENOTFOUND).
    const run = await rollout(['status', '--env', 'prod'], cleanEnv({ AWS_REGION: 'eu-nowhere-1' }));
    expectOneLine(run, 'rollout', /^rollout: cannot resolve cloudformation\.eu-nowhere-1\.amazonaws\.com \((ENOTFOUND|EAI_AGAIN)\b.*names a real AWS region/);
  });

  test.concurrent('nothing listens at the endpoint', async () => {
    const port = await closedPort();
    const run = await rollout(['status', '--env', 'prod'], cleanEnv({ AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` }));
    expectOneLine(
      run,
      'rollout',
      new RegExp(`^rollout: nothing accepts connections at 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED, ${READ_ATTEMPTS} tries\\); check your network`),
    );
  });

  test.concurrent('AWS rejects the access key (InvalidClientTokenId)', async () => {
    const aws = await fakeAwsEndpoint((_request, res) => {
      res.writeHead(403, { 'content-type': 'text/xml' });
      res.end(
        '<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>' +
          '<Message>The security token included in the request is invalid.</Message></Error><RequestId>5c4b6a1e-0000-4000-8000-000000000000</RequestId></ErrorResponse>',
      );
    });
    try {
      const run = await rollout(['status', '--env', 'prod'], cleanEnv({ AWS_ENDPOINT_URL: aws.url }));
      expectOneLine(run, 'rollout', /^rollout: AWS does not recognise your access key \(InvalidClientTokenId\); check AWS_PROFILE or AWS_ACCESS_KEY_ID/);
      // Rejected credentials are not retried.
      expect(aws.requests).toHaveLength(1);
    } finally {
      await aws.close();
    }
  });
});

describe('help', () => {
  // The process's part: usage on stdout, nothing on stderr, exit 0. Every spelling of help is in rollout.test.ts.
  test.concurrent.each([
    [['--help'], 'npm run rollout -- <command> --env'],
    [['drill', '--env', 'prod', '-h'], 'npm run rollout -- drill --env'],
  ])('%j prints the usage, exits 0 and calls nothing', async (args, usage) => {
    const aws = await fakeAwsEndpoint();
    try {
      const run = await rollout(args, cleanEnv({ AWS_ENDPOINT_URL: aws.url }));
      expect(run.code).toBe(0);
      expect(run.stdout.startsWith(`usage: ${usage}`)).toBe(true);
      expect(run.stdout).toMatch(/--help/);
      expect(run.stderr).toBe('');
      expect(aws.requests).toHaveLength(0);
    } finally {
      await aws.close();
    }
  });
});

describe('refused before any request', () => {
  test.concurrent('drill --env prod without --production-drill', async () => {
    const aws = await fakeAwsEndpoint();
    try {
      const run = await rollout(['drill', '--env', 'prod'], cleanEnv({ AWS_ENDPOINT_URL: aws.url }));
      expectOneLine(run, 'rollout', /^rollout: a drill rolls production traffic back to blue; to do that on purpose, add --production-drill$/m);
      expect(aws.requests).toHaveLength(0);
    } finally {
      await aws.close();
    }
  });

  // The process's part: one line on stderr, exit 1. Every rule of the command line is in rollout.test.ts.
  test.concurrent.each([[['plan', '--env', 'prod', '--green-percent', '101'], /^rollout: --green-percent must be a whole number from 0 to 100, got "101"$/m]])(
    '%j: a mistake on the command line',
    async (args, hint) => {
      const aws = await fakeAwsEndpoint();
      try {
        const run = await rollout(args, cleanEnv({ AWS_ENDPOINT_URL: aws.url }));
        expectOneLine(run, 'rollout', hint);
        expect(aws.requests).toHaveLength(0);
      } finally {
        await aws.close();
      }
    },
  );

  test.concurrent('no credentials', async () => {
    const aws = await fakeAwsEndpoint();
    try {
      const run = await rollout(
        ['status', '--env', 'prod'],
        cleanEnv({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_ENDPOINT_URL: aws.url }),
      );
      expectOneLine(run, 'rollout', /^rollout: no AWS credentials found; set AWS_PROFILE/);
      expect(aws.requests).toHaveLength(0);
    } finally {
      await aws.close();
    }
  });

  test.concurrent('a region name that cannot be one', async () => {
    const run = await rollout(['status', '--env', 'prod'], cleanEnv({ AWS_REGION: 'eu_west_1' }));
    expectOneLine(run, 'rollout', /^rollout: "eu_west_1" is not a valid AWS region name; set AWS_REGION/);
  });
});

describe("a folder whose cdk.json declares environments of the team's own names", () => {
  // Made here, not in a hook: concurrent tests may start before beforeAll has run.
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'rollout-environments-'));
  const declared = { preprod: { boopEnvironment: 'production' }, staging: { boopEnvironment: 'development' } };
  fs.writeFileSync(path.join(folder, 'cdk.json'), JSON.stringify({ context: { 'boop:environments': declared } }));
  afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

  test.concurrent('drill --env preprod, bound to BOOP production, needs --production-drill; refused before any request', async () => {
    const aws = await fakeAwsEndpoint();
    try {
      const run = await rollout(['drill', '--env', 'preprod'], cleanEnv({ AWS_ENDPOINT_URL: aws.url }), folder);
      expectOneLine(run, 'rollout', /^rollout: a drill rolls production traffic back to blue; to do that on purpose, add --production-drill$/m);
      expect(aws.requests).toHaveLength(0);
    } finally {
      await aws.close();
    }
  });

  test.concurrent('an environment it does not declare is refused, listing the built-in ones and its own, before any request', async () => {
    const aws = await fakeAwsEndpoint();
    try {
      const run = await rollout(['status', '--env', 'qa'], cleanEnv({ AWS_ENDPOINT_URL: aws.url }), folder);
      expectOneLine(run, 'rollout', /^rollout: unknown environment "qa"; declared environments: dev, prod, preprod, staging \(/m);
      expect(aws.requests).toHaveLength(0);
    } finally {
      await aws.close();
    }
  });
});
