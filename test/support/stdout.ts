/**
 * What code writes to this process's stdout (e.g. Powertools' EMF lines) and stderr (its WARN and
 * ERROR log lines), caught instead of printed. Both are restored when the code returns or throws.
 */

export interface Captured<T> {
  /** What the code returned. */
  readonly result: T;
  /** Everything written to stdout meanwhile, as written. */
  readonly output: string;
  /** Everything written to stderr meanwhile, as written. */
  readonly errors: string;
}

/** Runs `run` with stdout and stderr caught. */
export function captureStdout<T>(run: () => T): Captured<T> {
  const stop = catchOutput();
  try {
    return { result: run(), ...stop() };
  } finally {
    stop();
  }
}

/** Runs `run` with stdout and stderr caught until the promise it returns settles. */
export async function captureStdoutAsync<T>(run: () => Promise<T>): Promise<Captured<T>> {
  const stop = catchOutput();
  try {
    return { result: await run(), ...stop() };
  } finally {
    stop();
  }
}

/** Replaces both streams' writes; the returned function puts them back (again and again, harmlessly) and returns what was caught. */
function catchOutput(): () => { output: string; errors: string } {
  const [stdout, stderr] = [catchWrites(process.stdout), catchWrites(process.stderr)];
  return () => ({ output: stdout(), errors: stderr() });
}

function catchWrites(stream: NodeJS.WriteStream): () => string {
  const write = stream.write;
  let caught = '';
  stream.write = ((chunk: string | Uint8Array) => {
    caught += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof stream.write;
  return () => {
    stream.write = write;
    return caught;
  };
}
