/**
 * A `cdk deploy` the operator commands run themselves (promote --yes, rehearse): its words, how the
 * operator would type it, and the runner that starts it on the terminal (tests replace the runner).
 */
import { spawn } from 'child_process';
import { constants as osConstants } from 'os';
import { CliError } from './errors';
import { ROLLOUT_OVERRIDE_CONTEXT } from './rollout-args';

/** Runs one command of this project (argv[0] is the program) on the operator's terminal; resolves with its exit code. */
export type CommandRunner = (argv: readonly string[]) => Promise<number>;

/** Runs the command without a shell, its input and output the terminal's; a signal's end is 128 + its number, as a shell says. */
export const runOnTerminal: CommandRunner = ([program, ...args]) =>
  new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: 'inherit' });
    child.on('error', (error) =>
      reject(new CliError(`could not start ${program} (${(error as NodeJS.ErrnoException).code ?? error.message}); check that Node's npx is on PATH`)),
    );
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0)));
  });

/** One `npx cdk deploy` of the environment: the stack parameters it sets, in order, and its override. */
export interface DeployCommand {
  readonly parameters: readonly (readonly [string, string])[];
  /** `-c rolloutOverride="<reason>"`. @default none */
  readonly overrideReason?: string;
}

/** The command's words, as the runner is given them; each parameter is its own --parameters (cdk reads one value per flag). */
export function deployArgv(env: string, command: DeployCommand): string[] {
  return [
    'npx',
    'cdk',
    'deploy',
    '-c',
    `env=${env}`,
    ...(command.overrideReason !== undefined ? ['-c', `${ROLLOUT_OVERRIDE_CONTEXT}=${command.overrideReason}`] : []),
    ...command.parameters.flatMap(([name, value]) => ['--parameters', `${name}=${value}`]),
  ];
}

/**
 * `npx cdk diff` of the environment, failing when this checkout's template is not the deployed one: a
 * command that deploys from the checkout would deploy those differences too. Templates only, so the
 * live parameter values never count as a difference.
 */
export function checkoutDiffArgv(env: string): string[] {
  return ['npx', 'cdk', 'diff', '-c', `env=${env}`, '--method', 'template', '--fail'];
}

/** The command as the operator types it in a POSIX shell. */
export function shown(argv: readonly string[]): string {
  return argv.map(shellWord).join(' ');
}

/** A word bare when the shell reads it back unchanged, else its value double-quoted after its `name=`. */
function shellWord(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  const [, name = '', value] = /^([\w.]+=)?([\s\S]*)$/.exec(word)!;
  return `${name}"${value.replace(/["\\$`]/g, '\\$&')}"`;
}
