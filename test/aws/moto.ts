/**
 * Moto's server (an AWS API emulator in Python) for the tests under test/aws: which Python runs it,
 * whether it can, and the command that installs it. `npm run test:aws` checks it once before any
 * test (test/aws/require-moto.ts), so a machine without it fails at once and says how to fix it.
 */
import { spawnSync } from 'child_process';

/** The variable that names the Python to run moto with, for a virtualenv or a machine without python3. */
export const MOTO_PYTHON_VARIABLE = 'MOTO_PYTHON';
/** The Python used when MOTO_PYTHON is not set. */
const DEFAULT_PYTHON = 'python3';
/** What installs moto's server into that Python. */
export const MOTO_INSTALL_COMMAND = 'pip install "moto[server]"';
/** How long `-m moto.server --help` may take: it imports moto and its web server, about 2 s here. */
const CHECK_TIMEOUT_MS = 60_000;

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

/** The one line that says moto is missing and how to install it. */
export function motoMissingLine(why: string): string {
  return `test:aws needs moto's server, and ${why}; install it with: ${MOTO_INSTALL_COMMAND} (or set ${MOTO_PYTHON_VARIABLE} to a Python that has it)`;
}
