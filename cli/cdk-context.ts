/** cdk.json's context, read as the CDK CLI reads it for the app: what the operator CLIs load the configuration from. */
import * as fs from 'fs';
import * as path from 'path';
import { CliError } from './errors';

/** cdk.json's "context" in `cwd`; a missing or unreadable cdk.json is a CliError that says where to run `command`. */
export function readCdkJsonContext(cwd: string, command: string): Record<string, unknown> {
  const cdkJson = path.join(cwd, 'cdk.json');
  try {
    return (JSON.parse(fs.readFileSync(cdkJson, 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new CliError(
      missing
        ? `no cdk.json in ${cwd}; run ${command} in the boop-deploy folder, where the environments' configuration is`
        : `cdk.json in ${cwd} cannot be read as JSON (${(error as Error).message}); fix it, then run the command again`,
    );
  }
}
