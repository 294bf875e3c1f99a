/**
 * What code writes to this process's stdout (e.g. Powertools' EMF lines), caught instead of
 * printed. stdout is restored when the code returns or throws.
 */

export interface Captured<T> {
  /** What the code returned. */
  readonly result: T;
  /** Everything written to stdout meanwhile, as written. */
  readonly output: string;
}

/** Runs `run` with stdout caught. */
export function captureStdout<T>(run: () => T): Captured<T> {
  const stop = catchStdout();
  try {
    const result = run();
    return { result, output: stop() };
  } finally {
    stop();
  }
}

/** Runs `run` with stdout caught until the promise it returns settles. */
export async function captureStdoutAsync<T>(run: () => Promise<T>): Promise<Captured<T>> {
  const stop = catchStdout();
  try {
    const result = await run();
    return { result, output: stop() };
  } finally {
    stop();
  }
}

/** Replaces stdout's write; the returned function puts it back (again and again, harmlessly) and returns what was caught. */
function catchStdout(): () => string {
  const write = process.stdout.write;
  let output = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    output += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stdout.write;
  return () => {
    process.stdout.write = write;
    return output;
  };
}
