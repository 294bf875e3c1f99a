/**
 * The rollout command line: its commands, their options and help texts, read and written by
 * cli/command-line.ts. Anything it cannot use is a CliError of one line that names the argument and
 * points at the help; `--help` (or `-h`) after any command prints that command's usage.
 */
import { BoopEnvironment, environmentNames, GREEN_PERCENT_PARAMETER, IMAGE_PARAMETERS } from '../common/names';
import { imageProblem, ImageRule } from '../common/images';
import { Slot, SLOTS } from '../common/slots';
import type { ThresholdName } from '../lib/monitoring/thresholds';
import { CommandSpec, defineCommandLine } from './command-line';
import type { EnvironmentSource } from './environments';
import { CliError } from './errors';
import { boundMinutes, REHEARSAL_DEPLOYS, typicalMinutes } from './rehearse/bounds';

/** A value as a refusal shows it: quoted, cut after this many characters so a huge argument cannot flood the line. */
export const SHOWN_CHARACTERS = 120;
const show = (value: string) => JSON.stringify(value.length > SHOWN_CHARACTERS ? `${value.slice(0, SHOWN_CHARACTERS)}…` : value);

/** How the operator runs the CLI; every usage line and hint starts with it. */
const RUN = 'npm run rollout --';

/** The rollback row and slot whose alarm a drill puts into ALARM: any rollback row of green would do; this one is the plainest. */
const DRILL_ROW: ThresholdName = 'SERVICE_DOWN';
const DRILL_SLOT: Slot = 'green';

/** The metric alarm of green's rollback row that `rollout drill` puts into ALARM. */
export function drillAlarmName(env: string): string {
  return environmentNames(env).alarm(DRILL_ROW, DRILL_SLOT);
}

/** What a resume records when the operator gives no --reason: the controller takes none without one. */
export const RESUME_REASON = 'no reason given';

/** The context key of a deploy's override, `-c rolloutOverride="<reason>"`, as the app reads it (lib/app.ts). */
export const ROLLOUT_OVERRIDE_CONTEXT = 'rolloutOverride';
/** The longest override reason the app takes (lib/app.ts). */
const MAX_OVERRIDE_REASON_CHARACTERS = 200;
const COMMAND_SPECS = {
  status: {
    synopsis: '',
    summary: [
      `live weights, the ${GREEN_PERCENT_PARAMETER} intent, step and bake, alarms in ALARM, last rollback;`,
      "each slot's image, tasks and healthy targets, green's release and the past ones;",
      "a hands-free rollout's target, its next advance, and why it waits or stopped",
    ],
    options: {},
  },
  plan: {
    synopsis: '--green-percent <0..100> [options]',
    summary: [
      "what that deploy would do, judged now by the traffic controller's own policy:",
      'accepted or refused (why, and when it would be allowed), its steps in order and',
      'the cdk deploy command; changes nothing (exit code 1 when it would be refused)',
    ],
    options: {
      'green-percent': {
        type: 'string',
        value: '<0..100>',
        description: `the ${GREEN_PERCENT_PARAMETER} the deploy asks for (required); with rollout.autoAdvance, the target`,
      },
      'green-image': { type: 'string', value: '<image>', description: `green's new image (${IMAGE_PARAMETERS.green}); default: the one it runs` },
      'blue-image': { type: 'string', value: '<image>', description: `blue's new image (${IMAGE_PARAMETERS.blue}); default: the one it runs` },
      'override': { type: 'string', value: '"<reason>"', description: `plan the deploy with -c ${ROLLOUT_OVERRIDE_CONTEXT}="<reason>"` },
    },
  },
  promote: {
    synopsis: '[--yes]',
    summary: [
      "print the commands that make green's image the known-good on blue, then free",
      'green for the next release (exit code 1 when it is not ready); --yes runs them',
    ],
    options: { yes: { type: 'boolean', description: 'run the commands in order (npx cdk deploy), stopping at the first that fails' } },
  },
  rollback: {
    synopsis: '--reason "<why>"',
    summary: [
      'move all traffic to blue now (through the traffic controller; waits out a busy',
      'controller for about two minutes, then prints the command to move traffic by hand)',
    ],
    options: { reason: { type: 'string', value: '"<why>"', description: 'why; recorded in the traffic state and the page (required)' } },
  },
  pause: {
    synopsis: '--reason "<why>"',
    summary: [
      'stop a hands-free rollout (rollout.autoAdvance) where green is: no tick moves it',
      'until resume; moves no traffic (through the traffic controller)',
    ],
    options: { reason: { type: 'string', value: '"<why>"', description: 'why; recorded in the traffic state and the notice (required)' } },
  },
  resume: {
    synopsis: '[--reason "<why>"]',
    summary: [
      'let a stopped hands-free rollout go on: the next tick moves green a step when a',
      'deploy of that step would be accepted; moves no traffic itself',
    ],
    options: { reason: { type: 'string', value: '"<why>"', description: `recorded in the notice; default "${RESUME_REASON}"` } },
  },
  drill: {
    synopsis: '[--production-drill]',
    summary: [
      `put ${drillAlarmName('<env>')} into ALARM and time the automatic rollback`,
      '(in an environment bound to BOOP production, only with --production-drill)',
    ],
    options: {
      'production-drill': {
        type: 'boolean',
        description: 'allow the drill in an environment bound to BOOP production, where it rolls real traffic back to blue',
      },
    },
  },
  rehearse: {
    synopsis: '[--report <path>]',
    summary: [
      'prove on a non-production account what offline tests cannot: drives the stack through',
      'a rise, a refused rise, an override, a forced rollback and its acknowledgement, then',
      `reports each assumption held, did not hold, or could not be tried (never against BOOP production)`,
    ],
    details: [
      'It needs blue alone (GreenPercent=0), green running with a healthy target, no unacknowledged',
      "rollback, the rollback alarm OK, and this checkout's template the deployed one (cdk diff): every",
      'step deploys from it. It changes, in this order, with cdk deploy runs it starts itself (their',
      'progress shown):',
      '  1. GreenPercent=<first step> (DescribeStacks mid-update)',
      '  2. GreenPercent=<a step further>, refused; CloudFormation rolls it back',
      '  3. GreenPercent=<second step> with -c rolloutOverride (GetTemplate mid-update)',
      `  4. ${drillAlarmName('<env>')} set to ALARM: green rolled back and emptied; it pages (critical)`,
      '  5. GreenPercent=0, the acknowledgement: green gets its tasks back',
      '  6. GreenPercent=<first step>, the resume, then GreenPercent=0',
      'It ends where it began: blue alone, green restored, the stack parameters as found. Ctrl-C',
      'stops after putting that back; a run that was killed is put back by the next run.',
      `It takes about ${typicalMinutes()} minutes (${REHEARSAL_DEPLOYS} deploys), at most about ${boundMinutes()} when every wait runs`,
      'to its bound. The report is printed, then saved as JSON (no secret in it).',
    ],
    options: {
      report: { type: 'string', value: '<path>', description: 'where to save the JSON report; default rehearsal-<env>-<time>.json here' },
    },
  },
} as const satisfies Record<string, CommandSpec>;

