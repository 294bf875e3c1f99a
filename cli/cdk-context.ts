/** cdk.json's context, read as the CDK CLI reads it for the app: what the operator CLIs load the configuration from. */
import * as fs from 'fs';
import * as path from 'path';
import { CliError } from './errors';

/** cdk.json's "context" in `cwd`; a missing or unreadable cdk.json is a CliError that says where to run `command`. */
export function readCdkJsonContext(cwd: string, command: string): Record<string, unknown> {
  const cdkJson = path.join(cwd, 'cdk.json');
  let text: string;
  try {
    text = fs.readFileSync(cdkJson, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new CliError(
      missing
        ? `no cdk.json in ${cwd}; run ${command} in the boop-deploy folder, where the environments' configuration is`
        : `cdk.json in ${cwd} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unreadable'}); fix it, then run the command again`,
    );
  }
  try {
    return (JSON.parse(text) as { context?: Record<string, unknown> }).context ?? {};
  } catch (error) {
    throw new CliError(`cdk.json in ${cwd} is not valid JSON${whereInText(text, (error as Error).message)}; fix it, then run the command again`);
  }
}

/** Where JSON.parse stopped, as a line and column, without quoting the text (a value there could be one not to print). */
function whereInText(text: string, message: string): string {
  const position = /position (\d+)/.exec(message);
  if (!position) return '';
  const before = text.slice(0, Number(position[1])).split('\n');
  return ` (at line ${before.length}, column ${before[before.length - 1].length + 1})`;
}
