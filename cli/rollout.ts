/**
 * The rollout CLI's commands (status, plan, promote, rollback, pause, resume, drill, rehearse) against the
 * deployed stack, found by its outputs; bin/rollout.ts wires them to the terminal, cli/rollout-args.ts
 * reads the command line. Only rollback, pause, resume, drill, rehearse and `promote --yes` change anything.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand, DescribeAlarmsCommandOutput, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ECSClient, Service } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { accessSync, constants, existsSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { dirname, resolve } from 'path';
import { ConfiguredRetryStrategy, isThrottlingError } from '@smithy/core/retry';
import { BoopEnvironment, CONFIRM_PRODUCTION_PARAMETER, environmentNames, GREEN_PERCENT_PARAMETER, IMAGE_PARAMETERS } from '../common/names';
import {
  AUTO_ADVANCE_OUTPUT,
  HandsFreeRequest,
  MANUAL_ROLLBACK_ACTION,
  ManualRollbackRequest,
  PAUSE_ACTION,
  PRODUCTION_WAIVERS_OUTPUT,
  RESUME_ACTION,
} from '../common/payloads';
import { Slot, SLOTS } from '../common/slots';
import { readRiseEvidence } from '../common/traffic/evidence';
import { TICK_INTERVAL_MINUTES } from '../common/traffic/hands-free';
import { DeployPlan, planDeploy, planEvidenceQuery } from '../common/traffic/plan';
import { bakeEndsAt, nextStep, RolloutPolicy } from '../common/traffic/policy';
import { greenShare, ReleaseRequest } from '../common/traffic/release';
import { currentRelease, Release, rollbackUnacknowledged, SlotImages, TrafficState } from '../common/traffic/state';
import { forwardAction, LiveWeights, matchesShare } from '../common/traffic/weights';
import { BOOP_ENVIRONMENT_FIELD, ENVIRONMENTS_CONTEXT_KEY } from '../lib/config/environments';
import { boundedRequestHandler, CliClientOverrides, readClientConfig } from './clients';
import { BLUE_ALONE_TIMEOUT_MS } from './rehearse/bounds';
import type { EnvironmentSource } from './environments';
import { CliError, explain, failureLineOf } from './errors';
import { drillAlarmName, parseRolloutArgs, PlannedDeploy, refuseImage } from './rollout-args';
import { Terminal } from './main';
import { DeployedStack, describeStack } from './stack';
import { liveWeights, readState } from './live';
import { rehearse, RehearsalFiles } from './rehearse/rehearse';
import { CommandRunner, DeployCommand, deployArgv, runOnTerminal, shown } from './deploy-command';

export { runOnTerminal } from './deploy-command';
export type { CommandRunner } from './deploy-command';

/** Tries of a manual rollback's Invoke in all, the first included, while the controller is busy. */
export const BUSY_CONTROLLER_ATTEMPTS = 8;
/**
 * The wait before retry `retry` (1 for the first) of a throttled Invoke: 2, 4, 8, 16, 30, 30, 30 s,
 * two minutes in all, twice the controller's 60 s timeout (lib/traffic-control.ts), so a running
 * deploy or rollback and one queued behind it can finish.
 */
export function busyControllerBackoff(retry: number): number {
  return Math.min(2000 * 2 ** (retry - 1), 30_000);
}
/** Every call but the rollback's Invoke (the reads, and the drill's SetAlarmState) has the timeouts of cli/clients.ts. */
export { READ_ATTEMPTS, READ_TIMEOUT_MS } from './clients';
export type { CliClientOverrides } from './clients';
/** The controller answers a RequestResponse Invoke within its 60 s timeout; 10 s more for the network. */
const INVOKE_TIMEOUT_MS = 70_000;
/** How long a drill waits for blue alone before it says the rollback did not happen: as long as the rehearsal's forced alarm. */
const DRILL_TIMEOUT_MS = BLUE_ALONE_TIMEOUT_MS;
export const DRILL_POLL_MS = 1000;

export interface CliClients {
  readonly cloudformation: CloudFormationClient;
  readonly elb: ElasticLoadBalancingV2Client;
  readonly ssm: SSMClient;
  readonly cloudwatch: CloudWatchClient;
  /** Reads the slots' services for status. */
  readonly ecs: ECSClient;
  /** Used for the rollback's Invoke only; it retries throttling alone, BUSY_CONTROLLER_ATTEMPTS times. */
  readonly lambda: LambdaClient;
  readonly sts: STSClient;
}

/**
 * Retries a throttled Invoke (the controller runs one invocation at a time; while a deploy or
 * rollback runs, Lambda answers TooManyRequestsException) and nothing else: a network failure or
 * timeout ends the command at once, with the command to move traffic by hand.
 */
class BusyControllerRetryStrategy extends ConfiguredRetryStrategy {
  constructor() {
    super(BUSY_CONTROLLER_ATTEMPTS, busyControllerBackoff);
  }

