/**
 * `npm run rollout -- <status|rollback|pause|resume|drill> --env <env>` against mocked AWS clients, and every
 * command's arguments (what plan, promote and status show of releases: rollout-release.test.ts); a
 * hands-free rollout's status and plan, its records made by the controller's own decisions; the rollback's
 * retries through the real SDK client with an in-process HTTP handler and fake timers; the one-line
 * failure messages. The real command as a child process: rollout-process.test.ts.
 */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeAlarmsCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeListenersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import fc from 'fast-check';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { THRESHOLDS } from '../../lib/monitoring/thresholds';
import { CliError } from '../../cli/errors';
import { projectEnvironments } from '../../cli/environments';
import {
  BUSY_CONTROLLER_ATTEMPTS,
  busyControllerBackoff,
  CliClientOverrides,
  createCliClients,
  DRILL_POLL_MS,
  failureLine,
  runRolloutCli,
} from '../../cli/rollout';
import { commandUsage, COMMANDS, drillAlarmName, RESUME_REASON, USAGE } from '../../cli/rollout-args';
import { CONFIRM_PRODUCTION_PARAMETER, environmentNames, GREEN_PERCENT_PARAMETER } from '../../common/names';
import { AUTO_ADVANCE_OUTPUT, MANUAL_ROLLBACK_ACTION, PAUSE_ACTION, PRODUCTION_WAIVERS_OUTPUT, RESUME_ACTION } from '../../common/payloads';
import { HANDS_FREE_BY, TICK_INTERVAL_MINUTES } from '../../common/traffic/hands-free';
import { bakeEndsAt, nextStep } from '../../common/traffic/policy';
import { route } from '../../lambda/traffic/route';
import { FakeAws, SETTINGS, templateAction } from '../traffic/fake-aws';
import { declare } from './declared-environments';
import { numRuns } from '../support/properties';
import { CALLER, callNames, CLEAN, describedStack, dev, HandsFreeLadder, listenerAt, NOW, outputs, prod, setup, standAt } from './rollout-setup';

describe('status', () => {
  test('shows live weights, intent, step and bake, the next step, alarms in ALARM and the last rollback', async () => {
    const { clients, mocks, io, lines } = setup();
    mocks.elb.on(DescribeListenersCommand).resolves(listenerAt(25));
    const stepStartedAt = new Date(NOW.getTime() - 3 * 3_600_000).toISOString();
    mocks.ssm.on(GetParameterCommand).resolves({
      Parameter: {
        Value: JSON.stringify({
          version: 1,
          intent: 25,
          greenPercent: 25,
          stepStartedAt,
          changes: [],
          lastRollback: {
            at: '2026-11-19T08:00:00.000Z',
            trigger: SETTINGS.rollbackAlarmName,
            triggeredAt: '2026-11-19T07:59:40.000Z',
            why: 'PAYMENT_ERROR_RATE-green',
            by: 'automatic rollback (EventBridge)',
            fromGreenPercent: 5,
            acknowledgedAt: '2026-11-19T10:00:00.000Z',
          },
        }),
      },
    });
    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: prod.alarm('BOOP_RATE_LIMITED', 'blue') }], CompositeAlarms: [] });
    await runRolloutCli(['status', '--env', 'prod'], clients, io);
    const text = lines.join('\n');
    expect(text).toContain('blue 75 % · green 25 %, stickiness on');
    expect(text).toContain(`${GREEN_PERCENT_PARAMETER} = 25 (stack parameter)`);
    expect(text).toContain(`25 % (steps ${SETTINGS.policy.steps.join(', ')}), since ${stepStartedAt}, 3 h 0 min of ${SETTINGS.policy.bakeTimeHours} h bake`);
    // Green stands at the second step, baked 3 h of its bake.
    expect(text).toContain(
      `${SETTINGS.policy.steps[2]} % allowed from ${new Date(Date.parse(stepStartedAt) + SETTINGS.policy.bakeTimeHours * 3_600_000).toISOString()} (in ${SETTINGS.policy.bakeTimeHours - 3} h 0 min)`,
    );
    expect(text).toContain(prod.alarm('BOOP_RATE_LIMITED', 'blue'));
    expect(text).toContain(`by ${prod.rollbackAlarm} (PAYMENT_ERROR_RATE-green), from green 5 %; acknowledged 2026-11-19T10:00:00.000Z`);
    // Every alarm of the environment, the composite's included, and none of another environment's.
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

  test("lists only its own environment's alarms, from every page, though another environment's names start with its prefix", async () => {
    // prod-eu's alarm names start with prod's prefix, boop-prod-; DescribeAlarms answers both, a page at a time.
    const prodEu = environmentNames('prod-eu');
    const ours = [prod.alarm('SERVICE_DOWN', 'green'), prod.rollbackAlarm, prod.alarm('BOOP_RATE_LIMITED')];
    const theirs = [prodEu.alarm('SERVICE_DOWN', 'green'), prodEu.rollbackAlarm, prodEu.alarm('BOOP_RATE_LIMITED')];
    for (const name of [...ours, ...theirs]) expect(name.startsWith(prod.alarmPrefix)).toBe(true);
    const { clients, mocks, io, lines } = setup();
    mocks.elb.on(DescribeListenersCommand).resolves(listenerAt(5));
    mocks.ssm.on(GetParameterCommand).rejects(Object.assign(new Error('not found'), { name: 'ParameterNotFound' }));
    mocks.cloudwatch
      .on(DescribeAlarmsCommand)
      .resolvesOnce({ CompositeAlarms: [{ AlarmName: theirs[1] }, { AlarmName: ours[1] }], MetricAlarms: [{ AlarmName: theirs[0] }], NextToken: 'page-2' })
      .resolvesOnce({ MetricAlarms: [{ AlarmName: ours[0] }, { AlarmName: theirs[2] }, { AlarmName: ours[2] }] });
    await runRolloutCli(['status', '--env', 'prod'], clients, io);
    const shown = /^ {2}alarms in ALARM +(.*)$/m.exec(lines.join('\n'))![1].split(', ');
    expect(shown.sort()).toEqual([...ours].sort());
    const calls = mocks.cloudwatch.commandCalls(DescribeAlarmsCommand).map((call) => call.args[0].input);
    expect(calls.map((input) => [input.AlarmNamePrefix, input.NextToken])).toEqual([
      [prod.alarmPrefix, undefined],
      [prod.alarmPrefix, 'page-2'],
    ]);
  });

  /** status of prod, blue alone and no alarm, on a stack whose ProductionWaivers output holds `waivers` (none when undefined). */
  async function statusWithWaivers(waivers: string | undefined): Promise<string[]> {
    const { clients, mocks, io, lines } = setup();
    const extraOutputs: Record<string, string> = waivers === undefined ? {} : { [PRODUCTION_WAIVERS_OUTPUT]: waivers };
    mocks.cloudformation.on(DescribeStacksCommand).resolves(describedStack({ [GREEN_PERCENT_PARAMETER]: '0' }, extraOutputs));
    mocks.elb.on(DescribeListenersCommand).resolves(listenerAt(0));
    mocks.ssm.on(GetParameterCommand).rejects(Object.assign(new Error('not found'), { name: 'ParameterNotFound' }));
    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({});
    await runRolloutCli(['status', '--env', 'prod'], clients, io);
    return lines;
  }

  test('shows each production safety default the stack sets aside, with its reason', async () => {
    const waivers = { bakeBelowGuide: 'INC-12: a 2 h bake agreed with BOOP until 2027-01-31', releaseGuardOff: 'images are signed upstream' };
    const lines = await statusWithWaivers(JSON.stringify(waivers));
    const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // One line each, under the one label.
    expect(lines.filter((line) => line.includes('set aside'))).toEqual(
      Object.entries(waivers).map(([waiver, reason], i) =>
        expect.stringMatching(new RegExp(`^ {2}${i === 0 ? 'waivers' : ''} +production safety default set aside: ${waiver}: ${escaped(reason)}$`)),
      ),
    );
  });

  test('a stack that sets no safety default aside shows no waiver line', async () => {
    const lines = await statusWithWaivers(undefined);
    expect(lines.join('\n')).not.toMatch(/waivers|set aside/);
    expect(lines.join('\n')).toMatch(/^ {2}keys go to /m);
  });

  test.each([
    ['not JSON', '{bakeBelowGuide: yes'],
    ['a list', '["bakeBelowGuide"]'],
    ['a reason that is no text', '{"bakeBelowGuide":{"why":"x"}}'],
    ['empty', '{}'],
    ['a line break and an escape sequence to the terminal', 'not JSON\n\u001b[2J'],
  ])('a ProductionWaivers output status cannot read (%s) is said so in one line, and status goes on', async (_case, value) => {
    const lines = await statusWithWaivers(value);
    expect(lines.filter((line) => /waivers|set aside|ProductionWaivers/.test(line))).toEqual([
      expect.stringMatching(/^ {2}waivers +the stack's ProductionWaivers output could not be read \(not JSON of each waiver and its reason\): ".*"; /),
    ]);
    // Nothing from the stack moves the cursor or starts a line of its own.
    for (const line of lines) expect(line).not.toMatch(/\p{Cc}/u);
    expect(lines.join('\n')).toMatch(/^ {2}keys go to /m);
  });

  test('a reason with control characters is shown on its one line, without them', async () => {
    const lines = await statusWithWaivers(JSON.stringify({ bakeBelowGuide: 'agreed\nwith BOOP\u001b[2J' }));
    expect(lines.filter((line) => line.includes('set aside'))).toEqual([
      expect.stringMatching(/production safety default set aside: bakeBelowGuide: agreed with BOOP \[2J$/),
    ]);
  });

  test('a listener that CloudFormation reset to the template is pointed out', async () => {
    const { clients, mocks, io, lines } = setup();
    mocks.elb.on(DescribeListenersCommand).resolves({ Listeners: [{ DefaultActions: [templateAction()] }] });
    mocks.ssm
      .on(GetParameterCommand)
      .resolves({ Parameter: { Value: JSON.stringify({ version: 1, intent: 25, greenPercent: 25, stepStartedAt: NOW.toISOString(), changes: [] }) } });
    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({});
    await runRolloutCli(['status', '--env', 'prod'], clients, io);
    expect(lines.join('\n')).toContain('the listener shows green 0 % but the controller last set 25 %');
  });

  test('an undeployed stack is a clear error saying how to deploy it', async () => {
    const { clients, mocks, io } = setup();
    mocks.cloudformation.on(DescribeStacksCommand).rejects(Object.assign(new Error(`Stack with id ${dev.stack} does not exist`), { name: 'ValidationError' }));
    await expect(runRolloutCli(['status', '--env', 'dev'], clients, io)).rejects.toThrow(
      new CliError(`stack ${dev.stack} is not deployed in this account and region; deploy it with: npx cdk deploy -c env=dev`),
    );
  });

  test.each(['ROLLBACK_COMPLETE', 'REVIEW_IN_PROGRESS', 'CREATE_FAILED'] as const)(
    'a stack whose first create failed (%s) counts as not deployed: it has no outputs, and cdk deploy creates it anew',
    async (status) => {
      const { clients, mocks, io } = setup();
      mocks.cloudformation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: dev.stack, StackStatus: status, CreationTime: NOW }] });
      await expect(runRolloutCli(['status', '--env', 'dev'], clients, io)).rejects.toThrow(
        new CliError(`stack ${dev.stack} is not deployed in this account and region; deploy it with: npx cdk deploy -c env=dev`),
      );
    },
  );

  test('missing credentials are a clear error', async () => {
    const { clients, mocks, io } = setup();
    mocks.cloudformation
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    await expect(runRolloutCli(['status', '--env', 'prod'], clients, io)).rejects.toThrow(/no AWS credentials found; set AWS_PROFILE/);
  });
});