export type Command = keyof typeof COMMAND_SPECS;
export const COMMANDS = Object.keys(COMMAND_SPECS) as Command[];

const FOOTER = `Uses your AWS credentials and region (AWS_PROFILE or AWS_ACCESS_KEY_ID..., AWS_REGION).
A failure is one line on stderr, "rollout: <what went wrong and what to do>", and exit code 1.`;

const ROLLOUT_COMMAND_LINE = defineCommandLine({
  run: RUN,
  commands: COMMAND_SPECS,
  footer: FOOTER,
  // A rollback only ever puts blue alone: an unreadable cdk.json must not hold it up.
  unreadableProject: (command) => (command === 'rollback' ? 'as-production' : 'refuse'),
});

/** The overview: every command in a line or two. */
export const USAGE = ROLLOUT_COMMAND_LINE.usage;

/** One command's usage, for `<command> --help` and `help <command>`. */
export function commandUsage(command: Command): string {
  return ROLLOUT_COMMAND_LINE.commandUsage(command);
}

/** The deploy a plan judges: what it asks for besides the images it keeps. */
export interface PlannedDeploy {
  /** The GreenPercent it asks for. */
  readonly greenPercent: number;
  /** Each slot's new image; a slot it does not name keeps its own. */
  readonly images: Readonly<Partial<Record<Slot, string>>>;
  /** `-c rolloutOverride="<reason>"`, trimmed. @default none */
  readonly overrideReason?: string;
}

/** What the command line asks for: a usage text to print, or a command to run. */
export type RolloutArgs =
  | { readonly command: 'help'; readonly usage: string }
  | {
      readonly command: Command;
      /** The environment, as cdk.json declares it. */
      readonly env: string;
      /** The BOOP environment cdk.json binds it to: production's confirmations follow it, whatever the environment is called. */
      readonly boopEnvironment: BoopEnvironment;
      /** Why, for a rollback, a pause or a resume, trimmed. */
      readonly reason?: string;
      readonly productionDrill: boolean;
      /** The deploy to plan, for a plan. */
      readonly deploy?: PlannedDeploy;
      /** Run the promotion's commands rather than print them. */
      readonly yes: boolean;
      /** Where the rehearsal saves its report. @default rehearsal-<env>-<time>.json */
      readonly reportPath?: string;
    };