  override async refreshRetryTokenForRetry(...[token, errorInfo]: Parameters<ConfiguredRetryStrategy['refreshRetryTokenForRetry']>) {
    if (errorInfo.errorType !== 'THROTTLING') throw new Error('only a busy controller is retried');
    return super.refreshRetryTokenForRetry(token, errorInfo);
  }
}

/** The CLI's AWS clients: bounded timeouts everywhere, and the rollback's own retry strategy. */
export function createCliClients(overrides: CliClientOverrides = {}): CliClients {
  const read = readClientConfig(overrides);
  return {
    cloudformation: new CloudFormationClient(read),
    elb: new ElasticLoadBalancingV2Client(read),
    ssm: new SSMClient(read),
    cloudwatch: new CloudWatchClient(read),
    ecs: new ECSClient(read),
    lambda: new LambdaClient({ requestHandler: boundedRequestHandler(INVOKE_TIMEOUT_MS), retryStrategy: new BusyControllerRetryStrategy(), ...overrides }),
    sts: new STSClient(read),
  };
}

/** What a rollout command prints to and waits with. */
export type CliIo = Terminal;

/** The files a rehearsal writes, in the working directory. */
const workingDirectoryFiles: RehearsalFiles = {
  read: (path) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined),
  unwritable: (path) => {
    try {
      accessSync(existsSync(path) ? path : dirname(resolve(path)), constants.W_OK);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  },
  write: (path, text) => writeFileSync(path, text),
  remove: (path) => rmSync(path, { force: true }),
};

/** The first Ctrl-C asks the rehearsal to stop once it has put the environment back; a second one ends the command at once. */
function watchCtrlC(io: CliIo): { interrupted: () => boolean; dispose: () => void } {
  let asked = false;
  const second = () => process.exit(130);
  const first = () => {
    asked = true;
    io.out('rehearse: stopping after putting the environment back (Ctrl-C again to quit at once, leaving it as it is)');
    process.once('SIGINT', second);
  };
  process.once('SIGINT', first);
  return {
    interrupted: () => asked,
    dispose: () => {
      process.removeListener('SIGINT', first);
      process.removeListener('SIGINT', second);
    },
  };
}

/** What a test may replace besides the clients, the terminal and the runner. */
export interface RolloutOptions {
  /** The files the rehearsal writes. @default the working directory's */
  readonly files?: RehearsalFiles;
  /** Whether the operator asked the rehearsal to stop. @default the first Ctrl-C */
  readonly interrupted?: () => boolean;
  /** The declared environments `--env` must name. @default cdk.json's in the working directory */
  readonly environments?: EnvironmentSource;
}

/**
 * Runs one CLI command. Every failure is a CliError whose message says what to do. `runner` runs
 * `promote --yes`'s and the rehearsal's deploys.
 */
export async function runRolloutCli(
  argv: readonly string[],
  clients: CliClients,
  io: CliIo,
  runner: CommandRunner = runOnTerminal,
  options: RolloutOptions = {},
): Promise<void> {
  const args = parseRolloutArgs(argv, options.environments);
  if (args.command === 'help') {
    io.out(args.usage);
    return;
  }
  if (args.command === 'rehearse') {
    const ctrlC = options.interrupted ? undefined : watchCtrlC(io);
    try {
      const deps = { clients, io, deploy: runner, files: options.files ?? workingDirectoryFiles, interrupted: options.interrupted ?? ctrlC!.interrupted };
      await rehearse(deps, args.env, { reportPath: args.reportPath });
    } catch (error) {
      throw explain(error);
    } finally {
      ctrlC?.dispose();
    }
    return;
  }
  try {
    const stack = await describeStack(clients.cloudformation, args.env);
    if (args.command === 'status') await status(clients, io, args.env, stack);
    else if (args.command === 'plan') await plan(clients, io, args.env, args.boopEnvironment, stack, args.deploy!);
    else if (args.command === 'promote') await promote(clients, io, args.env, stack, args.yes ? runner : undefined);
    else if (args.command === 'rollback') await rollback(clients, io, args.env, stack, args.reason!);
    else if (args.command === 'pause' || args.command === 'resume') await handsFree(clients, io, args.env, stack, args.command, args.reason!);
    else await drill(clients, io, args.env, stack, args.boopEnvironment, args.productionDrill);
  } catch (error) {
    throw explain(error);
  }
}

/** How wide a row's label is, so every value of status, plan and promote starts in one column. */
const LABEL_WIDTH = 16;

/** A row: its label, and its value as one line or several, the later ones under the first. */
type Row = readonly [string, string | readonly string[]];

function printRows(io: CliIo, rows: readonly Row[]): void {
  for (const [label, value] of rows) {
    const lines = typeof value === 'string' ? [value] : value;
    lines.forEach((line, i) => io.out(`  ${(i === 0 ? label : '').padEnd(LABEL_WIDTH)} ${line}`));
  }
}

function header(env: string, what = ''): string {
  return `BOOP ${env} (${environmentNames(env).stack})${what}`;
}

function policyOf(stack: DeployedStack): RolloutPolicy {
  return { steps: stack.outputs.rolloutSteps.split(',').map(Number), bakeTimeHours: Number(stack.outputs.bakeTimeHours), autoAdvance: stack.autoAdvance };
}