describe('arguments', () => {
  // This repository's cdk.json, which the CLI reads unless told otherwise: every environment it declares is listed.
  const declared = `declared environments: ${[...projectEnvironments().environments.keys()].join(', ')}`;
  test.each([
    [['status'], new RegExp(`^--env is required; ${declared}$`)],
    [['status', '--env', 'staging'], new RegExp(`^unknown environment "staging"; ${declared} \\(declare others in cdk\\.json's boop:environments`)],
    [['status', '--env='], new RegExp(`^unknown environment ""; ${declared} \\(`)],
    [
      ['deploy', '--env', 'prod'],
      /^unknown command "deploy"; the commands are status, plan, promote, rollback, pause, resume, drill, rehearse \(npm run rollout -- --help\)$/,
    ],
    [['toString', '--env', 'prod'], /^unknown command "toString"; the commands are status, plan, promote, rollback, pause, resume, drill/],
    [[], /^no command given; the commands are status, plan, promote, rollback, pause, resume, drill, rehearse \(npm run rollout -- --help\)$/],
    [
      ['--env', 'prod', 'status'],
      /^the command comes first, before "--env"; the commands are status, plan, promote, rollback, pause, resume, drill, rehearse \(npm run rollout -- --help\)$/,
    ],
    [
      ['help', 'deploy'],
      /^help takes one command, not "deploy"; the commands are status, plan, promote, rollback, pause, resume, drill, rehearse \(npm run rollout -- --help\)$/,
    ],
    [['rollback', '--env', 'prod'], /^rollback needs --reason "<why>"; it is recorded in the traffic state and the page$/],
    [['pause', '--env', 'prod'], /^pause needs --reason "<why>"; it is recorded in the traffic state and the notice$/],
    [['pause', '--env', 'prod', '--reason', ' '], /^pause needs --reason "<why>"/],
    [['resume', '--env', 'prod', '--reason', ' '], /^resume --reason needs a reason, --reason "<why>"; or leave --reason out$/],
    [['resume', '--env', 'prod', '--yes'], /^unknown option "--yes"; resume takes --env, --reason and --help \(npm run rollout -- resume --help\)$/],
    [['rollback', '--env', 'prod', '--reason', '  '], /^rollback needs --reason "<why>"/],
    [['status', '--env', 'prod', '--force'], /^unknown option "--force"; status takes --env and --help \(npm run rollout -- status --help\)$/],
    [['status', '--env', 'prod', '--reason', 'x'], /^unknown option "--reason"; status takes --env and --help \(npm run rollout -- status --help\)$/],
    [['rollback', '--env', 'prod', '-f'], /^unknown option "-f"; rollback takes --env, --reason and --help \(npm run rollout -- rollback --help\)$/],
    [['status', '--env'], /^--env needs a value: --env <env> \(npm run rollout -- status --help\)$/],
    [['rollback', '--env', '--reason', 'x'], /^--env needs a value: --env <env> \(npm run rollout -- rollback --help\)$/],
    [['rollback', '--env', 'prod', '--reason'], /^--reason needs a value: --reason "<why>" \(npm run rollout -- rollback --help\)$/],
    [['drill', '--env', 'dev', '--production-drill=yes'], /^--production-drill takes no value \(npm run rollout -- drill --help\)$/],
    [['status', 'prod'], /^unexpected argument "prod"; status takes options only \(npm run rollout -- status --help\)$/],
    [['drill', '--env', 'prod'], /^a drill rolls production traffic back to blue; to do that on purpose, add --production-drill$/],
    [['plan', '--env', 'prod'], /^plan needs --green-percent <0\.\.100>: the GreenPercent the deploy would ask for$/],
    [['plan', '--env', 'prod', '--green-percent', '101'], /^--green-percent must be a whole number from 0 to 100, got "101"$/],
    [['plan', '--env', 'prod', '--green-percent', '2.5'], /^--green-percent must be a whole number from 0 to 100, got "2\.5"$/],
    [['plan', '--env', 'prod', '--green-percent=-5'], /^--green-percent must be a whole number from 0 to 100, got "-5"$/],
    [['plan', '--env', 'prod', '--green-percent', 'five'], /^--green-percent must be a whole number from 0 to 100, got "five"$/],
    [
      ['plan', '--env', 'prod', '--green-percent', '-5'],
      /^--green-percent needs a value: --green-percent <0\.\.100>; a value that starts with "-" is written --green-percent=-5 \(/,
    ],
    [
      ['plan', '--env', 'prod', '--green-percent', '0', '--green-image', 'Boop Integration:3'],
      /^--green-image "Boop Integration:3": must be a container image reference \(registry\/repository:tag or @sha256:digest\); CloudFormation would refuse it as GreenImage$/,
    ],
    [
      ['plan', '--env', 'prod', '--green-percent', '0', '--blue-image', 'registry.example/boop-integration'],
      /^--blue-image "registry.example\/boop-integration": needs a tag or digest: pin one \(:<tag> or @sha256:<digest>\)/,
    ],
    [
      ['plan', '--env', 'prod', '--green-percent', '0', '--override', ' '],
      /^--override needs a reason of 1\.\.\d+ characters, as -c rolloutOverride takes it: --override "<reason>"$/,
    ],
    [
      ['plan', '--env', 'prod', '--green-percent', '0', '--yes'],
      /^unknown option "--yes"; plan takes --env, --green-percent, --green-image, --blue-image, --override and --help/,
    ],
    [['promote', '--env', 'prod', '--yes=no'], /^--yes takes no value \(npm run rollout -- promote --help\)$/],
    [['promote', '--env', 'prod', '--green-percent', '0'], /^unknown option "--green-percent"; promote takes --env, --yes and --help/],
    // A repeated option is refused, not resolved to one of its values: the operator meant one environment.
    [['rollback', '--env', 'prod', '--env', 'dev', '--reason', 'x'], /^--env is given more than once; give it once \(npm run rollout -- rollback --help\)$/],
    [['rollback', '--env=dev', '--reason', 'x', '--env', 'prod'], /^--env is given more than once/],
    [['rollback', '--env', 'prod', '--reason', 'a', '--reason=b'], /^--reason is given more than once/],
    [
      ['rollback', '--env', 'prod', '--reason', '-5xx spike'],
      /^--reason needs a value: --reason "<why>"; a value that starts with "-" is written --reason=-5xx spike \(/,
    ],
  ])('%j is refused in one line before any AWS call', async (argv, message) => {
    const { clients, mocks, io } = setup();
    const error = await runRolloutCli(argv, clients, io).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toMatch(message);
    expect(failureLine(error)).toMatch(/^rollout: [^\n]+$/);
    for (const mock of Object.values(mocks)) expect(mock.calls()).toHaveLength(0);
  });

  test.each([
    [['--help'], USAGE],
    [['-h'], USAGE],
    [['help'], USAGE],
    [['help', 'rollback'], commandUsage('rollback')],
    [['rollback', '--help'], commandUsage('rollback')],
    [['status', '-h'], commandUsage('status')],
    [['drill', '--env', 'prod', '-h'], commandUsage('drill')],
    [['plan', '--help'], commandUsage('plan')],
    [['help', 'promote'], commandUsage('promote')],
    // Help wins over a mistake on the same line.
    [['status', '--force', '--help'], commandUsage('status')],
    [['drill', '--env', 'staging', '--help'], commandUsage('drill')],
    [['help', 'status', '--help'], commandUsage('status')],
  ])('%j prints the usage and calls nothing', async (argv, usage) => {
    const { clients, mocks, io, lines } = setup();
    await runRolloutCli(argv, clients, io);
    expect(lines).toEqual([usage]);
    for (const mock of Object.values(mocks)) expect(mock.calls()).toHaveLength(0);
  });

  test("the overview names every command; each command's usage names its options", () => {
    expect(USAGE).toMatch(/^usage: npm run rollout -- <command> --env <env> \[options\]\n/);
    for (const command of COMMANDS) expect(USAGE).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expect(USAGE).toMatch(/waits out a busy\s+controller for about two minutes/);
    expect(commandUsage('status')).toMatch(/^usage: npm run rollout -- status --env <env>\n/);
    expect(commandUsage('rollback')).toMatch(/^usage: npm run rollout -- rollback --env <env> --reason "<why>"\n/);
    expect(commandUsage('drill')).toMatch(/^usage: npm run rollout -- drill --env <env> \[--production-drill\]\n/);
    expect(commandUsage('drill')).toMatch(/^ {2}--production-drill +allow the drill in an environment bound to BOOP production/m);
    expect(commandUsage('plan')).toMatch(/^usage: npm run rollout -- plan --env <env> --green-percent <0\.\.100> \[options\]\n/);
    for (const option of ['--green-image <image>', '--blue-image <image>', '--override "<reason>"']) expect(commandUsage('plan')).toContain(`\n  ${option} `);
    expect(commandUsage('plan')).toMatch(/changes nothing/);
    expect(commandUsage('promote')).toMatch(/^usage: npm run rollout -- promote --env <env> \[--yes\]\n/);
    expect(commandUsage('promote')).toMatch(/^ {2}--yes +run the commands in order/m);
    expect(commandUsage('pause')).toMatch(/^usage: npm run rollout -- pause --env <env> --reason "<why>"\n/);
    expect(commandUsage('resume')).toMatch(/^usage: npm run rollout -- resume --env <env> \[--reason "<why>"\]\n/);
    for (const command of ['pause', 'resume'] as const) expect(commandUsage(command)).toMatch(/hands-free rollout/);
    for (const command of COMMANDS) expect(commandUsage(command)).toMatch(/^ {2}-h, --help +this text$/m);
  });

  test('--env=<name> and --reason=<why> are read like their spaced forms, a reason starting with "-" included', async () => {
    const { clients, mocks, io } = setup();
    mocks.lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify({ result: 'unchanged', message: 'blue alone already' })) as never });
    await runRolloutCli(['rollback', '--env=prod', '--reason=-5xx spike '], clients, io);
    const input = mocks.lambda.commandCalls(InvokeCommand)[0].args[0].input;
    expect(JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array))).toMatchObject({ reason: '-5xx spike' });
  });
});

