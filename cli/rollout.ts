/**
 * The rollout CLI's commands (status, rollback, drill) against the deployed stack, found by its
 * outputs; bin/rollout.ts wires them to the terminal, cli/rollout-args.ts reads the command line.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeListenersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ConfiguredRetryStrategy, isThrottlingError } from '@smithy/core/retry';
import { environmentNames, GREEN_PERCENT_PARAMETER } from '../common/names';
import { MANUAL_ROLLBACK_ACTION, ManualRollbackRequest } from '../common/payloads';
import { bakeEndsAt, nextStep, RolloutPolicy } from '../common/traffic/policy';
import { parseState, rollbackUnacknowledged, TrafficState } from '../common/traffic/state';
import { forwardAction, LiveWeights, matchesShare, readLiveWeights } from '../common/traffic/weights';
import { boundedRequestHandler, CliClientOverrides, readClientConfig } from './clients';
import { CliError, explain, failureLineOf } from './errors';
import { drillAlarmName, parseRolloutArgs } from './rollout-args';
import { Terminal } from './main';
import { DeployedStack, describeStack } from './stack';

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
/** How long a drill waits for blue alone before it says the rollback did not happen. */
const DRILL_TIMEOUT_MS = 5 * 60_000;
export const DRILL_POLL_MS = 1000;

export interface CliClients {
  readonly cloudformation: CloudFormationClient;
  readonly elb: ElasticLoadBalancingV2Client;
  readonly ssm: SSMClient;
  readonly cloudwatch: CloudWatchClient;
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
    lambda: new LambdaClient({ requestHandler: boundedRequestHandler(INVOKE_TIMEOUT_MS), retryStrategy: new BusyControllerRetryStrategy(), ...overrides }),
    sts: new STSClient(read),
  };
}

/** What a rollout command prints to and waits with. */
export type CliIo = Terminal;

/** Runs one CLI command. Every failure is a CliError whose message says what to do. */
export async function runRolloutCli(argv: readonly string[], clients: CliClients, io: CliIo): Promise<void> {
  const args = parseRolloutArgs(argv);
  if (args.command === 'help') {
    io.out(args.usage);
    return;
  }
  try {
    const stack = await describeStack(clients.cloudformation, args.env);
    if (args.command === 'status') await status(clients, io, args.env, stack);
    else if (args.command === 'rollback') await rollback(clients, io, args.env, stack, args.reason!);
    else await drill(clients, io, args.env, stack);
  } catch (error) {
    throw explain(error);
  }
}

async function liveWeights(clients: CliClients, stack: DeployedStack): Promise<LiveWeights> {
  const listener = (await clients.elb.send(new DescribeListenersCommand({ ListenerArns: [stack.outputs.listenerArn] }))).Listeners?.[0];
  if (!listener) throw new CliError(`listener ${stack.outputs.listenerArn} not found`);
  return readLiveWeights(listener, { blue: stack.outputs.blueTargetGroupArn, green: stack.outputs.greenTargetGroupArn });
}

async function status(clients: CliClients, io: CliIo, env: string, stack: DeployedStack): Promise<void> {
  const now = io.now();
  const [live, stateText, alarms] = await Promise.all([
    liveWeights(clients, stack),
    clients.ssm
      .send(new GetParameterCommand({ Name: stack.outputs.stateParameterName }))
      .then((r) => r.Parameter?.Value)
      .catch((error) => {
        if ((error as { name?: string }).name === 'ParameterNotFound') return undefined;
        throw error;
      }),
    clients.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: environmentNames(env).alarmPrefix, StateValue: 'ALARM', AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }),
    ),
  ]);
  const state = parseState(stateText, now);
  const policy = { steps: stack.outputs.rolloutSteps.split(',').map(Number), bakeTimeHours: Number(stack.outputs.bakeTimeHours) };
  const inAlarm = [...(alarms.CompositeAlarms ?? []), ...(alarms.MetricAlarms ?? [])].map((a) => a.AlarmName ?? '?');
  const rows: [string, string][] = [
    [
      'live weights',
      `blue ${100 - live.greenPercent} % · green ${live.greenPercent} %${live.blueAlone ? ' (blue alone)' : ''}, stickiness ${live.stickinessEnabled ? 'on' : 'off'}`,
    ],
    ['intent', `${GREEN_PERCENT_PARAMETER} = ${stack.greenPercentIntent ?? 'unknown'} (stack parameter)`],
    ['step', stepLine(state, policy, now)],
    ['next step', nextStepLine(state, policy, now)],
    ['alarms in ALARM', inAlarm.length ? inAlarm.join(', ') : 'none'],
    ['last rollback', rollbackLine(state)],
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
  io.out(`BOOP ${env} (${environmentNames(env).stack})`);
  for (const [label, value] of rows) io.out(`  ${label.padEnd(16)} ${value}`);
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

function rollbackLine(state: TrafficState): string {
  const last = state.lastRollback;
  if (!last) return 'none';
  const ack = last.acknowledgedAt ? `acknowledged ${last.acknowledgedAt}` : 'NOT acknowledged';
  return `${last.at} by ${last.trigger} (${last.why}), from green ${last.fromGreenPercent} %; ${ack}`;
}

async function rollback(clients: CliClients, io: CliIo, env: string, stack: DeployedStack, reason: string): Promise<void> {
  const caller = await clients.sts.send(new GetCallerIdentityCommand({}));
  const payload = { action: MANUAL_ROLLBACK_ACTION, reason, requestedBy: caller.Arn ?? 'unknown caller' } satisfies ManualRollbackRequest;
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
        throw new CliError(`the traffic controller stayed busy${tries > 1 ? ` for about two minutes (${tries} tries)` : ''}; ${manualRollback(stack)}`);
      }
      throw new CliError(`${explain(error).message}; ${manualRollback(stack)}`);
    });
  const body = answer.Payload ? new TextDecoder().decode(answer.Payload) : '';
  if (answer.FunctionError) throw new CliError(`the traffic controller could not roll back: ${functionError(body)}; ${manualRollback(stack)}`);
  const outcome = JSON.parse(body || '{}') as { result?: string; message?: string };
  io.out(`rollback (${env}): ${outcome.message ?? body}`);
  if (outcome.result === 'changed') {
    io.out(
      `To resume later: fix green, deploy with --parameters ${GREEN_PERCENT_PARAMETER}=0 (acknowledges the rollback), then start again at the first step.`,
    );
  }
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

async function drill(clients: CliClients, io: CliIo, env: string, stack: DeployedStack): Promise<void> {
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