/** Each slot's ECS service as the cluster describes it; undefined for one it does not know. */
async function slotServices(clients: CliClients, stack: DeployedStack): Promise<Record<Slot, Service | undefined>> {
  const names = { blue: stack.outputs.blueServiceName, green: stack.outputs.greenServiceName };
  const answer = await clients.ecs.send(new DescribeServicesCommand({ cluster: stack.outputs.clusterName, services: SLOTS.map((slot) => names[slot]) }));
  const find = (name: string) => answer.services?.find((s) => s.serviceName === name || s.serviceArn === name);
  return { blue: find(names.blue), green: find(names.green) };
}

/** A slot's targets: how many pass the health check, of how many registered. */
interface TargetCount {
  readonly healthy: number;
  readonly total: number;
}

async function targetCount(clients: CliClients, targetGroupArn: string): Promise<TargetCount> {
  const targets = (await clients.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }))).TargetHealthDescriptions ?? [];
  return { healthy: targets.filter((t) => t.TargetHealth?.State === 'healthy').length, total: targets.length };
}

/** DescribeAlarms answers at most this many alarms a page (its MaxRecords' upper bound). */
const ALARMS_PER_PAGE = 100;
/** Pages of alarms in ALARM that status reads at most: far more than every environment of an account has. */
const MAX_ALARM_PAGES = 20;

/**
 * The environment's alarms in ALARM, every page read: the name prefix also matches another
 * environment's whose name starts with this one's (prod-eu's for prod), whose alarms are left out.
 */
async function alarmsInAlarm(clients: CliClients, env: string): Promise<string[]> {
  const names = environmentNames(env);
  const found: string[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_ALARM_PAGES; page++) {
    const answer: DescribeAlarmsCommandOutput = await clients.cloudwatch.send(
      new DescribeAlarmsCommand({
        AlarmNamePrefix: names.alarmPrefix,
        StateValue: 'ALARM',
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        MaxRecords: ALARMS_PER_PAGE,
        NextToken: nextToken,
      }),
    );
    found.push(...[...(answer.CompositeAlarms ?? []), ...(answer.MetricAlarms ?? [])].flatMap((alarm) => alarm.AlarmName ?? []));
    if (!answer.NextToken || answer.NextToken === nextToken) break;
    nextToken = answer.NextToken;
  }
  return found.filter(names.ownsAlarm);
}

async function status(clients: CliClients, io: CliIo, env: string, stack: DeployedStack): Promise<void> {
  const now = io.now();
  const { outputs } = stack;
  const [live, state, inAlarm, services, blueTargets, greenTargets] = await Promise.all([
    liveWeights(clients, stack),
    readState(clients, stack, now),
    alarmsInAlarm(clients, env),
    slotServices(clients, stack),
    targetCount(clients, outputs.blueTargetGroupArn),
    targetCount(clients, outputs.greenTargetGroupArn),
  ]);
  const policy = policyOf(stack);
  const targets = { blue: blueTargets, green: greenTargets };
  const release = currentRelease(state);
  const pastReleases = (state.releases ?? []).filter((r) => r !== release);
  const rows: Row[] = [
    [
      'live weights',
      `blue ${100 - live.greenPercent} % · green ${live.greenPercent} %${live.blueAlone ? ' (blue alone)' : ''}, stickiness ${live.stickinessEnabled ? 'on' : 'off'}`,
    ],
    ['intent', `${GREEN_PERCENT_PARAMETER} = ${stack.greenPercentIntent ?? 'unknown'} (stack parameter)`],
    ['step', stepLine(state, policy, now)],
    // With a hands-free rollout the ticks take the steps, so when the next one comes replaces when a deploy of it is allowed.
    ...(stack.autoAdvance && state.handsFree ? handsFreeRows(env, state, policy, now) : [['next step', nextStepLine(state, policy, now)] as const]),
    ...SLOTS.map((slot): Row => [`${slot} image`, imageLine(stack, slot)]),
    ...SLOTS.map((slot): Row => [`${slot} tasks`, tasksLine(services[slot], targets[slot], stack, slot)]),
    ['green release', releaseLines(release)],
    ...(pastReleases.length > 0 ? [['past releases', pastReleases.map(pastReleaseLine)] as const] : []),
    ['alarms in ALARM', inAlarm.length ? inAlarm.join(', ') : 'none'],
    ['last rollback', rollbackLine(state)],
    ...(state.lastRollback?.greenScaledToZeroAt ? [['green emptied', emptiedLine(state)] as const] : []),
    // Where the vendor id and API keys go (boop.baseUrl, boop.wsEndpoint), and a trusted host that is not BOOP's, with its reason.
    ['keys go to', outputs.boopHosts],
    ...(stack.productionWaivers === undefined ? [] : [['waivers', waiverLines(stack.productionWaivers)] as const]),
  ];
  if (live.blueAlone && state.greenPercent > 0) {
    rows.push([
      'warning',
      `the listener sends blue alone but the record says green ${state.greenPercent} %: a rollback that was not recorded; green stays off until a deploy with ${GREEN_PERCENT_PARAMETER}=0`,
    ]);
  } else if (live.greenPercent !== state.greenPercent) {
    rows.push([
      'warning',
      `the listener shows green ${live.greenPercent} % but the controller last set ${state.greenPercent} %; the next deploy that runs the controller re-applies ${state.greenPercent} %`,
    ]);
  }
  for (const slot of SLOTS) {
    const recorded = state.images?.[slot];
    const parameter = stack.images[slot];
    if (recorded !== undefined && parameter !== undefined && recorded !== parameter) {
      rows.push([
        'warning',
        `the record says ${slot} runs ${recorded} but the stack parameter ${IMAGE_PARAMETERS[slot]} holds ${parameter}; the release guard judges the next deploy against the record`,
      ]);
    }
  }
  io.out(header(env));
  printRows(io, rows);
}

