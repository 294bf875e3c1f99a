/**
 * `npm run rollout -- <status|rollback|drill> --env <env>` against mocked AWS clients, plus the real
 * command as a child process for the errors an operator meets first.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeListenersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { ENVIRONMENT_NAMES } from '../lib/config/environment-config';
import { CliError, DRILL_POLL_MS, runRolloutCli } from '../lib/rollout-cli';
import { drillAlarmName, STACK_OUTPUTS, stackName } from '../lib/stack-outputs';
import { forwardAction } from '../lambda/traffic/weights';
import { SETTINGS, templateAction } from './traffic/fake-aws';

const NOW = new Date('2026-11-21T12:00:00.000Z');
const CALLER = 'arn:aws:sts::111122223333:assumed-role/ops/alice';

const outputs = {
  listenerArn: SETTINGS.listenerArn,
  blueTargetGroupArn: SETTINGS.targetGroups.blue,
  greenTargetGroupArn: SETTINGS.targetGroups.green,
  controllerFunctionName: 'boop-prod-traffic-controller',
  stateParameterName: SETTINGS.stateParameterName,
  rollbackAlarmName: SETTINGS.rollbackAlarmName,
  rolloutSteps: SETTINGS.policy.steps.join(','),
  bakeTimeHours: String(SETTINGS.policy.bakeTimeHours),
};

function setup() {
  const clients = {
    cloudformation: new CloudFormationClient({ region: 'eu-west-1' }),
    elb: new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }),
    ssm: new SSMClient({ region: 'eu-west-1' }),
    cloudwatch: new CloudWatchClient({ region: 'eu-west-1' }),
    lambda: new LambdaClient({ region: 'eu-west-1' }),
    sts: new STSClient({ region: 'eu-west-1' }),
  };
  const mocks = {
    cloudformation: mockClient(clients.cloudformation), elb: mockClient(clients.elb), ssm: mockClient(clients.ssm),
    cloudwatch: mockClient(clients.cloudwatch), lambda: mockClient(clients.lambda), sts: mockClient(clients.sts),
  };
  mocks.cloudformation.on(DescribeStacksCommand).resolves({ Stacks: [{
    StackName: stackName('prod'), CreationTime: NOW, StackStatus: 'UPDATE_COMPLETE',
    Parameters: [{ ParameterKey: 'GreenPercent', ParameterValue: '25' }],
    Outputs: Object.entries(outputs).map(([key, value]) => ({ OutputKey: STACK_OUTPUTS[key as keyof typeof STACK_OUTPUTS], OutputValue: value })),
  }] });
  mocks.sts.on(GetCallerIdentityCommand).resolves({ Arn: CALLER });
  let clock = NOW.getTime();
  const lines: string[] = [];
  const io = { out: (line: string) => lines.push(line), now: () => new Date(clock), sleep: async (ms: number) => { clock += ms; } };
  return { clients, mocks, io, lines };
}

const listenerAt = (greenPercent: number) => ({ Listeners: [{ ListenerArn: SETTINGS.listenerArn, DefaultActions: [forwardAction(SETTINGS.targetGroups, greenPercent, SETTINGS.stickinessSeconds)] }] });

describe('status', () => {
  test('shows live weights, intent, step and bake, the next step, alarms in ALARM and the last rollback', async () => {
    const { clients, mocks, io, lines } = setup();
    mocks.elb.on(DescribeListenersCommand).resolves(listenerAt(25));
    const stepStartedAt = new Date(NOW.getTime() - 3 * 3_600_000).toISOString();
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify({
      version: 1, intent: 25, greenPercent: 25, stepStartedAt, changes: [],
      lastRollback: { at: '2026-11-19T08:00:00.000Z', trigger: SETTINGS.rollbackAlarmName, triggeredAt: '2026-11-19T07:59:40.000Z', why: 'PAYMENT_ERROR_RATE-green', by: 'automatic rollback (EventBridge)', fromGreenPercent: 5, acknowledgedAt: '2026-11-19T10:00:00.000Z' },
    }) } });
    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'boop-prod-BOOP_RATE_LIMITED-blue' }], CompositeAlarms: [] });
    await runRolloutCli(['status', '--env', 'prod'], clients, io);
    const text = lines.join('\n');
    expect(text).toContain('blue 75 % · green 25 %, stickiness on');
    expect(text).toContain('GreenPercent = 25 (stack parameter)');
    expect(text).toContain(`25 % (steps ${SETTINGS.policy.steps.join(', ')}), since ${stepStartedAt}, 3 h 0 min of ${SETTINGS.policy.bakeTimeHours} h bake`);
    // Green stands at the second step, baked 3 h of its bake.
    expect(text).toContain(`${SETTINGS.policy.steps[2]} % allowed from ${new Date(Date.parse(stepStartedAt) + SETTINGS.policy.bakeTimeHours * 3_600_000).toISOString()} (in ${SETTINGS.policy.bakeTimeHours - 3} h 0 min)`);
    expect(text).toContain('boop-prod-BOOP_RATE_LIMITED-blue');
    expect(text).toContain('by boop-prod-GREEN_ROLLBACK (PAYMENT_ERROR_RATE-green), from green 5 %; acknowledged 2026-11-19T10:00:00.000Z');
    expect(mocks.cloudwatch.commandCalls(DescribeAlarmsCommand)[0].args[0].input).toMatchObject({ AlarmNamePrefix: 'boop-prod-', StateValue: 'ALARM' });
  });

  test('before the controller ever ran: green 0, no rollback, no alarms', async () => {
    const { clients, mocks, io, lines } = setup();
    mocks.elb.on(DescribeListenersCommand).resolves({ Listeners: [{ DefaultActions: [templateAction()] }] });
    mocks.ssm.on(GetParameterCommand).rejects(Object.assign(new Error('not found'), { name: 'ParameterNotFound' }));
    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({});
    await runRolloutCli(['status', '--env', 'prod'], clients, io);
    expect(lines.join('\n')).toMatch(/live weights\s+blue 100 % · green 0 %/);
    expect(lines.join('\n')).toMatch(/last rollback\s+none/);
    expect(lines.join('\n')).toMatch(/alarms in ALARM\s+none/);
    expect(lines.join('\n')).not.toContain('warning');
  });

  test('a listener that CloudFormation reset to the template is pointed out', async () => {
    const { clients, mocks, io, lines } = setup();
    mocks.elb.on(DescribeListenersCommand).resolves({ Listeners: [{ DefaultActions: [templateAction()] }] });
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify({ version: 1, intent: 25, greenPercent: 25, stepStartedAt: NOW.toISOString(), changes: [] }) } });
    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({});
    await runRolloutCli(['status', '--env', 'prod'], clients, io);
    expect(lines.join('\n')).toContain('the listener shows green 0 % but the controller last set 25 %');
  });

  test('an undeployed stack is a clear error saying how to deploy it', async () => {
    const { clients, mocks, io } = setup();
    mocks.cloudformation.on(DescribeStacksCommand).rejects(Object.assign(new Error(`Stack with id ${stackName('dev')} does not exist`), { name: 'ValidationError' }));
    await expect(runRolloutCli(['status', '--env', 'dev'], clients, io)).rejects.toThrow(new CliError(`stack ${stackName('dev')} is not deployed in this account and region; deploy it with: npx cdk deploy -c env=dev`));
  });

  test('missing credentials are a clear error', async () => {
    const { clients, mocks, io } = setup();
    mocks.cloudformation.on(DescribeStacksCommand).rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    await expect(runRolloutCli(['status', '--env', 'prod'], clients, io)).rejects.toThrow(/no AWS credentials found; set AWS_PROFILE/);
  });
});

describe('arguments', () => {
  test.each([
    [['status'], /--env is required/],
    [['status', '--env', 'staging'], new RegExp(`unknown environment "staging"; known environments: ${ENVIRONMENT_NAMES.join(', ')}`)],
    [['promote', '--env', 'prod'], /unknown command "promote"/],
    [['rollback', '--env', 'prod'], /rollback needs --reason/],
    [['status', '--env', 'prod', '--force'], /unknown option "--force"/],
  ])('%j is refused before any AWS call', async (argv, message) => {
    const { clients, mocks, io } = setup();
    await expect(runRolloutCli(argv, clients, io)).rejects.toThrow(message);
    expect(mocks.cloudformation.calls()).toHaveLength(0);
  });
});

describe('rollback', () => {
  test('invokes the traffic controller with the reason and who asked', async () => {
    const { clients, mocks, io, lines } = setup();
    mocks.lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify({ result: 'changed', message: 'rolled back to blue in 412 ms' })) as never });
    await runRolloutCli(['rollback', '--env', 'prod', '--reason', 'INC-7 payments failing'], clients, io);
    const input = mocks.lambda.commandCalls(InvokeCommand)[0].args[0].input;
    expect(input.FunctionName).toBe(outputs.controllerFunctionName);
    expect(JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array))).toEqual({ action: 'rollback', reason: 'INC-7 payments failing', requestedBy: CALLER });
    expect(lines[0]).toBe('rollback: rolled back to blue in 412 ms');
  });

  test('waits out a busy controller (concurrency 1) and then rolls back', async () => {
    const { clients, mocks, io, lines } = setup();
    const busy = Object.assign(new Error('Rate Exceeded.'), { name: 'TooManyRequestsException' });
    mocks.lambda.on(InvokeCommand).rejectsOnce(busy).rejectsOnce(busy)
      .resolves({ StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify({ result: 'changed', message: 'rolled back to blue in 380 ms' })) as never });
    await runRolloutCli(['rollback', '--env', 'prod', '--reason', 'INC-8'], clients, io);
    expect(mocks.lambda.commandCalls(InvokeCommand)).toHaveLength(3);
    expect(lines[0]).toBe('rollback: rolled back to blue in 380 ms');
  });

  test('a controller busy for minutes ends in the command to move traffic by hand', async () => {
    const { clients, mocks, io } = setup();
    mocks.lambda.on(InvokeCommand).rejects(Object.assign(new Error('Rate Exceeded.'), { name: 'TooManyRequestsException' }));
    await expect(runRolloutCli(['rollback', '--env', 'prod', '--reason', 'INC-8'], clients, io))
      .rejects.toThrow(new RegExp(`stayed busy.*aws elbv2 modify-listener --listener-arn ${SETTINGS.listenerArn.replace(/[/]/g, '\\/')}`, 's'));
  });

  test('a controller failure is an error that says how to move traffic by hand', async () => {
    const { clients, mocks, io } = setup();
    mocks.lambda.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: new TextEncoder().encode('{"errorMessage":"denied"}') as never });
    await expect(runRolloutCli(['rollback', '--env', 'prod', '--reason', 'x'], clients, io)).rejects.toThrow(/could not roll back: .*denied.*move traffic by hand:\n {2}aws elbv2 modify-listener/s);
  });
});

describe('drill', () => {
  test('refuses production without --production-drill, touching nothing', async () => {
    const { clients, mocks, io } = setup();
    await expect(runRolloutCli(['drill', '--env', 'prod'], clients, io)).rejects.toThrow(/--production-drill/);
    expect(mocks.cloudwatch.calls()).toHaveLength(0);
  });

  test('sets the green alarm to ALARM, waits for blue alone and prints the measured time', async () => {
    const { clients, mocks, io, lines } = setup();
    mocks.elb.on(DescribeListenersCommand).resolvesOnce(listenerAt(5)).resolvesOnce(listenerAt(5)).resolvesOnce(listenerAt(5)).resolves(listenerAt(0));
    mocks.cloudwatch.on(SetAlarmStateCommand).resolves({});
    await runRolloutCli(['drill', '--env', 'dev'], clients, io);
    expect(mocks.cloudwatch.commandCalls(SetAlarmStateCommand)[0].args[0].input).toMatchObject({ AlarmName: drillAlarmName('dev'), StateValue: 'ALARM', StateReason: `rollout drill by ${CALLER}` });
    // Three polls still saw green; the fourth saw blue alone.
    expect(lines.join('\n')).toContain(`blue alone after ${((3 * DRILL_POLL_MS) / 1000).toFixed(1)} s`);
    expect(lines.join('\n')).toContain('--parameters GreenPercent=0');
  });

  test('with green at 0 there is nothing to drill', async () => {
    const { clients, mocks, io } = setup();
    mocks.elb.on(DescribeListenersCommand).resolves(listenerAt(0));
    await expect(runRolloutCli(['drill', '--env', 'dev'], clients, io)).rejects.toThrow(/nothing to roll back/);
    expect(mocks.cloudwatch.commandCalls(SetAlarmStateCommand)).toHaveLength(0);
  });

  test('says so when the rollback never comes, bounded by its timeout', async () => {
    const { clients, mocks, io } = setup();
    mocks.elb.on(DescribeListenersCommand).resolves(listenerAt(5));
    mocks.cloudwatch.on(SetAlarmStateCommand).resolves({});
    await expect(runRolloutCli(['drill', '--env', 'dev'], clients, io)).rejects.toThrow(/the automatic rollback did not happen/);
  });
});

describe('the command itself', () => {
  const run = (args: string[], env: NodeJS.ProcessEnv) => spawnSync(process.execPath, [require.resolve('tsx/cli'), 'bin/rollout.ts', ...args], {
    cwd: path.join(__dirname, '..'), env, encoding: 'utf8', timeout: 60_000,
  });
  const bareEnv = () => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: fs.mkdtempSync(path.join(os.tmpdir(), 'rollout-home-')), AWS_EC2_METADATA_DISABLED: 'true', AWS_REGION: 'eu-west-1' };
    return env;
  };

  test('without credentials exits 1 with a message and no stack trace', () => {
    const result = run(['status', '--env', 'prod'], bareEnv());
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('rollout: no AWS credentials found');
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  test('with an unknown environment exits 1 listing the known ones', () => {
    const result = run(['status', '--env', 'staging'], bareEnv());
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`known environments: ${ENVIRONMENT_NAMES.join(', ')}`);
  });
});
