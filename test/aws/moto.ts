/**
 * Moto's server (an AWS API emulator in Python) for the tests under test/aws: which Python runs it,
 * whether it can, the command that installs it, and a server of a test file's own on 127.0.0.1.
 * `npm run test:aws` checks it once before any test (test/aws/require-moto.ts), so a machine
 * without it fails at once and says how to fix it.
 */
import { spawn, spawnSync } from 'child_process';
import * as net from 'net';

/** The variable that names the Python to run moto with, for a virtualenv or a machine without python3. */
export const MOTO_PYTHON_VARIABLE = 'MOTO_PYTHON';
/** The Python used when MOTO_PYTHON is not set. */
const DEFAULT_PYTHON = 'python3';
/** What installs moto's server into that Python. */
export const MOTO_INSTALL_COMMAND = 'pip install "moto[server]"';
/** How long `-m moto.server --help` may take: it imports moto and its web server, about 2 s here. */
const CHECK_TIMEOUT_MS = 60_000;
/** How long a started server may take to answer: a few seconds idle, so this is a server that will not start, not a slow one. */
const START_TIMEOUT_MS = 60_000;
/** How often a starting server is asked whether it answers. */
const START_POLL_MS = 200;
/** The credentials every client signs with: moto takes any. */
const MOTO_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** The Python that runs moto's server. */
export function motoPython(): string {
  return process.env[MOTO_PYTHON_VARIABLE] || DEFAULT_PYTHON;
}

/** Why `<python> -m moto.server` cannot run here, in a few words, or undefined when it can. */
export function whyMotoCannotRun(): string | undefined {
  const python = motoPython();
  const check = spawnSync(python, ['-m', 'moto.server', '--help'], { encoding: 'utf8', timeout: CHECK_TIMEOUT_MS });
  if (check.error) {
    const code = (check.error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${python} is not installed (or not on the PATH)` : `${python} could not be run (${code ?? check.error.message})`;
  }
  if (check.status === 0) return undefined;
  const lastLine = check.stderr.trim().split('\n').pop() || `exit code ${check.status ?? check.signal}`;
  return `${python} -m moto.server does not run: ${lastLine}`;
}

/** cfn-lint's entry point, run with moto's Python (moto[server] installs cfn-lint). */
export const CFN_LINT_ARGS = ['-c', "import sys; from cfnlint.runner import main; sys.argv[0] = 'cfn-lint'; sys.exit(main())"];
/** The oldest cfn-lint whose region schemas and JSON output test/aws/cfn-lint.test.ts reads. */
const CFN_LINT_MAJOR = 1;

/** Why cfn-lint cannot run with moto's Python, in a few words, or undefined when it can. */
export function whyCfnLintCannotRun(): string | undefined {
  const python = motoPython();
  const check = spawnSync(python, [...CFN_LINT_ARGS, '--version'], { encoding: 'utf8', timeout: CHECK_TIMEOUT_MS });
  const version = /cfn-lint (\d+)\./.exec(check.stdout ?? '');
  if (check.status !== 0 || !version) return `cfn-lint does not run with ${python}: ${(check.stderr ?? '').trim().split('\n').pop() || 'no version'}`;
  if (Number(version[1]) < CFN_LINT_MAJOR) return `cfn-lint ${version[0]} is older than ${CFN_LINT_MAJOR}.0 (upgrade it)`;
  return undefined;
}

/** The one line that says moto is missing and how to install it. */
export function motoMissingLine(why: string): string {
  return `test:aws needs moto's server, and ${why}; install it with: ${MOTO_INSTALL_COMMAND} (or set ${MOTO_PYTHON_VARIABLE} to a Python that has it)`;
}

/** A moto server of one test file's own, on 127.0.0.1. */
export interface MotoServer {
  /** Its URL: the endpoint of every client, and of moto's own API (/moto-api/). */
  readonly endpoint: string;
  /** The configuration of an SDK client that reaches it, in `region`. */
  readonly clientConfig: (region: string) => { region: string; endpoint: string; credentials: typeof MOTO_CREDENTIALS };
  /** Empties its account, for a test that starts from nothing. */
  readonly reset: () => Promise<void>;
  /** Stops it, and waits until it has gone, so Jest does not wait on the child process after the run. */
  readonly stop: () => Promise<void>;
}

/** Starts moto's server on a free port, and waits until it answers. */
export async function startMoto(): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(motoPython(), ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const server: MotoServer = {
    endpoint,
    clientConfig: (region) => ({ region, endpoint, credentials: MOTO_CREDENTIALS }),
    reset: async () => {
      await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
    },
  };
  const answers = () =>
    fetch(`${endpoint}/moto-api/`)
      .then((answer) => answer.ok)
      .catch(() => false);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await answers())) {
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(motoMissingLine(`it did not answer within ${START_TIMEOUT_MS / 1000} s of starting`));
    }
    await new Promise((resolve) => setTimeout(resolve, START_POLL_MS));
  }
  return server;
}

/** A port on 127.0.0.1 that nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