/** The controller's Lambda endpoint, in process: the real SDK client, its retry strategy and all. */
function fakeLambda(answers: readonly ('busy' | 'broken' | { message: string })[]) {
  const at: number[] = [];
  const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}) => ({
    response: { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: new TextEncoder().encode(JSON.stringify(body)) },
  });
  const requestHandler = {
    handle: async () => {
      at.push(Date.now());
      const answer = answers[Math.min(at.length, answers.length) - 1];
      if (answer === 'busy')
        return json(
          429,
          { Type: 'User', message: 'Rate Exceeded.', Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' },
          { 'x-amzn-errortype': 'TooManyRequestsException' },
        );
      if (answer === 'broken') return json(500, { Type: 'Service', message: 'internal failure' }, { 'x-amzn-errortype': 'ServiceException' });
      return json(200, { result: 'changed', ...answer });
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
  } as unknown as CliClientOverrides['requestHandler'];
  const { lambda } = createCliClients({ region: 'eu-west-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, requestHandler });
  /** The waits between tries, in ms of fake time. */
  const waits = () => at.slice(1).map((t, i) => t - at[i]);
  return { lambda, tries: () => at.length, waits };
}

/** Runs the rollback with fake timers, so the SDK's back-off passes in no real time. */
async function rollbackWithFakeTimers(lambda: LambdaClient) {
  const { clients, io, lines } = setup();
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  try {
    let settled = false;
    const outcome = runRolloutCli(['rollback', '--env', 'prod', '--reason', 'INC-8'], { ...clients, lambda }, io)
      .then(
        () => undefined,
        (error: unknown) => error,
      )
      .finally(() => {
        settled = true;
      });
    // Ten minutes of fake time at most; the strategy's waits add up to two.
    for (let second = 0; second < 600 && !settled; second++) await jest.advanceTimersByTimeAsync(1000);
    return { error: await outcome, lines };
  } finally {
    jest.useRealTimers();
  }
}

const manualCommand = `aws elbv2 modify-listener --listener-arn ${SETTINGS.listenerArn} --default-actions '[{"Type":"forward","ForwardConfig":{"TargetGroups":[{"TargetGroupArn":"${SETTINGS.targetGroups.blue}","Weight":1}],"TargetGroupStickinessConfig":{"Enabled":false}}}]'`;

describe('rollback', () => {
  test('invokes the traffic controller with the reason and who asked', async () => {
    const { clients, mocks, io, lines } = setup();
    mocks.lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: new TextEncoder().encode(JSON.stringify({ result: 'changed', message: 'rolled back to blue in 412 ms' })) as never,
    });
    await runRolloutCli(['rollback', '--env', 'prod', '--reason', 'INC-7 payments failing'], clients, io);
    const input = mocks.lambda.commandCalls(InvokeCommand)[0].args[0].input;
    expect(input.FunctionName).toBe(outputs.controllerFunctionName);
    expect(JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array))).toEqual({
      action: MANUAL_ROLLBACK_ACTION,
      reason: 'INC-7 payments failing',
      requestedBy: CALLER,
    });
    expect(lines[0]).toBe('rollback (prod): rolled back to blue in 412 ms');
  });

  test("waits out a busy controller (concurrency 1) with the SDK's back-off and then rolls back", async () => {
    const controller = fakeLambda(['busy', 'busy', { message: 'rolled back to blue in 380 ms' }]);
    const { error, lines } = await rollbackWithFakeTimers(controller.lambda);
    expect(error).toBeUndefined();
    expect(controller.tries()).toBe(3);
    expect(controller.waits()).toEqual([1, 2].map(busyControllerBackoff));
    expect(lines[0]).toBe('rollback (prod): rolled back to blue in 380 ms');
  });

  test(`a controller busy for two minutes is tried ${BUSY_CONTROLLER_ATTEMPTS} times in all, then the command to move traffic by hand`, async () => {
    const controller = fakeLambda(['busy']);
    const { error } = await rollbackWithFakeTimers(controller.lambda);
    expect(controller.tries()).toBe(BUSY_CONTROLLER_ATTEMPTS);
    expect(controller.waits()).toEqual(Array.from({ length: BUSY_CONTROLLER_ATTEMPTS - 1 }, (_, i) => busyControllerBackoff(i + 1)));
    // The README's promise: it waits out a busy controller for about two minutes.
    expect(controller.waits().reduce((a, b) => a + b)).toBe(120_000);
    expect(failureLine(error)).toBe(
      `rollout: the traffic controller stayed busy for about two minutes (${BUSY_CONTROLLER_ATTEMPTS} tries); if it is urgent, move traffic by hand: ${manualCommand}`,
    );
  });

  test('any other Invoke failure is not retried and also ends in the command to move traffic by hand', async () => {
    const controller = fakeLambda(['broken']);
    const { error } = await rollbackWithFakeTimers(controller.lambda);
    expect(controller.tries()).toBe(1);
    expect(failureLine(error)).toBe(
      `rollout: AWS failed (ServiceException, HTTP 500); run the command again in a minute; if it is urgent, move traffic by hand: ${manualCommand}`,
    );
  });

  test("a controller failure is an error that says how to move traffic by hand, without the function's stack trace", async () => {
    const { clients, mocks, io } = setup();
    const body = {
      errorType: 'AccessDeniedException',
      errorMessage: 'denied',
      trace: ['AccessDeniedException: denied', '    at handler (/var/task/index.js:1:1)'],
    };
    mocks.lambda.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: new TextEncoder().encode(JSON.stringify(body)) as never });
    const error = await runRolloutCli(['rollback', '--env', 'prod', '--reason', 'x'], clients, io).catch((e: unknown) => e);
    expect(failureLine(error)).toBe(
      `rollout: the traffic controller could not roll back: AccessDeniedException: denied; if it is urgent, move traffic by hand: ${manualCommand}`,
    );
  });
});

