/**
 * A command run as a child process the way a user runs it, with its stdout and stderr caught.
 */
import { spawn } from 'child_process';

export interface ProcessRun {
  /** The exit code; null when the process was killed (e.g. by the time limit). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall-clock time from start to exit. */
  readonly ms: number;
}

export interface ProcessOptions {
  /** The working directory. */
  readonly cwd: string;
  /** The whole environment of the child: nothing of this process's is passed on unless given here. */
  readonly env: NodeJS.ProcessEnv;
  /** After this long the process is killed (SIGKILL): a stuck run fails instead of hanging the suite. */
  readonly timeoutMs: number;
  /** Piped to the child's stdin, which is then closed. @default stdin is left open and empty */
  readonly stdin?: string | Buffer;
}

/** Runs `command args` to its end. */
export function runProcess(command: string, args: readonly string[], options: ProcessOptions): Promise<ProcessRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    if (options.stdin !== undefined) {
      // A command refused before it reads stdin closes it; the write's EPIPE is not the caller's concern.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.stdin);
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}
