import { CloudFormationClient, DescribeStacksCommand, Stack } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeListenersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { isThrottling, withThrottlingRetry } from '../lambda/shared/retry';
import { bakeEndsAt, nextStep } from '../lambda/traffic/policy';
import { parseState, TrafficState } from '../lambda/traffic/state';
import { LiveWeights, readLiveWeights } from '../lambda/traffic/weights';
import { ENVIRONMENT_NAMES } from './config/environment-config';
import { drillAlarmName, STACK_OUTPUTS, StackOutputKey, stackName } from './stack-outputs';

export const USAGE = `usage: npm run rollout -- <command> --env <${ENVIRONMENT_NAMES.join('|')}> [options]

commands:
  status                    live weights, the GreenPercent intent, step and bake, alarms in ALARM, last rollback
  rollback --reason "<why>" move all traffic to blue now (through the traffic controller)
  drill                     put ${drillAlarmName('<env>')} into ALARM and time the automatic rollback
                            (production only with --production-drill)`;

/** Tries of a manual rollback while the controller is busy: about two minutes, twice its timeout. */
const BUSY_CONTROLLER_ATTEMPTS = 8;
/** How long a drill waits for blue alone before it says the rollback did not happen. */
const DRILL_TIMEOUT_MS = 5 * 60_000;
export const DRILL_POLL_MS = 1000;

export interface CliClients {
  readonly cloudformation: CloudFormationClient;
  readonly elb: ElasticLoadBalancingV2Client;
  readonly ssm: SSMClient;
  readonly cloudwatch: CloudWatchClient;
  readonly lambda: LambdaClient;
  readonly sts: STSClient;
}

export interface CliIo {
  readonly out: (line: string) => void;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
}

/** A problem the operator can fix; printed without a stack trace. */
export class CliError extends Error {}

interface Args {
  readonly command: 'status' | 'rollback' | 'drill';
  readonly env: string;
  readonly reason?: string;
  readonly productionDrill: boolean;
}

export function parseArgs(argv: readonly string[]): Args {
  const [command, ...rest] = argv;
  if (command !== 'status' && command !== 'rollback' && command !== 'drill') {
    throw new CliError(`${command ? `unknown command "${command}"` : 'no command given'}\n\n${USAGE}`);
  }
  let env: string | undefined;
  let reason: string | undefined;
  let productionDrill = false;
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    if (flag === '--env') env = rest[++i];
    else if (flag === '--reason') reason = rest[++i];
    else if (flag === '--production-drill') productionDrill = true;
    else throw new CliError(`unknown option "${flag}"\n\n${USAGE}`);
  }
  if (!env) throw new CliError(`--env is required; known environments: ${ENVIRONMENT_NAMES.join(', ')}`);
  if (!(ENVIRONMENT_NAMES as readonly string[]).includes(env)) throw new CliError(`unknown environment "${env}"; known environments: ${ENVIRONMENT_NAMES.join(', ')}`);
  if (command === 'rollback' && (!reason || reason.trim() === '')) throw new CliError('rollback needs --reason "<why>"; it is recorded in the traffic state and the page');
  return { command, env, reason: reason?.trim(), productionDrill };
}

/** Runs one CLI command. Known failures are CliErrors with a message that says what to do. */
export async function runRolloutCli(argv: readonly string[], clients: CliClients, io: CliIo): Promise<void> {
  const args = parseArgs(argv);
  try {
    const stack = await describeStack(clients, args.env);
    if (args.command === 'status') await status(clients, io, args.env, stack);
    else if (args.command === 'rollback') await rollback(clients, io, stack, args.reason!);
    else await drill(clients, io, args.env, stack, args.productionDrill);
  } catch (error) {
    throw explain(error);
  }
}

interface DeployedStack {
  readonly outputs: Readonly<Record<StackOutputKey, string>>;
  readonly greenPercentIntent?: string;
}