/** The controller's answer to an Invoke, as Lambda returns it. */
const answering = (outcome: object) => ({ StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(outcome)) as never });

describe('pause and resume', () => {
  /** prod deployed with rollout.autoAdvance (the AutoAdvance output), or without. */
  function world(autoAdvance: boolean) {
    const setUp = setup();
    const extra: Record<string, string> = autoAdvance ? { [AUTO_ADVANCE_OUTPUT]: 'true' } : {};
    setUp.mocks.cloudformation.on(DescribeStacksCommand).resolves(describedStack({ [GREEN_PERCENT_PARAMETER]: '100' }, extra));
    return setUp;
  }

  const RESUMES = 'when the next step can come: npm run rollout -- status --env prod';
  test.each([
    [
      ['pause', '--env', 'prod', '--reason', 'INC-9: latency on green'],
      PAUSE_ACTION,
      'INC-9: latency on green',
      'no tick moves green until: npm run rollout -- resume --env prod',
    ],
    [['resume', '--env', 'prod', '--reason', 'INC-9 closed'], RESUME_ACTION, 'INC-9 closed', RESUMES],
    [['resume', '--env', 'prod'], RESUME_ACTION, RESUME_REASON, RESUMES],
  ])('%j invokes the traffic controller with the reason and who asked, and prints its answer and the target', async (argv, action, reason, next) => {
    const { clients, mocks, io, lines } = world(true);
    const message = `hands-free rollout ${action}d by ${CALLER}: ${reason}`;
    mocks.lambda.on(InvokeCommand).resolves(answering({ result: 'unchanged', greenPercent: 25, target: 100, message }));
    await runRolloutCli(argv, clients, io);
    const input = mocks.lambda.commandCalls(InvokeCommand)[0].args[0].input;
    expect(input).toMatchObject({ FunctionName: outputs.controllerFunctionName, InvocationType: 'RequestResponse' });
    expect(JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array))).toEqual({ action, reason, requestedBy: CALLER });
    expect(lines).toEqual([`${action} (prod): ${message}`, `green serves 25 %, target 100 %; ${next}`]);
  });

  test.each([
    ['at the target', { greenPercent: 100, target: 100 }],
    ['without a target yet', { greenPercent: 0 }],
  ])('a pause with no walk under way (%s) prints what the controller said, and that nothing walks', async (_case, where) => {
    const { clients, mocks, io, lines } = world(true);
    const message = 'no hands-free rollout is under way (no target above green)';
    mocks.lambda.on(InvokeCommand).resolves(answering({ result: 'unchanged', ...where, message }));
    await runRolloutCli(['pause', '--env', 'prod', '--reason', 'INC-9'], clients, io);
    expect(lines).toEqual([`pause (prod): ${message}`, `green serves ${where.greenPercent} %; no target above it, so there is nothing to walk`]);
  });

  test.each(['pause', 'resume'] as const)(
    '%s on a stack without the AutoAdvance output is refused, saying how to turn it on, and invokes nothing',
    async (command) => {
      const setUp = world(false);
      const error = await runRolloutCli([command, '--env', 'prod', '--reason', 'INC-9'], setUp.clients, setUp.io).catch((e: unknown) => e);
      expect(failureLine(error)).toBe(
        `rollout: prod has no hands-free rollout to ${command}: stack ${prod.stack} has no ${AUTO_ADVANCE_OUTPUT} output (rollout.autoAdvance is off), so green moves only when a deploy asks for a step. ` +
          `To turn it on, set cdk.json's boop:environments.prod.rollout.autoAdvance to true, then deploy: npx cdk deploy -c env=prod`,
      );
      // The one call is the stack's description, which says whether it is on.
      expect(callNames(setUp)).toEqual(['DescribeStacksCommand']);
    },
  );

  test('a controller that ignores the pause is an error: nothing was paused', async () => {
    const { clients, mocks, io, lines } = world(true);
    mocks.lambda.on(InvokeCommand).resolves(answering({ ignored: 'a pause, but rollout.autoAdvance is off' }));
    const error = await runRolloutCli(['pause', '--env', 'prod', '--reason', 'INC-9'], clients, io).catch((e: unknown) => e);
    expect(failureLine(error)).toBe(
      'rollout: the traffic controller ignored the pause (a pause, but rollout.autoAdvance is off); nothing was paused; run the command again, or take green\'s traffic away now: npm run rollout -- rollback --env prod --reason "<why>"',
    );
    expect(lines).toEqual([]);
  });

  test.each([
    ['pause', 'nothing was paused; run the command again, or take green\'s traffic away now: npm run rollout -- rollback --env prod --reason "<why>"'],
    ['resume', 'nothing was resumed; run the command again'],
  ] as const)('a %s the controller could not carry out, which it answers rather than fail, is one line saying nothing was done', async (command, fallback) => {
    const { clients, mocks, io, lines } = world(true);
    // The controller itself answers the Invoke, over an AWS whose traffic state cannot be read.
    const aws = new FakeAws({ handsFree: true });
    aws.failures.set('GetParameter', Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const deps = aws.routeDeps(
      aws.controller(() => NOW),
      async () => {},
    );
    mocks.lambda.on(InvokeCommand).callsFake(async (input) => answering(await route(JSON.parse(new TextDecoder().decode(input.Payload)), deps)));
    const error = await runRolloutCli([command, '--env', 'prod', '--reason', 'INC-9'], clients, io).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect(failureLine(error)).toBe(
      `rollout: the traffic controller could not ${command} the hands-free rollout (the ${command} failed: ThrottlingException: Rate exceeded); ${fallback}`,
    );
    expect(lines).toEqual([]);
  });

  test("a controller failure is one line without the function's stack trace", async () => {
    const { clients, mocks, io } = world(true);
    const body = {
      errorType: 'Error',
      errorMessage: 'the traffic state parameter is not JSON',
      trace: ['Error: x', '    at handler (/var/task/index.js:1:1)'],
    };
    mocks.lambda.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: new TextEncoder().encode(JSON.stringify(body)) as never });
    const error = await runRolloutCli(['resume', '--env', 'prod'], clients, io).catch((e: unknown) => e);
    expect(failureLine(error)).toBe(
      'rollout: the traffic controller could not resume the hands-free rollout: Error: the traffic state parameter is not JSON; nothing was resumed; run the command again',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// A hands-free rollout's status and plan: records made by the controller's own decisions (HandsFreeLadder).

const HOUR = 3_600_000;
const MINUTE = 60_000;
const TICK = TICK_INTERVAL_MINUTES * MINUTE;
const REGISTRY = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/boop-integration';
const IMAGES = { blue: `${REGISTRY}:3.0.0`, green: `${REGISTRY}:3.1.0` };
/** Day 0 of a hands-free rollout: off the tick grid, so a bake ends between two ticks. */
const DAY0 = new Date('2026-11-23T09:05:00.000Z');
const dayAt = (days: number, hours = 0, minutes = 0) => new Date(DAY0.getTime() + days * 24 * HOUR + hours * HOUR + minutes * MINUTE);
const { steps: STEPS, bakeTimeHours: BAKE_HOURS } = SETTINGS.policy;
const [FIRST, SECOND] = STEPS;

/** What `rollout status` shows where the ladder stands: its rows by label, each row's lines. */
async function statusRows(ladder: HandsFreeLadder, autoAdvance = true): Promise<{ lines: string[]; rows: Map<string, string[]> }> {
  const world = setup(ladder.now);
  standAt(world, { ...ladder.stand(), autoAdvance });
  await runRolloutCli(['status', '--env', 'prod'], world.clients, world.io);
  const rows = new Map<string, string[]>();
  let label = '';
  for (const line of world.lines.slice(1)) {
    label = line.slice(2, 18).trim() || label;
    rows.set(label, [...(rows.get(label) ?? []), line.slice(19)]);
  }
  return { lines: world.lines, rows };
}

/** A ladder whose deploy of GreenPercent=`target` on day 0 was accepted. */
function deployed(target = 100): HandsFreeLadder {
  const ladder = new HandsFreeLadder(DAY0, IMAGES);
  ladder.deploy(target);
  return ladder;
}

describe('status of a hands-free rollout (rollout.autoAdvance)', () => {
  test("walking, waiting for the bake: the target, the live step, the first tick after the bake's end, and why it waits", async () => {
    const ladder = deployed();
    ladder.tickUntil(dayAt(0, 2));
    const { rows } = await statusRows(ladder);
    const bakeEnds = bakeEndsAt(ladder.state, ladder.policy);
    expect(bakeEnds).toEqual(dayAt(0, BAKE_HOURS));
    expect(rows.get('step')).toEqual([
      expect.stringMatching(new RegExp(`^${FIRST} % \\(steps ${STEPS.join(', ')}\\), since ${DAY0.toISOString()}, 2 h 0 min of`)),
    ]);
    expect(rows.get('target')).toEqual([`100 %, a step at a time from green's ${FIRST} % (rollout.autoAdvance)`]);
    expect(rows.get('next advance')).toEqual([
      `${SECOND} % at the first tick after ${bakeEnds.toISOString()} (the bake's end, in ${BAKE_HOURS - 2} h 0 min; ticks every ${TICK_INTERVAL_MINUTES} min), if a deploy of ${SECOND} % would be accepted then`,
    ]);
    // The first tick after the deploy recorded why it waits; the later ones, with the same reason, did not rewrite it.
    const firstTick = new Date(Math.ceil(DAY0.getTime() / TICK) * TICK).toISOString();
    expect(rows.get('waiting')).toEqual([
      `${firstTick} by ${HANDS_FREE_BY}: the bake at ${FIRST} % is over at ${bakeEnds.toISOString()}; then green moves to ${SECOND} %`,
    ]);
    // The ticks take the steps: no row says when a deploy may.
    expect(rows.has('next step')).toBe(false);
    expect(rows.has('stopped')).toBe(false);
  });

  test('the bake over and no tick yet: the next tick, which then takes the step', async () => {
    const ladder = deployed();
    const bakeEnds = dayAt(0, BAKE_HOURS);
    // Day 0 started 5 min after a tick, so the bake ends 10 min before the next.
    ladder.tickUntil(new Date(bakeEnds.getTime() + MINUTE));
    expect(ladder.share).toBe(FIRST);
    const { rows } = await statusRows(ladder);
    expect(rows.get('next advance')).toEqual([
      `${SECOND} % at the next tick (ticks every ${TICK_INTERVAL_MINUTES} min), if a deploy of ${SECOND} % would be accepted then`,
    ]);
    ladder.tickUntil(new Date(ladder.now.getTime() + TICK));
    expect(ladder.share).toBe(SECOND);
  });

  test('stopped by a pause: who paused, when and why; no advance until resume', async () => {
    const ladder = deployed();
    ladder.tickUntil(dayAt(0, 3));
    ladder.pause('INC-9: latency on green');
    const pausedAt = ladder.now.toISOString();
    ladder.tickUntil(dayAt(0, 4));
    const { rows } = await statusRows(ladder);
    expect(rows.get('stopped')).toEqual([
      `${pausedAt} by ${CALLER}: paused: INC-9: latency on green`,
      `green stays at ${FIRST} % until resume, or a deploy that raises the target`,
    ]);
    expect(rows.get('next advance')).toEqual([
      `none while stopped; after npm run rollout -- resume --env prod, at a tick when a deploy of ${SECOND} % would be accepted`,
    ]);
    expect(rows.has('waiting')).toBe(false);
  });

  test('stopped by a failed check: the step the tick would not take, and the policy’s reason', async () => {
    const ladder = deployed();
    ladder.evidence = { ...CLEAN, greenHealthyTargets: 0 };
    ladder.tickUntil(dayAt(0, BAKE_HOURS + 1));
    const { rows } = await statusRows(ladder);
    const stopped = ladder.state.handsFree!.stopped!;
    expect(stopped.by).toBe(HANDS_FREE_BY);
    expect(rows.get('stopped')).toEqual([
      expect.stringMatching(
        new RegExp(`^${stopped.at} by ${HANDS_FREE_BY.replace(/[()]/g, '\\$&')}: the step to ${SECOND} % would be refused: .*green has no healthy target`),
      ),
      `green stays at ${FIRST} % until resume, or a deploy that raises the target`,
    ]);
    expect(rows.get('next advance')?.[0]).toMatch(/^none while stopped; after npm run rollout -- resume --env prod/);
  });

  test('stopped by a deploy that lowered the target', async () => {
    const ladder = deployed();
    // After the bake at the first step, before the tick takes the next one.
    ladder.tickUntil(new Date(dayAt(0, BAKE_HOURS).getTime() + MINUTE));
    ladder.deploy(STEPS[2]);
    const { rows } = await statusRows(ladder);
    // A lower target never moves green up: it stops the walk where green is.
    expect(rows.get('target')).toEqual([`${STEPS[2]} %, a step at a time from green's ${FIRST} % (rollout.autoAdvance)`]);
    expect(rows.get('stopped')).toEqual([
      `${ladder.now.toISOString()} by CloudFormation stack ${prod.stack}: a deploy lowered the target from 100 % to ${STEPS[2]} %`,
      `green stays at ${FIRST} % until resume, or a deploy that raises the target`,
    ]);
  });

  test('a rollback not yet acknowledged voids the target', async () => {
    const ladder = deployed();
    ladder.tickUntil(dayAt(1, 2));
    expect(ladder.share).toBe(SECOND);
    ladder.rollBack('PAYMENT_ERROR_RATE-green in ALARM');
    ladder.tickUntil(dayAt(1, 3));
    const { rows } = await statusRows(ladder);
    expect(rows.get('target')).toEqual(['100 %, void until the rollback is acknowledged']);
    expect(rows.get('next advance')).toEqual([`none: acknowledge the rollback with a deploy of ${GREEN_PERCENT_PARAMETER}=0, then deploy the target again`]);
    expect(rows.get('last rollback')?.[0]).toMatch(/NOT acknowledged$/);
  });

  test.each([
    [100, 'none: promote after the bake: npm run rollout -- promote --env prod'],
    [SECOND, `none: a deploy of a higher ${GREEN_PERCENT_PARAMETER} starts a new walk`],
  ])('the target %i % reached: nothing to walk', async (target, next) => {
    const ladder = deployed(target);
    ladder.tickUntil(dayAt(STEPS.length, 1));
    expect(ladder.share).toBe(target);
    const { rows } = await statusRows(ladder);
    expect(rows.get('target')).toEqual([`${target} %, reached`]);
    expect(rows.get('next advance')).toEqual([next]);
  });

  test('without a hands-free rollout, status is unchanged: a target in the record of a stack without AutoAdvance, or AutoAdvance with no target yet', async () => {
    const ladder = deployed();
    ladder.tickUntil(dayAt(0, 2));
    const plain = deployed();
    plain.tickUntil(dayAt(0, 2));
    plain.state = { ...plain.state, handsFree: undefined };
    const before = (await statusRows(plain, false)).lines;
    expect(before.join('\n')).toMatch(/^ {2}next step +/m);
    expect((await statusRows(ladder, false)).lines).toEqual(before);
    expect((await statusRows(plain, true)).lines).toEqual(before);
  });

  test('what status says of the next advance is what the ticks then do, after any sequence of deploys, ticks, pauses, resumes, rollbacks and failed checks', async () => {
    const event = fc.oneof(
      fc.record({ kind: fc.constant('deploy' as const), percent: fc.constantFrom(0, ...STEPS) }),
      fc.record({ kind: fc.constant('time' as const), minutes: fc.integer({ min: 1, max: 36 * 60 }) }),
      fc.record({ kind: fc.constantFrom('pause' as const, 'resume' as const, 'rollback' as const, 'unhealthy' as const, 'healthy' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(event, { maxLength: 12 }), async (events) => {
        const ladder = new HandsFreeLadder(DAY0, IMAGES);
        for (const e of events) {
          if (e.kind === 'deploy') {
            try {
              ladder.deploy(e.percent);
            } catch {
              // A refused deploy changes nothing.
            }
          } else if (e.kind === 'time') ladder.tickUntil(new Date(ladder.now.getTime() + e.minutes * MINUTE));
          else if (e.kind === 'pause') ladder.pause('INC-9');
          else if (e.kind === 'resume') ladder.resume();
          else if (e.kind === 'rollback') {
            if (ladder.share > 0) ladder.rollBack('PAYMENT_ERROR_RATE-green in ALARM');
          } else ladder.evidence = { ...CLEAN, greenHealthyTargets: e.kind === 'healthy' ? CLEAN.greenHealthyTargets : 0 };
        }
        const { rows } = await statusRows(ladder);
        const said = rows.get('next advance')?.[0];
        if (!ladder.state.handsFree) return expect(said).toBeUndefined();
        // From here every check passes: what status promised is what the ticks do.
        ladder.evidence = CLEAN;
        const from = ladder.share;
        const at = /^(\d+) % at the (?:next tick|first tick after (\S+) )/.exec(said!);
        if (!at) {
          expect(said).toMatch(/^none/);
          ladder.tickUntil(new Date(ladder.now.getTime() + 3 * 24 * HOUR));
          expect(ladder.share).toBe(from);
          return;
        }
        const [, next, after] = at;
        expect(Number(next)).toBe(nextStep(from, ladder.policy));
        if (after !== undefined) {
          ladder.tickUntil(new Date(Date.parse(after) - 1));
          expect(ladder.share).toBe(from);
        }
        ladder.tickUntil(new Date(ladder.now.getTime() + TICK));
        expect(ladder.share).toBe(Number(next));
      }),
      { numRuns: numRuns(40) },
    );
  });
});

describe('plan for a hands-free target', () => {
  /** `rollout plan` of GreenPercent=`percent` where the ladder stands: its rows, and its failure. */
  async function planAt(ladder: HandsFreeLadder, percent: number, autoAdvance = true) {
    const world = setup(ladder.now);
    standAt(world, { ...ladder.stand(), autoAdvance });
    const error = await runRolloutCli(['plan', '--env', 'prod', '--green-percent', String(percent)], world.clients, world.io).catch((e: unknown) => e);
    const text = world.lines.join('\n');
    for (const name of callNames(world)) expect(name).toMatch(/^(Describe|Get|List)\w+Command$/);
    return { text, error };
  }

  test('accepted: the first step green moves to, then the ticks walk on to the target', async () => {
    const ladder = new HandsFreeLadder(DAY0, IMAGES);
    const { text, error } = await planAt(ladder, 100);
    expect(error).toBeUndefined();
    expect(text).toMatch(/^ {2}verdict +accepted$/m);
    expect(text).toContain(`green 0 % → ${FIRST} % (rollout step 0 → ${FIRST})`);
    expect(text).toMatch(/ 3\. then the ticks walk green on to 100 %, a step at a time, each once a deploy of that step would be accepted/);
    expect(text).toContain(`npx cdk deploy -c env=prod --parameters ${GREEN_PERCENT_PARAMETER}=100`);
    // The deploy then does what the plan said.
    ladder.deploy(100);
    expect([ladder.share, ladder.state.handsFree?.target]).toEqual([FIRST, 100]);
  });

  test("refused: the first step's reason, as the deploy would fail with it", async () => {
    const ladder = deployed(FIRST);
    ladder.tickUntil(dayAt(0, 2));
    const { text, error } = await planAt(ladder, 100);
    expect(failureLine(error)).toBe('rollout: plan: the deploy would be refused; the plan on stdout says why and what to do instead');
    expect(text).toMatch(
      new RegExp(
        `^ {2}why +${GREEN_PERCENT_PARAMETER}=100 is a target \\(rollout\\.autoAdvance\\), and its first step is refused: ${GREEN_PERCENT_PARAMETER}=${SECOND} refused \\(green stays at ${FIRST} %\\): the bake at ${FIRST} % .* is not over`,
        'm',
      ),
    );
    expect(() => ladder.deploy(100)).toThrow(/is a target \(rollout\.autoAdvance\), and its first step is refused/);
  });

  test('the target the walk already has: green stays where the ticks put it, and they walk on', async () => {
    const ladder = deployed();
    ladder.tickUntil(dayAt(1, 2));
    const { text, error } = await planAt(ladder, 100);
    expect(error).toBeUndefined();
    expect(text).toContain(`${GREEN_PERCENT_PARAMETER}=100: the target stays at 100 %; green serves ${SECOND} % and the hands-free rollout walks on`);
    expect(text).toMatch(/then the ticks walk green on to 100 %/);
  });

  test('a lower target: green stays where it is, and the walk stops until resume', async () => {
    const ladder = deployed();
    ladder.tickUntil(new Date(dayAt(0, BAKE_HOURS).getTime() + MINUTE));
    const { text } = await planAt(ladder, STEPS[2]);
    expect(text).not.toContain(`green ${FIRST} % → ${SECOND} %`);
    expect(text).toContain(
      `the hands-free rollout stays stopped at ${FIRST} % (a deploy lowered the target from 100 % to ${STEPS[2]} %) until npm run rollout -- resume`,
    );
  });

  test('the same deploy on a stack without AutoAdvance is judged as a single step', async () => {
    const { text, error } = await planAt(new HandsFreeLadder(DAY0, IMAGES), 100, false);
    expect(error).toBeInstanceOf(CliError);
    expect(text).toMatch(new RegExp(`why +${GREEN_PERCENT_PARAMETER}=100 refused \\(green stays at 0 %\\): green rises one step at a time`));
    expect(text).not.toMatch(/ticks/);
  });
});

describe('a failure is one line saying what to do', () => {
  const sdkError = (name: string, message: string, extra: object = {}) => Object.assign(new Error(message), { name, ...extra });
  const network = (code: string, message: string, extra: object = {}) => Object.assign(new Error(message), { code, $metadata: { attempts: 3 }, ...extra });

  test.each([
    [
      'InvalidClientTokenId',
      sdkError('InvalidClientTokenId', 'The security token included in the request is invalid.'),
      /^AWS does not recognise your access key \(InvalidClientTokenId\); check AWS_PROFILE or AWS_ACCESS_KEY_ID.*log in again$/,
    ],
    [
      'UnrecognizedClientException',
      sdkError('UnrecognizedClientException', 'The security token included in the request is invalid.'),
      /^AWS does not recognise your access key \(UnrecognizedClientException\)/,
    ],
    [
      'SignatureDoesNotMatch',
      sdkError('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.'),
      /^AWS rejected the request signature \(SignatureDoesNotMatch\).*check AWS_SECRET_ACCESS_KEY/,
    ],
    [
      'InvalidSignatureException',
      sdkError('InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.'),
      /^AWS rejected the request signature \(InvalidSignatureException\)/,
    ],
    [
      'an expired signature',
      sdkError('InvalidSignatureException', 'Signature expired: 20261121T110000Z is now earlier than 20261121T115500Z'),
      /^AWS says the request signature expired.*set your computer's clock right/,
    ],
    [
      'ExpiredToken',
      sdkError('ExpiredToken', 'The security token included in the request is expired'),
      /^your AWS session has expired \(ExpiredToken\); log in again/,
    ],
    [
      'ExpiredTokenException',
      sdkError('ExpiredTokenException', 'The security token included in the request is expired'),
      /^your AWS session has expired \(ExpiredTokenException\)/,
    ],
    [
      'an expired SSO login',
      sdkError('CredentialsProviderError', 'The SSO session associated with this profile has expired or is otherwise invalid.'),
      /^your AWS session has expired.*aws sso login/,
    ],
    [
      'AccessDenied',
      sdkError('AccessDenied', 'User: arn:aws:sts::111122223333:assumed-role/ops/alice is not authorized to perform: cloudformation:DescribeStacks'),
      /^AWS refused \(AccessDenied\): User: .* is not authorized to perform: cloudformation:DescribeStacks; use credentials of a role that may do this$/,
    ],
    [
      'AccessDeniedException',
      sdkError('AccessDeniedException', 'not authorized to perform: lambda:InvokeFunction'),
      /^AWS refused \(AccessDeniedException\): not authorized to perform: lambda:InvokeFunction/,
    ],
    [
      'ENOTFOUND',
      network('ENOTFOUND', 'getaddrinfo ENOTFOUND cloudformation.eu-nowhere-1.amazonaws.com', { hostname: 'cloudformation.eu-nowhere-1.amazonaws.com' }),
      /^cannot resolve cloudformation\.eu-nowhere-1\.amazonaws\.com \(ENOTFOUND, 3 tries\); check that AWS_REGION/,
    ],
    [
      'ECONNREFUSED (both address families)',
      Object.assign(new AggregateError([network('ECONNREFUSED', 'connect ECONNREFUSED ::1:4566', { address: '::1', port: 4566 })], ''), {
        code: 'ECONNREFUSED',
      }),
      /^nothing accepts connections at ::1:4566 \(ECONNREFUSED\); check your network/,
    ],
    [
      'ECONNRESET',
      network('ECONNRESET', 'socket hang up', { name: 'TimeoutError' }),
      /^the connection to AWS was cut \(ECONNRESET, 3 tries\); check your network, VPN or proxy/,
    ],
    [
      'ETIMEDOUT connecting',
      network('ETIMEDOUT', 'connect ETIMEDOUT 52.95.0.1:443', { name: 'TimeoutError' }),
      /^could not connect to AWS \(timeout, 3 tries\); check your network/,
    ],
    [
      'a connection timeout',
      network('', '@smithy/node-http-handler - the request socket did not establish a connection with the server within the configured timeout of 3000 ms.', {
        name: 'TimeoutError',
      }),
      /^could not connect to AWS within 3 s \(timeout, 3 tries\)/,
    ],
    [
      'a request timeout',
      network('ETIMEDOUT', '@smithy/node-http-handler - [ERROR] a request has exceeded the configured 5000 ms requestTimeout.', { name: 'TimeoutError' }),
      /^AWS did not answer within 5 s \(timeout, 3 tries\); check your network/,
    ],
    ['an aborted request', sdkError('AbortError', 'Request aborted'), /^the request to AWS was aborted \(Request aborted\); run the command again$/],
    [
      'throttling',
      sdkError('ThrottlingException', 'Rate exceeded', { $metadata: { httpStatusCode: 400, attempts: 3 } }),
      /^AWS throttled the calls \(ThrottlingException, 3 tries\); wait a minute/,
    ],
    [
      'a bug',
      new TypeError("Cannot read properties of undefined (reading 'Arn')"),
      /^unexpected error TypeError: Cannot read properties of undefined \(reading 'Arn'\); run the command again, and if it repeats, report this line/,
    ],
    ['something thrown that is no Error', 'boom', /^unexpected error Error: boom;/],
  ])('%s', (_, error, hint) => {
    const line = failureLine(error);
    expect(line).toMatch(/^rollout: [^\n]+$/);
    expect(line.slice('rollout: '.length)).toMatch(hint);
  });

  test('a message over several lines becomes one', () => {
    expect(failureLine(new CliError('first\n  second'))).toBe('rollout: first; second');
  });

  test('no access key id or secret reaches the line', () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzSECRET';
    const saved = process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_SECRET_ACCESS_KEY = secret;
    try {
      const line = failureLine(sdkError('SomethingNewException', `Credential=AKIAIOSFODNN7EXAMPLE/20261121/eu-west-1/sts/aws4_request, key ${secret}`));
      expect(line).not.toContain('AKIAIOSFODNN7EXAMPLE');
      expect(line).not.toContain(secret);
    } finally {
      if (saved === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      else process.env.AWS_SECRET_ACCESS_KEY = saved;
    }
  });
});

describe('drill', () => {
  test("its alarm is a rollback row's alarm on green, one the automatic rollback listens to", () => {
    const row = THRESHOLDS.find((r) => dev.alarm(r.name, 'green') === drillAlarmName('dev'));
    expect(row).toMatchObject({ rollsGreenBack: true, scope: expect.stringMatching(/^slot/) });
  });

  test('refuses production without --production-drill, before reading the stack', async () => {
    const { clients, mocks, io } = setup();
    await expect(runRolloutCli(['drill', '--env', 'prod'], clients, io)).rejects.toThrow(/--production-drill/);
    expect(mocks.cloudformation.calls()).toHaveLength(0);
    expect(mocks.cloudwatch.calls()).toHaveLength(0);
  });

  test('sets the green alarm to ALARM, waits for blue alone and prints the measured time', async () => {
    const { clients, mocks, io, lines } = setup();
    mocks.elb.on(DescribeListenersCommand).resolvesOnce(listenerAt(5)).resolvesOnce(listenerAt(5)).resolvesOnce(listenerAt(5)).resolves(listenerAt(0));
    mocks.cloudwatch.on(SetAlarmStateCommand).resolves({});
    await runRolloutCli(['drill', '--env', 'dev'], clients, io);
    expect(mocks.cloudwatch.commandCalls(SetAlarmStateCommand)[0].args[0].input).toMatchObject({
      AlarmName: drillAlarmName('dev'),
      StateValue: 'ALARM',
      StateReason: `rollout drill by ${CALLER}`,
    });
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

  describe('production as cdk.json or the deployed stack says: a stale or edited binding never makes a production drill a casual one', () => {
    // staging as a team declares it, bound either way; its stack deployed with ConfirmProduction or without.
    const cases = (['development', 'production'] as const).flatMap((declared) =>
      [false, true].flatMap((deployedAsProduction) => [false, true].map((flag) => [declared, deployedAsProduction, flag] as const)),
    );

    test.each(cases)('declared %s, stack deployed as production: %s, --production-drill: %s', async (declared, deployedAsProduction, flag) => {
      const setUp = setup();
      const { clients, mocks, io } = setUp;
      mocks.cloudformation
        .on(DescribeStacksCommand)
        .resolves(describedStack({ [GREEN_PERCENT_PARAMETER]: '5', ...(deployedAsProduction ? { [CONFIRM_PRODUCTION_PARAMETER]: '****' } : {}) }));
      mocks.elb.on(DescribeListenersCommand).resolvesOnce(listenerAt(5)).resolves(listenerAt(0));
      mocks.cloudwatch.on(SetAlarmStateCommand).resolves({});
      const run = runRolloutCli(['drill', '--env', 'staging', ...(flag ? ['--production-drill'] : [])], clients, io, undefined, {
        environments: () => declare({ staging: declared }),
      });
      if ((declared === 'production' || deployedAsProduction) && !flag) {
        await expect(run).rejects.toThrow(/add --production-drill/);
        expect(callNames(setUp).filter((name) => !/^(Describe|Get|List)/.test(name))).toEqual([]);
      } else {
        await expect(run).resolves.toBeUndefined();
        expect(mocks.cloudwatch.commandCalls(SetAlarmStateCommand)).toHaveLength(1);
      }
    });

    test('a production stack declared development: the refusal says so, and how to set the binding right', async () => {
      const { clients, mocks, io } = setup();
      mocks.cloudformation.on(DescribeStacksCommand).resolves(describedStack({ [GREEN_PERCENT_PARAMETER]: '5', [CONFIRM_PRODUCTION_PARAMETER]: '****' }));
      mocks.elb.on(DescribeListenersCommand).resolves(listenerAt(5));
      const error = await runRolloutCli(['drill', '--env', 'staging'], clients, io, undefined, {
        environments: () => declare({ staging: 'development' }),
      }).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(CliError);
      expect(failureLine(error)).toBe(
        `rollout: stack ${environmentNames('staging').stack} is a production stack (deployed with the ${CONFIRM_PRODUCTION_PARAMETER} parameter) although cdk.json binds staging to BOOP development: ` +
          'a drill rolls production traffic back to blue; to do that on purpose, add --production-drill; ' +
          `before its next deploy, set cdk.json's boop:environments.staging.boopEnvironment to "production", as the stack is (see "Stack" in docs/preflight.md)`,
      );
      expect(mocks.cloudwatch.commandCalls(SetAlarmStateCommand)).toHaveLength(0);
    });
  });

  test('says so when the rollback never comes, bounded by its timeout', async () => {
    const { clients, mocks, io } = setup();
    mocks.elb.on(DescribeListenersCommand).resolves(listenerAt(5));
    mocks.cloudwatch.on(SetAlarmStateCommand).resolves({});
    await expect(runRolloutCli(['drill', '--env', 'dev'], clients, io)).rejects.toThrow(/the automatic rollback did not happen/);
  });
});
