/**
 * The real `npm run preflight` as a child process (tsx, as the npm script runs it) in an environment
 * with nothing of the user's: no credentials, no profile, no instance metadata, and an AWS endpoint
 * on 127.0.0.1 that records what it is sent. Without credentials the command says in one line what
 * to set, sends nothing, and exits 1; a command line it cannot read, or an environment cdk.json does
 * not declare, exits 2 before anything is sent. The checks themselves:
 * preflight.test.ts.
 */
import * as path from 'path';
import { cleanEnv, expectOneLine, fakeAwsEndpoint } from '../support/operator-process';
import { runProcess } from '../support/process';

const ROOT = path.join(__dirname, '..', '..');
/** A run still going after this long is killed and fails its test. */
const RUN_LIMIT_MS = 90_000;

const preflight = (args: readonly string[], env: NodeJS.ProcessEnv) =>
  runProcess(process.execPath, [require.resolve('tsx/cli'), 'bin/preflight.ts', ...args], { cwd: ROOT, env, timeoutMs: RUN_LIMIT_MS });

test.concurrent('npm run preflight -- --env prod without credentials: one line saying what to set, nothing sent, exit 1', async () => {
  // An endpoint that never answers: a request sent to it would show, and would not end the run.
  const aws = await fakeAwsEndpoint();
  try {
    const run = await preflight(
      ['--env', 'prod'],
      cleanEnv({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_REGION: undefined, AWS_ENDPOINT_URL: aws.url }),
    );
    expect(run.stdout).toBe('');
    expectOneLine(
      run,
      'preflight',
      /^preflight: no AWS credentials found; set AWS_PROFILE .*\(aws configure, or aws sso login .*\), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n$/,
    );
    expect(aws.requests).toEqual([]);
  } finally {
    await aws.close();
  }
});

test.concurrent('a command line it cannot read: one line, exit 2', async () => {
  const run = await preflight(['--env'], cleanEnv());
  expect(run.stdout).toBe('');
  expect(run.code).toBe(2);
  expect(run.stderr).toBe('preflight: --env needs a value: --env <env> (npm run preflight -- --help)\n');
});

test.concurrent('an environment cdk.json does not declare: one line listing those it does, nothing sent even with credentials, exit 2', async () => {
  const aws = await fakeAwsEndpoint();
  try {
    const run = await preflight(['--env', 'staging'], cleanEnv({ AWS_ENDPOINT_URL: aws.url }));
    expect(run.stdout).toBe('');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^preflight: unknown environment "staging"; declared environments: dev, prod\b.*\(declare others in cdk\.json's boop:environments/,
    );
    expect(aws.requests).toEqual([]);
  } finally {
    await aws.close();
  }
});