/** The ProductionWaivers output's value as status shows it at most, so a broken one cannot flood the terminal. */
const SHOWN_OUTPUT_CHARACTERS = 200;

/** Text from the stack on one line: no control character can end the line or move the cursor. */
const oneLine = (text: string) => text.replace(/\p{Cc}+/gu, ' ');

/**
 * Each production safety default the stack sets aside, with its reason (lib/config/production-safety.ts),
 * one line each; an output status cannot read is said so, never thrown.
 */
function waiverLines(text: string): string[] {
  let waivers: unknown;
  try {
    waivers = JSON.parse(text);
  } catch {
    waivers = undefined;
  }
  const entries = typeof waivers === 'object' && waivers !== null && !Array.isArray(waivers) ? Object.entries(waivers) : [];
  if (entries.length === 0 || entries.some(([, reason]) => typeof reason !== 'string')) {
    const shown = text.length > SHOWN_OUTPUT_CHARACTERS ? `${text.slice(0, SHOWN_OUTPUT_CHARACTERS)}…` : text;
    return [
      `the stack's ${PRODUCTION_WAIVERS_OUTPUT} output could not be read (not JSON of each waiver and its reason): ${oneLine(JSON.stringify(shown))}; the configuration's productionWaivers say what is set aside`,
    ];
  }
  return entries.map(([waiver, reason]) => oneLine(`production safety default set aside: ${waiver}: ${reason as string}`));
}

/** A slot's image as its stack parameter holds it; blue's is the known-good (design: "Releases"). */
function imageLine(stack: DeployedStack, slot: Slot): string {
  const image = stack.images[slot];
  if (image === undefined) return `unknown: the stack has no ${IMAGE_PARAMETERS[slot]} parameter yet`;
  return slot === 'blue' ? `${image} (the known-good)` : image;
}

function tasksLine(service: Service | undefined, targets: TargetCount, stack: DeployedStack, slot: Slot): string {
  const tasks = service
    ? `${service.runningCount ?? 0} running / ${service.desiredCount ?? 0} desired`
    : `service ${stack.outputs[`${slot}ServiceName`]} not found in ${stack.outputs.clusterName}`;
  return `${tasks} · targets ${targets.healthy} / ${targets.total} healthy`;
}

/** Green's current release: when it was let onto green, then each step it entered. */
function releaseLines(release: Release | undefined): string[] {
  if (!release) return ['not recorded yet: the release guard records it at the next deploy'];
  const override = release.override ? ` (override: ${release.override})` : '';
  return [
    `released ${release.releasedAt}${override}`,
    ...release.steps.map((step) => `${step.percent} % from ${step.at}`),
    ...(release.rolledBackAt ? [`rolled back ${release.rolledBackAt}`] : []),
  ];
}

/** An earlier release in one line: the image, how far it went, and how it ended. */
function pastReleaseLine(release: Release): string {
  const highest = Math.max(0, ...release.steps.map((step) => step.percent));
  const ends = [
    ...(highest > 0 ? [`up to ${highest} %`] : []),
    ...(release.rolledBackAt ? [`rolled back ${release.rolledBackAt}`] : []),
    release.promotedAt ? `promoted ${release.promotedAt}` : `released ${release.releasedAt}, not promoted`,
  ];
  return `${release.image}: ${ends.join(', ')}${release.override ? ` (override: ${release.override})` : ''}`;
}

function emptiedLine(state: TrafficState): string {
  const last = state.lastRollback!;
  const after = last.acknowledgedAt ? 'its tasks were restored by the acknowledgement' : `${GREEN_PERCENT_PARAMETER}=0 acknowledges and restores its tasks`;
  return `green's service scaled to 0 tasks at ${last.greenScaledToZeroAt}; ${after}`;
}

function stepLine(state: TrafficState, policy: RolloutPolicy, now: Date): string {
  const since = `since ${state.stepStartedAt}, ${duration(now.getTime() - Date.parse(state.stepStartedAt))}`;
  return `${state.greenPercent} % (steps ${policy.steps.join(', ')}), ${since} of ${policy.bakeTimeHours} h bake`;
}