async function describeStack(clients: CliClients, env: string): Promise<DeployedStack> {
  const name = stackName(env);
  let stack: Stack | undefined;
  try {
    stack = (await clients.cloudformation.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
  } catch (error) {
    if (/does not exist/.test(String((error as Error).message))) stack = undefined;
    else throw error;
  }
  if (!stack) throw new CliError(`stack ${name} is not deployed in this account and region; deploy it with: npx cdk deploy -c env=${env}`);
  const byKey = new Map((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue ?? '']));
  const missing = Object.values(STACK_OUTPUTS).filter((key) => !byKey.has(key));
  if (missing.length > 0) throw new CliError(`stack ${name} has no traffic control outputs (${missing.join(', ')}); deploy this version of boop-deploy first`);
  const outputs = Object.fromEntries(Object.entries(STACK_OUTPUTS).map(([key, outputKey]) => [key, byKey.get(outputKey)!])) as Record<StackOutputKey, string>;
  return { outputs, greenPercentIntent: stack.Parameters?.find((p) => p.ParameterKey === 'GreenPercent')?.ParameterValue };
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
    clients.ssm.send(new GetParameterCommand({ Name: stack.outputs.stateParameterName })).then((r) => r.Parameter?.Value).catch((error) => {
      if ((error as { name?: string }).name === 'ParameterNotFound') return undefined;
      throw error;
    }),
    clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: `boop-${env}-`, StateValue: 'ALARM', AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] })),
  ]);
  const state = parseState(stateText, now);
  const policy = { steps: stack.outputs.rolloutSteps.split(',').map(Number), bakeTimeHours: Number(stack.outputs.bakeTimeHours) };
  const inAlarm = [...(alarms.CompositeAlarms ?? []), ...(alarms.MetricAlarms ?? [])].map((a) => a.AlarmName ?? '?');
  const rows: [string, string][] = [
    ['live weights', `blue ${100 - live.greenPercent} % · green ${live.greenPercent} %${live.blueAlone ? ' (blue alone)' : ''}, stickiness ${live.stickinessEnabled ? 'on' : 'off'}`],
    ['intent', `GreenPercent = ${stack.greenPercentIntent ?? 'unknown'} (stack parameter)`],
    ['step', stepLine(state, policy, now)],
    ['next step', nextStepLine(state, policy, now)],
    ['alarms in ALARM', inAlarm.length ? inAlarm.join(', ') : 'none'],
    ['last rollback', rollbackLine(state)],
  ];
  if (live.blueAlone && state.greenPercent > 0) {
    rows.push(['warning', `the listener sends blue alone but the record says green ${state.greenPercent} %: a rollback that was not recorded; green stays off until a deploy with GreenPercent=0`]);
  } else if (live.greenPercent !== state.greenPercent) {
    rows.push(['warning', `the listener shows green ${live.greenPercent} % but the controller last set ${state.greenPercent} %; the next deploy that runs the controller re-applies ${state.greenPercent} %`]);
  }
  io.out(`BOOP ${env} (${stackName(env)})`);
  for (const [label, value] of rows) io.out(`  ${label.padEnd(16)} ${value}`);
}

function stepLine(state: TrafficState, policy: { steps: number[]; bakeTimeHours: number }, now: Date): string {
  const since = `since ${state.stepStartedAt}, ${duration(now.getTime() - Date.parse(state.stepStartedAt))}`;
  return `${state.greenPercent} % (steps ${policy.steps.join(', ')}), ${since} of ${policy.bakeTimeHours} h bake`;
}