interface OptionValues {
  readonly 'reason'?: string;
  readonly 'production-drill'?: boolean;
  readonly 'green-percent'?: string;
  readonly 'green-image'?: string;
  readonly 'blue-image'?: string;
  readonly 'override'?: string;
  readonly 'yes'?: boolean;
  readonly 'report'?: string;
}

/**
 * Reads the command line; refuses, in one line naming the argument, anything it cannot use, and an
 * environment `environments` does not declare (default: cdk.json's in this folder).
 */
export function parseRolloutArgs(argv: readonly string[], environments?: EnvironmentSource): RolloutArgs {
  const line = ROLLOUT_COMMAND_LINE.read<OptionValues>(argv, environments);
  if (line.command === 'help') return line;
  const { command, env, boopEnvironment, values } = line;
  const production = boopEnvironment === 'production';
  const given = values.reason?.trim();
  if (command === 'rollback' && !given) throw new CliError('rollback needs --reason "<why>"; it is recorded in the traffic state and the page');
  if (command === 'pause' && !given) throw new CliError('pause needs --reason "<why>"; it is recorded in the traffic state and the notice');
  if (command === 'resume' && given === '') throw new CliError('resume --reason needs a reason, --reason "<why>"; or leave --reason out');
  const reason = command === 'resume' ? (given ?? RESUME_REASON) : given;
  const productionDrill = values['production-drill'] === true;
  if (command === 'drill' && production && !productionDrill) {
    throw new CliError('a drill rolls production traffic back to blue; to do that on purpose, add --production-drill');
  }
  // Refused before any AWS call; a stack deployed as production but declared otherwise is refused once read (cli/rehearse).
  if (command === 'rehearse' && production) {
    throw new CliError(
      `the rehearsal moves traffic and stops green on purpose, so it never runs in production (${env} talks to BOOP production); rehearse in an environment bound to BOOP development`,
    );
  }
  const reportPath = values.report?.trim();
  if (reportPath === '') throw new CliError('--report needs a file path, e.g. --report rehearsal.json');
  const deploy = command === 'plan' ? plannedDeploy(values, production) : undefined;
  return { command, env, boopEnvironment, reason, productionDrill, deploy, yes: values.yes === true, reportPath };
}

/** The plan's deploy, each value checked (images by production's rule in a production-bound environment); refused in one line naming the option and how to write it. */
function plannedDeploy(values: OptionValues, production: boolean): PlannedDeploy {
  const percent = values['green-percent'];
  if (percent === undefined) throw new CliError(`plan needs --green-percent <0..100>: the ${GREEN_PERCENT_PARAMETER} the deploy would ask for`);
  if (!/^\d{1,3}$/.test(percent.trim()) || Number(percent) > 100) {
    throw new CliError(`--green-percent must be a whole number from 0 to 100, got ${JSON.stringify(percent)}`);
  }
  const image = (slot: Slot): string | undefined => {
    const value = values[`${slot}-image`]?.trim();
    if (value === undefined) return undefined;
    // The rule of the image parameters (common/images.ts); the repository is judged with the stack's outputs (cli/rollout.ts).
    refuseImage(slot, value, { production });
    return value;
  };
  const overrideReason = values.override?.trim();
  if (overrideReason !== undefined && (overrideReason === '' || overrideReason.length > MAX_OVERRIDE_REASON_CHARACTERS)) {
    throw new CliError(
      `--override needs a reason of 1..${MAX_OVERRIDE_REASON_CHARACTERS} characters, as -c ${ROLLOUT_OVERRIDE_CONTEXT} takes it: --override "<reason>"`,
    );
  }
  const images = Object.fromEntries(SLOTS.flatMap((slot) => [[slot, image(slot)] as const].filter(([, value]) => value !== undefined)));
  return { greenPercent: Number(percent), images, overrideReason };
}

/** Refuses an image for a slot, as CloudFormation's parameter would, naming the option and the rule's first broken part. */
export function refuseImage(slot: Slot, image: string, rule: ImageRule): void {
  const problem = imageProblem(image, rule);
  if (problem) throw new CliError(`--${slot}-image ${show(image)}: ${problem}; CloudFormation would refuse it as ${IMAGE_PARAMETERS[slot]}`);
}