function nextStepLine(state: TrafficState, policy: RolloutPolicy, now: Date): string {
  if (rollbackUnacknowledged(state)) return `blocked: acknowledge the rollback with a deploy of ${GREEN_PERCENT_PARAMETER}=0`;
  const next = nextStep(state.greenPercent, policy);
  if (next === undefined) return 'none: green has all traffic';
  if (state.greenPercent === 0) return `${next} % allowed now`;
  const allowedAt = bakeEndsAt(state, policy);
  return allowedAt <= now ? `${next} % allowed now` : `${next} % allowed from ${allowedAt.toISOString()} (in ${duration(allowedAt.getTime() - now.getTime())})`;
}

/** A hands-free rollout (rollout.autoAdvance): its target, when green can move next, and why it is waiting or stopped. */
function handsFreeRows(env: string, state: TrafficState, policy: RolloutPolicy, now: Date): Row[] {
  const { target, stopped, waiting } = state.handsFree!;
  const green = state.greenPercent;
  if (rollbackUnacknowledged(state)) {
    return [
      ['target', `${target} %, void until the rollback is acknowledged`],
      ['next advance', `none: acknowledge the rollback with a deploy of ${GREEN_PERCENT_PARAMETER}=0, then deploy the target again`],
    ];
  }
  if (target <= green) {
    const then =
      green === 100 ? `promote after the bake: npm run rollout -- promote --env ${env}` : `a deploy of a higher ${GREEN_PERCENT_PARAMETER} starts a new walk`;
    return [
      ['target', `${target} %, reached`],
      ['next advance', `none: ${then}`],
    ];
  }
  const next = nextStep(green, policy)!;
  const targetRow: Row = ['target', `${target} %, a step at a time from green's ${green} % (rollout.autoAdvance)`];
  if (stopped) {
    return [
      targetRow,
      ['next advance', `none while stopped; after npm run rollout -- resume --env ${env}, at a tick when a deploy of ${next} % would be accepted`],
      ['stopped', [`${stopped.at} by ${stopped.by}: ${stopped.why}`, `green stays at ${green} % until resume, or a deploy that raises the target`]],
    ];
  }
  const bakeEnds = bakeEndsAt(state, policy);
  const ticks = `ticks every ${TICK_INTERVAL_MINUTES} min`;
  // At 0 % green has served nothing, so there is no bake to wait for.
  const when =
    green > 0 && bakeEnds > now
      ? `at the first tick after ${bakeEnds.toISOString()} (the bake's end, in ${duration(bakeEnds.getTime() - now.getTime())}; ${ticks})`
      : `at the next tick (${ticks})`;
  return [
    targetRow,
    ['next advance', `${next} % ${when}, if a deploy of ${next} % would be accepted then`],
    ...(waiting ? [['waiting', `${waiting.at} by ${waiting.by}: ${waiting.why}`] as const] : []),
  ];
}

function rollbackLine(state: TrafficState): string {
  const last = state.lastRollback;
  if (!last) return 'none';
  const ack = last.acknowledgedAt ? `acknowledged ${last.acknowledgedAt}` : 'NOT acknowledged';
  return `${last.at} by ${last.trigger} (${last.why}), from green ${last.fromGreenPercent} %; ${ack}`;
}

// ---------------------------------------------------------------------------------------------
// plan and promote: a deploy judged on what is live now, and the commands that carry it out.

/** What each slot runs, from the stack parameters (what a deploy that names no image keeps). */
function slotImages(stack: DeployedStack, env: string): SlotImages {
  const { blue, green } = stack.images;
  if (blue === undefined || green === undefined) {
    throw new CliError(
      `stack ${environmentNames(env).stack} has no ${IMAGE_PARAMETERS.blue} and ${IMAGE_PARAMETERS.green} parameters yet, so what the slots run is not known; deploy this version of boop-deploy first: npx cdk deploy -c env=${env}`,
    );
  }
  return { blue, green };
}

/** Where the environment stands: the listener, the record, and each slot's image. */
interface Position {
  readonly live: LiveWeights;
  readonly state: TrafficState;
  readonly images: SlotImages;
}

async function readPosition(clients: CliClients, env: string, stack: DeployedStack, now: Date): Promise<Position> {
  const images = slotImages(stack, env);
  const [live, state] = await Promise.all([liveWeights(clients, stack), readState(clients, stack, now)]);
  return { live, state, images };
}

/** The deploy judged by the controller's own policy code, on the evidence the controller would read now. */
async function judge(clients: CliClients, stack: DeployedStack, position: Position, request: ReleaseRequest, now: Date): Promise<DeployPlan> {
  const { outputs } = stack;
  const sources = { greenTargetGroupArn: outputs.greenTargetGroupArn, rollbackAlarmName: outputs.rollbackAlarmName };
  const evidence = await readRiseEvidence(clients, sources, planEvidenceQuery(position.state), now);
  const facts = { stored: position.state, live: position.live, listenerArn: outputs.listenerArn, request, guarded: stack.releaseGuard, now, evidence };
  return planDeploy(facts, policyOf(stack));
}