function nextStepLine(state: TrafficState, policy: { steps: number[]; bakeTimeHours: number }, now: Date): string {
  if (state.lastRollback && !state.lastRollback.acknowledgedAt) return 'blocked: acknowledge the rollback with a deploy of GreenPercent=0';
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

async function rollback(clients: CliClients, io: CliIo, stack: DeployedStack, reason: string): Promise<void> {
  const caller = await clients.sts.send(new GetCallerIdentityCommand({}));
  const payload = { action: 'rollback', reason, requestedBy: caller.Arn ?? 'unknown caller' };
  // The controller runs one invocation at a time; while a deploy or rollback runs, Lambda answers TooManyRequests.
  const answer = await withThrottlingRetry(() => clients.lambda.send(new InvokeCommand({
    FunctionName: stack.outputs.controllerFunctionName,
    InvocationType: 'RequestResponse',
    Payload: new TextEncoder().encode(JSON.stringify(payload)),
  })), { attempts: BUSY_CONTROLLER_ATTEMPTS, baseDelayMs: 1000, sleep: io.sleep }).catch((error) => {
    if (!isThrottling(error)) throw error;
    throw new CliError(`the traffic controller stayed busy for over two minutes.\n${manualRollback(stack)}`);
  });
  const body = answer.Payload ? new TextDecoder().decode(answer.Payload) : '';
  if (answer.FunctionError) throw new CliError(`the traffic controller could not roll back: ${body}\n${manualRollback(stack)}`);
  const outcome = JSON.parse(body || '{}') as { result?: string; message?: string };
  io.out(`rollback: ${outcome.message ?? body}`);
  if (outcome.result === 'changed') {
    io.out('To resume later: fix green, deploy with --parameters GreenPercent=0 (acknowledges the rollback), then start again at the first step.');
  }
}

/** What to do when the controller cannot: the one write that puts all traffic on blue. */
function manualRollback(stack: DeployedStack): string {
  const action = JSON.stringify([{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: stack.outputs.blueTargetGroupArn, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false } } }]);
  return `If it is urgent, move traffic by hand:\n  aws elbv2 modify-listener --listener-arn ${stack.outputs.listenerArn} --default-actions '${action}'`;
}

async function drill(clients: CliClients, io: CliIo, env: string, stack: DeployedStack, productionDrill: boolean): Promise<void> {
  if (env === 'prod' && !productionDrill) {
    throw new CliError('a drill rolls production traffic back to blue; to do that on purpose, add --production-drill');
  }
  const before = await liveWeights(clients, stack);
  if (before.greenPercent === 0) {
    throw new CliError(`green has no traffic in ${env}, so there is nothing to roll back; deploy with --parameters GreenPercent=<first step> first`);
  }
  const alarmName = drillAlarmName(env);
  const caller = await clients.sts.send(new GetCallerIdentityCommand({}));
  const started = io.now();
  await clients.cloudwatch.send(new SetAlarmStateCommand({
    AlarmName: alarmName,
    StateValue: 'ALARM',
    StateReason: `rollout drill by ${caller.Arn ?? 'unknown caller'}`,
  }));
  io.out(`drill: ${alarmName} set to ALARM at ${started.toISOString()}; waiting for blue alone...`);
  while (io.now().getTime() - started.getTime() < DRILL_TIMEOUT_MS) {
    await io.sleep(DRILL_POLL_MS);
    const live = await liveWeights(clients, stack);
    if (live.greenPercent === 0 && !live.stickinessEnabled) {
      const elapsed = io.now().getTime() - started.getTime();
      io.out(`drill: blue alone after ${(elapsed / 1000).toFixed(1)} s (alarm set → listener read back with green 0 %, stickiness off)`);
      io.out(`Acknowledge before the next rollout: npx cdk deploy -c env=${env} --parameters GreenPercent=0`);
      return;
    }
  }
  throw new CliError(`drill: the listener still sends green traffic ${DRILL_TIMEOUT_MS / 60000} minutes after ${alarmName} went to ALARM; the automatic rollback did not happen. Roll back by hand: npm run rollout -- rollback --env ${env} --reason "drill failed"`);
}

/** Turns the SDK's configuration failures into what the operator should do. */
function explain(error: unknown): Error {
  if (error instanceof CliError) return error;
  const e = error as { name?: string; message?: string };
  if (e.name === 'CredentialsProviderError' || /Could not load credentials/.test(e.message ?? '')) {
    return new CliError('no AWS credentials found; set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) for the account the stack is in');
  }
  if (/Region is missing/i.test(e.message ?? '')) return new CliError('no AWS region set; set AWS_REGION or a profile with a region');
  if (e.name === 'ExpiredToken' || e.name === 'ExpiredTokenException') return new CliError('your AWS session has expired; log in again');
  if (e.name === 'AccessDenied' || e.name === 'AccessDeniedException') return new CliError(`AWS refused: ${e.message}`);
  return error as Error;
}

function duration(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  const hours = Math.floor(minutes / 60);
  return hours > 0 ? `${hours} h ${minutes % 60} min` : `${minutes} min`;
}
