/**
 * Reading a key from stdin, the only way `keys put` takes one: typed on a terminal with no echo,
 * or read whole from a pipe. Nothing here writes the value anywhere.
 */
import type { Readable, Writable } from 'stream';
import { CliError } from './errors';

/** More than this from a pipe is not a key (SSM holds 4 KB): reading stops there rather than filling memory. */
export const MAX_PIPED_BYTES = 64 * 1024;

/** What a terminal's stdin offers: raw mode, in which the terminal neither echoes nor edits the line. */
export interface TerminalInput extends Readable {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

/** The piped text without ONE trailing newline (`\n` or `\r\n`), as `echo` or a text file adds: a second one is kept, and refused as whitespace. */
export function withoutTrailingNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}

/** The key from stdin: typed with no echo on a terminal (the prompt on `prompts`), else read whole from the pipe. */
export function readKey(input: TerminalInput, prompts: Writable, prompt: string): Promise<string> {
  return input.isTTY && input.setRawMode ? readTyped(input, prompts, prompt) : readPiped(input);
}

/** Everything piped in, without one trailing newline. */
export async function readPiped(input: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of input) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer);
    bytes += buffer.length;
    if (bytes > MAX_PIPED_BYTES) {
      input.destroy();
      throw new CliError(`stdin holds more than ${MAX_PIPED_BYTES / 1024} KiB, which is not a key; pipe the key alone; nothing was written`);
    }
    chunks.push(buffer);
  }
  return withoutTrailingNewline(Buffer.concat(chunks).toString('utf8'));
}

const ENTER = new Set(['\r', '\n']);
const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const BACKSPACE = new Set(['\u007f', '\b']);

/**
 * A line typed in raw mode, echoing nothing: Enter (or Ctrl-D) ends it, backspace deletes the last
 * character, Ctrl-C cancels. Any other character is kept as typed, so a stray control character
 * reaches the key check and is refused there rather than silently dropped.
 */
export function readTyped(input: TerminalInput, prompts: Writable, prompt: string): Promise<string> {
  prompts.write(prompt);
  return new Promise((resolve, reject) => {
    let value: string[] = [];
    const finish = (error?: CliError) => {
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      input.setRawMode?.(false);
      input.pause();
      prompts.write('\n');
      if (error) reject(error);
      else resolve(value.join(''));
    };
    const onData = (chunk: Buffer | string) => {
      // Array.from splits by code point, so a backspace removes a whole character.
      for (const character of Array.from(chunk.toString())) {
        if (ENTER.has(character) || character === CTRL_D) return finish();
        if (character === CTRL_C) {
          value = [];
          return finish(new CliError('cancelled (Ctrl-C); nothing was written'));
        }
        if (BACKSPACE.has(character)) value.pop();
        else value.push(character);
      }
    };
    const onEnd = () => finish();
    input.setRawMode?.(true);
    input.on('data', onData);
    input.on('end', onEnd);
    input.resume();
  });
}