function weightsLine(live: LiveWeights): string {
  return `blue ${100 - live.greenPercent} % · green ${live.greenPercent} %`;
}

async function plan(clients: CliClients, io: CliIo, env: string, boopEnvironment: BoopEnvironment, stack: DeployedStack, deploy: PlannedDeploy): Promise<void> {
  // A stack of an earlier version has no image rules: production's where cdk.json or the stack says production.
  const fallback = { production: boopEnvironment === 'production' || stack.production };
  for (const slot of SLOTS) {
    const image = deploy.images[slot];
    // The deployed parameter's own rule (common/images.ts): a plan never accepts an image CloudFormation would refuse.
    if (image !== undefined) refuseImage(slot, image, stack.imageRules?.[slot] ?? fallback);
  }
  const now = io.now();
  const position = await readPosition(clients, env, stack, now);
  const images = { blue: deploy.images.blue ?? position.images.blue, green: deploy.images.green ?? position.images.green };
  const request: ReleaseRequest = { images, intent: deploy.greenPercent, overrideReason: deploy.overrideReason };
  const result = await judge(clients, stack, position, request, now);
  const changed = SLOTS.filter((slot) => images[slot] !== position.images[slot]).map((slot) => [IMAGE_PARAMETERS[slot], images[slot]] as const);
  const command: DeployCommand = { parameters: [...changed, [GREEN_PERCENT_PARAMETER, String(deploy.greenPercent)]], overrideReason: deploy.overrideReason };
  io.out(header(env, `: plan, judged by the traffic controller's policy on what is live now; nothing changes`));
  printRows(io, [
    ['live weights', weightsLine(position.live)],
    ['images', SLOTS.map((slot) => `${slot} ${position.images[slot]}`)],
    ['verdict', result.accepted ? 'accepted' : 'refused'],
    ...(result.refusal ? [['why', result.refusal] as const] : []),
    ['steps', result.steps.map((step, i) => `${i + 1}. ${step}`)],
    ['command', shown(deployArgv(env, command))],
  ]);
  if (!result.accepted) throw new CliError('plan: the deploy would be refused; the plan on stdout says why and what to do instead');
}

/**
 * The commands of a promotion from where the environment stands (design: "Releases"): blue takes the
 * image green has served at 100 % through a clean bake, then GreenPercent=0 (a fall onto the same
 * code) frees green for the next release. `runner` runs them in order; without it they are printed.
 */
async function promote(clients: CliClients, io: CliIo, env: string, stack: DeployedStack, runner: CommandRunner | undefined): Promise<void> {
  const now = io.now();
  const position = await readPosition(clients, env, stack, now);
  const { live, state, images } = position;
  // The shape of the next release's first deploy, with a placeholder the operator fills in.
  const next = `npx cdk deploy -c env=${env} --parameters ${IMAGE_PARAMETERS.green}=<next image> --parameters ${GREEN_PERCENT_PARAMETER}=0`;
  const free = `green is free for the next release: ${next}, then the steps from ${GREEN_PERCENT_PARAMETER}=${policyOf(stack).steps[0]}`;
  const share = greenShare(state, live);
  if (images.blue === images.green && share === 0) {
    io.out(header(env, `: promoted; blue, the known-good, runs ${images.blue} and serves all traffic`));
    io.out(`Nothing to run: ${free}.`);
    return;
  }

  const lowerGreen = {
    command: { parameters: [[GREEN_PERCENT_PARAMETER, '0']] },
    what: 'all traffic to blue, the same code; green is free for the next release',
  } as const;
  let steps: readonly { readonly command: DeployCommand; readonly what: string }[];
  if (images.blue === images.green) {
    io.out(header(env, `: blue already runs green's ${images.green}; green serves ${share} %`));
    steps = [lowerGreen];
  } else {
    // The promotion deploy names no GreenPercent, so cdk deploy keeps the stack's.
    const parameter = Number(stack.greenPercentIntent);
    const request: ReleaseRequest = { images: { blue: images.green, green: images.green }, intent: Number.isInteger(parameter) ? parameter : state.intent };
    // Judged guarded on every stack: promote proposes only a promotion the release guard would accept.
    const result = await judge(clients, { ...stack, releaseGuard: true }, position, request, now);
    if (!result.accepted) {
      io.out(header(env, `: not ready to promote green's ${images.green} to blue`));
      printRows(io, [
        ['live weights', weightsLine(live)],
        ['why', result.refusal!],
      ]);
      throw new CliError('promote: not ready; the reason and what to do first are printed on stdout');
    }
    io.out(header(env, `: green has served ${images.green} at 100 % through a clean bake; promote it to blue`));
    steps = [
      { command: { parameters: [[IMAGE_PARAMETERS.blue, images.green]] }, what: `blue, the known-good, takes green's image (blue serves nothing meanwhile)` },
      lowerGreen,
    ];
  }
  const argvs = steps.map((step) => deployArgv(env, step.command));
  steps.forEach((step, i) => {
    io.out(`  ${i + 1}. ${shown(argvs[i])}`);
    io.out(`     ${step.what}`);
  });
  if (!runner) {
    io.out(`Run them in this order, or let the CLI run them: npm run rollout -- promote --env ${env} --yes`);
    return;
  }
  for (const [i, argv] of argvs.entries()) {
    io.out(`running ${i + 1} of ${argvs.length}: ${shown(argv)}`);
    const code = await runner(argv);
    if (code !== 0) {
      const rest = i + 1 < argvs.length ? '; the commands after it did not run' : '';
      throw new CliError(
        `promote: command ${i + 1} of ${argvs.length} failed (exit code ${code}): ${shown(argv)}${rest}. Fix what it printed, then run npm run rollout -- promote --env ${env} again`,
      );
    }
  }
  io.out(`promoted: blue runs ${images.green} and serves all traffic; ${free}`);
}

