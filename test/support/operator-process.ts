/**
 * What the tests that run an operator command as a child process (`npm run rollout`, `npm run
 * keys`) share: an environment with fake credentials and nothing of the user's, an AWS endpoint on
 * 127.0.0.1 that records what it is sent, and the check that a failure is one line on stderr.
 */
import { buildSync } from 'esbuild';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { ProcessRun } from './process';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/**
 * The operator command `npm run <name>` runs (`tsx bin/<name>.ts`), bundled with esbuild into a
 * temporary folder: the same code, started without tsx compiling it on every run (the README's
 * test runs each npm script itself). Returns the bundle's path and the removal of its folder.
 */
export function operatorBundle(name: 'rollout' | 'keys'): { readonly file: string; readonly remove: () => void } {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-bundle-`));
  const file = path.join(folder, `${name}.js`);
  buildSync({ entryPoints: [path.join(REPO_ROOT, 'bin', `${name}.ts`)], bundle: true, platform: 'node', target: 'node20', outfile: file, logLevel: 'warning' });
  return { file, remove: () => fs.rmSync(folder, { recursive: true, force: true }) };
}

/** The access key id of every run: fake, and never to be printed. */
const FAKE_KEY_ID = 'AKIAFAKEFAKEFAKEFAKE';
/** The secret access key of every run: fake, and never to be printed. */
const FAKE_SECRET = 'fake-secret-for-tests-only-0123456789';

/** No real AWS variables: a fresh HOME (no ~/.aws), no instance metadata, fake keys; `extra` adds or (as undefined) removes variables. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: fs.mkdtempSync(path.join(os.tmpdir(), 'operator-home-')),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: FAKE_KEY_ID,
    AWS_SECRET_ACCESS_KEY: FAKE_SECRET,
    ...extra,
  };
}

/** One request as the endpoint saw it. */
export interface SeenRequest {
  /** The JSON protocol's x-amz-target, e.g. `AmazonSSM.PutParameter`; empty for the query protocol. */
  readonly target: string;
  /** The action: the target's last part, or the query's Action. */
  readonly action: string;
  readonly body: string;
}

/** An AWS endpoint of a test's own. */
export interface FakeAwsEndpoint {
  /** What AWS_ENDPOINT_URL is set to. */
  readonly url: string;
  /** Every request so far, in order. */
  readonly requests: readonly SeenRequest[];
  /** Stops it, cutting the connections still open. */
  readonly close: () => Promise<void>;
}

/** An AWS endpoint on 127.0.0.1 that records each request and answers it with `answer` (or never, without one). */
export async function fakeAwsEndpoint(answer?: (request: SeenRequest, res: http.ServerResponse) => void): Promise<FakeAwsEndpoint> {
  const requests: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const action = target ? target.split('.').pop()! : (new URLSearchParams(body).get('Action') ?? '?');
      const request = { target, action, body };
      requests.push(request);
      answer?.(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Exit code 1 and exactly one line on stderr, `<program>: …`, matching `hint`, with no stack frame, and no secret in either stream. */
export function expectOneLine(run: Omit<ProcessRun, 'ms'>, program: string, hint: RegExp, ...secrets: string[]): void {
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(new RegExp(`^${program}: [^\\n]+\\n$`));
  expect(run.stderr).toMatch(hint);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  for (const secret of [FAKE_KEY_ID, FAKE_SECRET, ...secrets]) {
    expect(run.stderr).not.toContain(secret);
    expect(run.stdout).not.toContain(secret);
  }
}