/** The traffic controller's answer to an Invoke (its Outcome, lambda/traffic/controller.ts), or why it ignored the request. */
interface ControllerAnswer {
  readonly result?: string;
  readonly greenPercent?: number;
  /** The hands-free rollout's target after the invocation. */
  readonly target?: number;
  readonly message?: string;
  readonly ignored?: string;
  /** Why a pause or resume failed: the controller answers it rather than fail, which would page as a failed rollback. */
  readonly refused?: string;
}

/**
 * Invokes the traffic controller and reads its answer (and the answer's text); every failure is a
 * CliError naming what could not be done (`what`) and ending with `fallback`, what to do instead.
 */
async function invokeController(
  clients: CliClients,
  stack: DeployedStack,
  payload: ManualRollbackRequest | HandsFreeRequest,
  what: string,
  fallback: string,
): Promise<{ readonly answer: ControllerAnswer; readonly body: string }> {
  // The Lambda client's retry strategy waits out a busy controller (BusyControllerRetryStrategy).
  const answer = await clients.lambda
    .send(
      new InvokeCommand({
        FunctionName: stack.outputs.controllerFunctionName,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(payload)),
      }),
    )
    .catch((error) => {
      if (isThrottlingError(error)) {
        const tries = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
        throw new CliError(`the traffic controller stayed busy${tries > 1 ? ` for about two minutes (${tries} tries)` : ''}; ${fallback}`);
      }
      throw new CliError(`${explain(error).message}; ${fallback}`);
    });
  const body = answer.Payload ? new TextDecoder().decode(answer.Payload) : '';
  if (answer.FunctionError) throw new CliError(`the traffic controller could not ${what}: ${functionError(body)}; ${fallback}`);
  return { answer: JSON.parse(body || '{}') as ControllerAnswer, body };
}

async function rollback(clients: CliClients, io: CliIo, env: string, stack: DeployedStack, reason: string): Promise<void> {
  const caller = await clients.sts.send(new GetCallerIdentityCommand({}));
  const payload = { action: MANUAL_ROLLBACK_ACTION, reason, requestedBy: caller.Arn ?? 'unknown caller' } satisfies ManualRollbackRequest;
  const { answer: outcome, body } = await invokeController(clients, stack, payload, 'roll back', manualRollback(stack));
  io.out(`rollback (${env}): ${outcome.message ?? body}`);
  if (outcome.result === 'changed') {
    io.out(
      `To resume later: fix green, deploy with --parameters ${GREEN_PERCENT_PARAMETER}=0 (acknowledges the rollback), then start again at the first step.`,
    );
  }
}

/**
 * `rollout pause` and `rollout resume` (rollout.autoAdvance): the controller stops the walk where
 * green is, or lets the next tick go on; neither moves traffic. Refused, with no Invoke, on a stack
 * without the AutoAdvance output, where green moves only when someone deploys a step.
 */
async function handsFree(
  clients: CliClients,
  io: CliIo,
  env: string,
  stack: DeployedStack,
  action: typeof PAUSE_ACTION | typeof RESUME_ACTION,
  reason: string,
): Promise<void> {
  if (!stack.autoAdvance) {
    throw new CliError(
      `${env} has no hands-free rollout to ${action}: stack ${environmentNames(env).stack} has no ${AUTO_ADVANCE_OUTPUT} output (rollout.autoAdvance is off), so green moves only when a deploy asks for a step. ` +
        `To turn it on, set cdk.json's ${ENVIRONMENTS_CONTEXT_KEY}.${env}.rollout.autoAdvance to true, then deploy: npx cdk deploy -c env=${env}`,
    );
  }
  const caller = await clients.sts.send(new GetCallerIdentityCommand({}));
  const payload = { action, reason, requestedBy: caller.Arn ?? 'unknown caller' } satisfies HandsFreeRequest;
  const fallback =
    action === PAUSE_ACTION
      ? `nothing was paused; run the command again, or take green's traffic away now: npm run rollout -- rollback --env ${env} --reason "<why>"`
      : 'nothing was resumed; run the command again';
  const { answer, body } = await invokeController(clients, stack, payload, `${action} the hands-free rollout`, fallback);
  if (answer.ignored !== undefined) throw new CliError(`the traffic controller ignored the ${action} (${answer.ignored}); ${fallback}`);
  if (answer.refused !== undefined) throw new CliError(`the traffic controller could not ${action} the hands-free rollout (${answer.refused}); ${fallback}`);
  io.out(`${action} (${env}): ${answer.message ?? body}`);
  const { greenPercent, target } = answer;
  if (greenPercent === undefined || target === undefined || target <= greenPercent) {
    io.out(`green serves ${greenPercent ?? 'an unknown share'} %; no target above it, so there is nothing to walk`);
    return;
  }
  const where = `green serves ${greenPercent} %, target ${target} %`;
  io.out(
    action === PAUSE_ACTION
      ? `${where}; no tick moves green until: npm run rollout -- resume --env ${env}`
      : `${where}; when the next step can come: npm run rollout -- status --env ${env}`,
  );
}

/** A Lambda function error's type and message, without its stack trace. */
function functionError(body: string): string {
  try {
    const error = JSON.parse(body) as { errorType?: string; errorMessage?: string };
    if (error.errorMessage !== undefined) return `${error.errorType ?? 'Error'}: ${error.errorMessage}`;
  } catch {
    // not JSON: shown as it is, cut short
  }
  return body.length > 200 ? `${body.slice(0, 200)}…` : body;
}

/** What to do when the controller cannot: the one write that puts all traffic on blue. */
function manualRollback(stack: DeployedStack): string {
  // The same action the controller writes for blue alone.
  const action = JSON.stringify([forwardAction({ blue: stack.outputs.blueTargetGroupArn, green: stack.outputs.greenTargetGroupArn }, 0, 0)]);
  return `if it is urgent, move traffic by hand: aws elbv2 modify-listener --listener-arn ${stack.outputs.listenerArn} --default-actions '${action}'`;
}

/** Why a drill of production traffic needs --production-drill: the declaration's binding, or the deployed stack's where cdk.json says development. */
function productionDrillRefusal(env: string, boopEnvironment: BoopEnvironment): string {
  const refusal = 'a drill rolls production traffic back to blue; to do that on purpose, add --production-drill';
  if (boopEnvironment === 'production') return `${env} is bound to BOOP production: ${refusal}`;
  return (
    `stack ${environmentNames(env).stack} is a production stack (deployed with the ${CONFIRM_PRODUCTION_PARAMETER} parameter) although cdk.json binds ${env} to BOOP development: ${refusal}; ` +
    `before its next deploy, set cdk.json's ${ENVIRONMENTS_CONTEXT_KEY}.${env}.${BOOP_ENVIRONMENT_FIELD} to "production", as the stack is (see "Stack" in docs/preflight.md)`
  );
}

async function drill(
  clients: CliClients,
  io: CliIo,
  env: string,
  stack: DeployedStack,
  boopEnvironment: BoopEnvironment,
  productionDrill: boolean,
): Promise<void> {
  // Production when cdk.json or the deployed stack says so: a stale checkout or an edited binding must not make a production drill a casual one.
  if (!productionDrill && (boopEnvironment === 'production' || stack.production)) throw new CliError(productionDrillRefusal(env, boopEnvironment));
  const before = await liveWeights(clients, stack);
  if (before.greenPercent === 0) {
    throw new CliError(
      `green has no traffic in ${env}, so there is nothing to roll back; deploy with --parameters ${GREEN_PERCENT_PARAMETER}=<first step> first`,
    );
  }
  const alarmName = drillAlarmName(env);
  const caller = await clients.sts.send(new GetCallerIdentityCommand({}));
  const started = io.now();
  await clients.cloudwatch.send(
    new SetAlarmStateCommand({
      AlarmName: alarmName,
      StateValue: 'ALARM',
      StateReason: `rollout drill by ${caller.Arn ?? 'unknown caller'}`,
    }),
  );
  io.out(`drill: ${alarmName} set to ALARM at ${started.toISOString()}; waiting for blue alone...`);
  while (io.now().getTime() - started.getTime() < DRILL_TIMEOUT_MS) {
    await io.sleep(DRILL_POLL_MS);
    const live = await liveWeights(clients, stack);
    if (matchesShare(live, 0)) {
      const elapsed = io.now().getTime() - started.getTime();
      io.out(`drill: blue alone after ${(elapsed / 1000).toFixed(1)} s (alarm set → listener read back with green 0 %, stickiness off)`);
      io.out(`Acknowledge before the next rollout: npx cdk deploy -c env=${env} --parameters ${GREEN_PERCENT_PARAMETER}=0`);
      return;
    }
  }
  throw new CliError(
    `drill: the listener still sends green traffic ${DRILL_TIMEOUT_MS / 60000} minutes after ${alarmName} went to ALARM; the automatic rollback did not happen. Roll back by hand: npm run rollout -- rollback --env ${env} --reason "drill failed"`,
  );
}

/** The one line a failed command prints on stderr: `rollout: <what went wrong and what to do>`. */
export function failureLine(error: unknown): string {
  return failureLineOf('rollout', error);
}

function duration(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  const hours = Math.floor(minutes / 60);
  return hours > 0 ? `${hours} h ${minutes % 60} min` : `${minutes} min`;
}
