/**
 * `npm run rollout -- rehearse`, offline, against the deploy simulator taught to break each assumption on
 * request (test/cli/rehearse-world.ts): what the report says, that the environment ends where it began,
 * the command lines of the deploys, a re-run after a kill or a Ctrl-C at every point, and the refusals.
 */
import { readFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { DescribeAlarmsCommand, GetMetricStatisticsCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { ASSUMPTION_IDS } from '../../common/assumptions';
import { runRolloutCli } from '../../cli/rollout';
import { commandUsage } from '../../cli/rollout-args';
import { progressPath, rehearse, RehearsalDeps, RehearsalOptions } from '../../cli/rehearse/rehearse';
import { boundMinutes, REHEARSAL_DEPLOYS, typicalMinutes } from '../../cli/rehearse/bounds';
import type { RehearsalReport } from '../../cli/rehearse/report';
import { SETTINGS } from '../traffic/fake-aws';
import { BREAKABLE, ENV, RehearsalWorld, SAMPLE_REPORT_PATH, sampleRehearsal, WorldOptions } from './rehearse-world';
import { setup } from './rollout-setup';
import { awsError } from '../support/aws-error';

const REPORT = 'report.json';
/** The index of each deploy a rehearsal runs. */
const EACH_DEPLOY = [...Array(REHEARSAL_DEPLOYS).keys()];

/** A rehearsal of the world, with a test's own deploy runner or Ctrl-C; the report saved to REPORT unless `options` say otherwise. */
async function rehearsed(
  world: RehearsalWorld,
  seams: Partial<Pick<RehearsalDeps, 'deploy' | 'interrupted'>> = {},
  options: RehearsalOptions = { reportPath: REPORT },
): Promise<RehearsalReport> {
  return rehearse({ clients: world.clients, io: world.io, deploy: world.deploy, files: world.files, interrupted: () => false, ...seams }, ENV, options);
}

async function freshWorld(options: WorldOptions = {}) {
  const world = await RehearsalWorld.create(options);
  return { world, before: world.standing() };
}

/** How many deploys run before each step starts: rise, refused rise, override, forced alarm (none), acknowledgement, resume. */
const DEPLOYS_BEFORE_STEP = [0, 1, 2, 3, 3, 4];

const outcomes = (report: RehearsalReport) => Object.fromEntries(report.assumptions.map((v) => [v.id, v.outcome]));
const [first, second, third] = SETTINGS.policy.steps;
const deployOf = (greenPercent: number, override?: string) => [
  'npx',
  'cdk',
  'deploy',
  '-c',
  `env=${ENV}`,
  ...(override ? ['-c', `rolloutOverride=${override}`] : []),
  '--parameters',
  `GreenPercent=${greenPercent}`,
];

describe('rehearse on an account where every assumption holds', () => {
  test('every line says held but the probe, which was not asked for; it ends where it began and saves what it printed', async () => {
    const { world, before, report } = await sampleRehearsal();
    expect(outcomes(report)).toEqual({
      ...Object.fromEntries(ASSUMPTION_IDS.map((id) => [id, 'held'])),
      'high-resolution-probe': 'could not be tried',
    });
    expect(world.standing()).toEqual(before);
    expect(report.endedAsBegan).toBe(true);
    expect(JSON.parse(world.fileSystem.get(SAMPLE_REPORT_PATH)!)).toEqual(report);
    expect(world.fileSystem.has(progressPath(ENV))).toBe(false);
    // Every stage measured but the one SetAlarmState skips.
    expect(report.times.map((t) => t.seconds === undefined)).toEqual([false, false, true]);
    expect(world.lines).toContain(`saved: ${SAMPLE_REPORT_PATH}`);
    // Who the page reached: the topic CloudWatch's action names, the controller's page and the alarm's own.
    expect(report.page).toEqual({ topicArn: SETTINGS.criticalTopicArn, published: 2, delivered: 4, failed: 0 });
  });

  test('the deploys are the cdk command lines it would run: rise, refused rise, override, acknowledgement, resume, back', async () => {
    const { world } = await freshWorld();
    await rehearsed(world);
    expect(world.argvs).toEqual([
      deployOf(first),
      deployOf(third),
      deployOf(second, `rehearsal of ${ENV}: GetTemplate mid-update`),
      deployOf(0),
      deployOf(first),
      deployOf(0),
    ]);
    // As many as --help's duration counts.
    expect(world.argvs).toHaveLength(REHEARSAL_DEPLOYS);
    // Before them, once: whether this checkout's template is the deployed one.
    expect(world.diffs).toEqual([['npx', 'cdk', 'diff', '-c', `env=${ENV}`, '--method', 'template', '--fail']]);
  });
});

describe.each(BREAKABLE)('rehearse where %s does not hold', (broken) => {
  test('the report says exactly that one did not hold, and the environment ends as it began', async () => {
    const { world, before } = await freshWorld({ breaks: new Set([broken]) });
    const report = await rehearsed(world);
    const notHeld = report.assumptions.filter((v) => v.outcome === 'did not hold').map((v) => v.id);
    expect(notHeld).toEqual([broken]);
    if (broken === 'green-capacity-tag-condition') {
      // No acknowledgement is recorded while the controller may not re-pin green: traffic and green's tasks are as found, and the report says what is left.
      expect({ ...world.standing(), greenPercentParameter: 0, rollbackUnacknowledged: false }).toEqual(before);
      expect(report.left).toEqual([
        expect.stringMatching(
          /^the deploy back to GreenPercent=0 was refused \(.*RegisterScalableTarget.*\); once the grant on green's capacity lets the controller re-pin it: npx cdk deploy/,
        ),
      ]);
      return;
    }
    expect(world.standing()).toEqual(before);
    // Only a stack stuck in UPDATE_ROLLBACK_FAILED is left, and the report says how to free it.
    if (broken === 'response-url-host')
      expect(report.left).toEqual([expect.stringMatching(/^stack \S+ is UPDATE_ROLLBACK_FAILED: aws cloudformation continue-update-rollback/)]);
    else expect(report.left).toEqual([]);
  });
});

describe('interrupted and run again', () => {
  test.each(EACH_DEPLOY)('killed during deploy %i: the next run puts it back, rehearses anew, and ends where it began', async (killAt) => {
    const { world, before } = await freshWorld({ killAtDeploy: killAt });
    // The killed run never goes on: its promise is left pending, as the process is gone.
    void rehearsed(world);
    await world.killed;
    expect(world.fileSystem.has(progressPath(ENV))).toBe(true);
    const report = await rehearsed(world);
    expect(world.lines).toContain(`rehearse: a rehearsal of ${ENV} was interrupted; putting the environment back first`);
    expect(report.assumptions.filter((v) => v.outcome === 'did not hold')).toEqual([]);
    expect(world.standing()).toEqual(before);
    expect(world.fileSystem.has(progressPath(ENV))).toBe(false);
  });

  test('killed, then the stack deployed by someone else: the progress file is refused as stale, naming it, changing nothing', async () => {
    const { world } = await freshWorld({ killAtDeploy: 2 });
    void rehearsed(world);
    await world.killed;
    await world.stack.deploy({ greenPercent: 0, override: '' });
    const deploys = world.argvs.length;
    const progress = world.fileSystem.get(progressPath(ENV));
    await expect(rehearsed(world)).rejects.toThrow(
      new RegExp(`^the stack was updated after the interrupted rehearsal of ${ENV}.*remove ${progressPath(ENV).replace(/\./g, '\\.')}, then run again$`),
    );
    expect(world.argvs.length).toBe(deploys);
    expect(world.fileSystem.get(progressPath(ENV))).toBe(progress);
  });

  test.each(EACH_DEPLOY)('Ctrl-C during deploy %i (cdk ends with 130): it stops after putting everything back', async (at) => {
    const { world, before } = await freshWorld();
    let pressed = false;
    const deploy = async (argv: readonly string[]) => {
      const code = await world.deploy(argv);
      if (world.argvs.length - 1 !== at) return code;
      pressed = true;
      return 130;
    };
    const report = await rehearsed(world, { deploy, interrupted: () => pressed }, {});
    expect(report.stopped).toBe('stopped by the operator (Ctrl-C)');
    expect(report.assumptions.filter((v) => v.outcome === 'did not hold')).toEqual([]);
    expect(world.standing()).toEqual(before);
    expect(world.fileSystem.has(progressPath(ENV))).toBe(false);
  });

  test.each([0, 1, 2, 3, 4, 5])('Ctrl-C before step %i: it stops after putting everything back', async (step) => {
    const { world, before } = await freshWorld();
    // The rehearsal asks at each step's start and after each deploy: step i starts at ask i + the deploys before it.
    const at = step + DEPLOYS_BEFORE_STEP[step];
    let asked = 0;
    let pressedWhen: { deploys: number; alarmForced: boolean } | undefined;
    const report = await rehearsed(world, {
      interrupted: () => {
        if (asked++ < at) return false;
        pressedWhen ??= { deploys: world.argvs.length, alarmForced: world.memberActions.length > 0 };
        return true;
      },
    });
    // It was pressed at that step's start: after the deploys before it, and after the forced alarm only for the last two.
    expect(pressedWhen).toEqual({ deploys: DEPLOYS_BEFORE_STEP[step], alarmForced: step >= 4 });
    expect(report.stopped).toBe('stopped by the operator (Ctrl-C)');
    expect(report.endedAsBegan).toBe(true);
    expect(report.assumptions.filter((v) => v.outcome === 'did not hold')).toEqual([]);
    expect(world.standing()).toEqual(before);
    // And a run after it rehearses from the start.
    expect(outcomes(await rehearsed(world))['get-template-mid-update']).toBe('held');
  });
});

test('AWS refusing a step stops the steps, and the environment is still put back, the report saying why', async () => {
  const { world, before } = await freshWorld();
  const send = world.clients.cloudwatch.send.bind(world.clients.cloudwatch);
  world.clients.cloudwatch.send = (async (command: Parameters<typeof send>[0]) => {
    if (command instanceof SetAlarmStateCommand) throw awsError('AccessDenied', 'not authorized to perform: cloudwatch:SetAlarmState');
    return send(command);
  }) as typeof send;
  const report = await rehearsed(world);
  expect(report.stopped).toMatch(/^stopped by an error: .*cloudwatch:SetAlarmState/);
  expect(report.assumptions.filter((v) => v.outcome === 'did not hold')).toEqual([]);
  expect(report.endedAsBegan).toBe(true);
  expect(world.standing()).toEqual(before);
});

test('a page that cannot be read (GetMetricStatistics denied) after a stop still puts the environment back, the report saying why', async () => {
  const { world, before } = await freshWorld();
  // The acknowledgement's cdk exits 1: the steps stop with green at 0 tasks and the rollback unacknowledged.
  const deploy = async (argv: readonly string[]) => (world.argvs.length === 3 ? (world.argvs.push([...argv]), 1) : await world.deploy(argv)) as number;
  const send = world.clients.cloudwatch.send.bind(world.clients.cloudwatch);
  world.clients.cloudwatch.send = (async (command: Parameters<typeof send>[0]) => {
    if (command instanceof GetMetricStatisticsCommand) throw awsError('AccessDenied', 'not authorized to perform: cloudwatch:GetMetricStatistics');
    return send(command);
  }) as typeof send;
  const report = await rehearsed(world, { deploy });
  expect(report.stopped).toBeDefined();
  expect(report.page).toBeUndefined();
  expect(report.pageNotRead).toMatch(/cloudwatch:GetMetricStatistics/);
  expect(report.endedAsBegan).toBe(true);
  expect(world.standing()).toEqual(before);
  expect(JSON.parse(world.fileSystem.get(REPORT)!)).toEqual(report);
});

test('a fault of the rehearsal itself is raised only once the environment is put back and the report printed', async () => {
  const { world, before } = await freshWorld();
  const deploy = async (argv: readonly string[]) => {
    // Once the alarm was forced, the acknowledgement's runner breaks in a way no AWS error explains.
    if (argv[2] === 'deploy' && world.argvs.length === 3) {
      world.argvs.push([...argv]);
      throw new TypeError('runner fault');
    }
    return world.deploy(argv);
  };
  await expect(rehearsed(world, { deploy })).rejects.toThrow(/^runner fault$/);
  expect(world.standing()).toEqual(before);
  expect(world.lines).toContain('ended where it began: blue alone, green restored, the stack parameters as found');
  expect(JSON.parse(world.fileSystem.get(REPORT)!).stopped).toMatch(/^stopped by an error: .*TypeError: runner fault/);
});

test.each(EACH_DEPLOY)('cdk failing before CloudFormation at deploy %i (expired login, another update): no verdict from an older update', async (at) => {
  const { world, before } = await freshWorld();
  let failed = false;
  const deploy = async (argv: readonly string[]) => {
    if (failed || argv[2] !== 'deploy' || world.argvs.length !== at) return world.deploy(argv);
    failed = true;
    world.argvs.push([...argv]);
    return 1;
  };
  const report = await rehearsed(world, { deploy });
  expect(report.stopped).toMatch(/: cdk failed before CloudFormation \(exit 1\)/);
  expect(report.assumptions.filter((v) => v.outcome === 'did not hold')).toEqual([]);
  // Only an update this rehearsal started may say the controller's answers reached CloudFormation.
  if (at === 0) expect(outcomes(report)['response-url-host']).toBe('could not be tried');
  if (at === 1) expect(outcomes(report)['rollback-update-events']).toBe('could not be tried');
  expect(report.endedAsBegan).toBe(true);
  expect(world.standing()).toEqual(before);
});

test("green's tasks not back after the acknowledgement: no resume raises traffic to it, and the report says what is left", async () => {
  const { world } = await freshWorld();
  const deploy = async (argv: readonly string[]) => {
    // From the acknowledgement on, ECS cannot start green's tasks.
    if (world.argvs.length === 3) world.greenTasksStart = false;
    return world.deploy(argv);
  };
  const report = await rehearsed(world, { deploy });
  expect(report.assumptions.find((v) => v.id === 'green-capacity-moves-count')).toEqual({
    id: 'green-capacity-moves-count',
    outcome: 'did not hold',
    detail: expect.stringMatching(/^after the acknowledgement green runs 0 of 2 tasks/),
  });
  expect(world.argvs).toEqual([deployOf(first), deployOf(third), deployOf(second, `rehearsal of ${ENV}: GetTemplate mid-update`), deployOf(0)]);
  expect(report.endedAsBegan).toBe(false);
  expect(report.left).toEqual([expect.stringMatching(/^green runs 0 of its 2 tasks/)]);
});

test('Ctrl-C during the put-back deploy (cdk ends with 130, CloudFormation finishes): judged by what the stack is, not the exit code', async () => {
  const { world, before } = await freshWorld();
  let pressed = false;
  const alarmed = world.clients.cloudwatch.send.bind(world.clients.cloudwatch);
  world.clients.cloudwatch.send = (async (command: Parameters<typeof alarmed>[0]) => {
    if (command instanceof SetAlarmStateCommand) pressed = true;
    return alarmed(command);
  }) as typeof alarmed;
  // Once pressed, every cdk the rehearsal starts gets the signal too, after CloudFormation has the update.
  const deploy = async (argv: readonly string[]) => {
    const code = await world.deploy(argv);
    return pressed ? 130 : code;
  };
  const report = await rehearsed(world, { deploy, interrupted: () => pressed });
  expect(report.stopped).toBe('stopped by the operator (Ctrl-C)');
  expect(report.left).toEqual([]);
  expect(report.endedAsBegan).toBe(true);
  expect(world.standing()).toEqual(before);
});

test('Ctrl-C during the cdk diff is said as such, not as a differing checkout, and changes nothing', async () => {
  const { world } = await freshWorld();
  let pressed = false;
  const deploy = async (argv: readonly string[]) => {
    if (argv[2] !== 'diff') return world.deploy(argv);
    pressed = true;
    return 130;
  };
  await expect(rehearsed(world, { deploy, interrupted: () => pressed })).rejects.toThrow(/^stopped by the operator \(Ctrl-C\) before any change$/);
  expect(world.argvs).toEqual([]);
  expect(world.fileSystem.size).toBe(0);
});

test.each([30_000, -30_000])("an operator's clock %i ms off AWS's changes no verdict and no time: they are AWS's", async (skewMs) => {
  const { report: truth } = await sampleRehearsal();
  const world = await RehearsalWorld.create({ skewMs });
  const before = world.standing();
  const report = await rehearsed(world);
  expect(report.assumptions).toEqual(truth.assumptions);
  expect(report.times).toEqual(truth.times);
  expect(report.page).toEqual(truth.page);
  expect(world.standing()).toEqual(before);
});

test('a member alarm already evaluated back to OK when read gives no time, rather than a later one', async () => {
  const { world, before } = await freshWorld();
  const send = world.clients.cloudwatch.send.bind(world.clients.cloudwatch);
  world.clients.cloudwatch.send = (async (command: Parameters<typeof send>[0]) => {
    const answer = (await send(command)) as { MetricAlarms?: { StateValue?: string; StateUpdatedTimestamp?: Date }[] };
    if (command instanceof DescribeAlarmsCommand && answer.MetricAlarms?.[0])
      answer.MetricAlarms[0] = { ...answer.MetricAlarms[0], StateValue: 'OK', StateUpdatedTimestamp: world.io.now() };
    return answer;
  }) as typeof send;
  const report = await rehearsed(world);
  expect(report.stopped).toMatch(/reports \S+ OK right after SetAlarmState, so no stage could be timed$/);
  expect(outcomes(report)['time-to-blue-alone']).toBe('could not be tried');
  expect(report.endedAsBegan).toBe(true);
  expect(world.standing()).toEqual(before);
});

describe('the report', () => {
  test('is printed before it is saved: a save that fails says so and prints the JSON, nothing lost', async () => {
    const { world } = await freshWorld();
    const deploy = async (argv: readonly string[]) => {
      // The disk fills up during the run.
      if (world.argvs.length === 5) world.writesFail = true;
      return world.deploy(argv);
    };
    const report = await rehearsed(world, { deploy });
    expect(world.fileSystem.has(REPORT)).toBe(false);
    expect(world.lines).toContain('ended where it began: blue alone, green restored, the stack parameters as found');
    const failed = world.lines.findIndex((l) => l.startsWith(`could not save the report to ${REPORT} (EACCES`));
    expect(failed).toBeGreaterThan(-1);
    expect(JSON.parse(world.lines.slice(failed + 1).join('\n'))).toEqual(report);
  });

  test('keeps every finding when the put-back itself fails, and says what may be left', async () => {
    const { world } = await freshWorld();
    let pressed = false;
    const described = world.clients.cloudformation.send.bind(world.clients.cloudformation);
    world.clients.cloudformation.send = (async (command: Parameters<typeof described>[0]) => {
      if (pressed) throw awsError('Throttling', 'Rate exceeded');
      return described(command);
    }) as typeof described;
    // Ctrl-C once the alarm was forced: the put-back then finds CloudFormation throttling every call.
    const alarmed = world.clients.cloudwatch.send.bind(world.clients.cloudwatch);
    world.clients.cloudwatch.send = (async (command: Parameters<typeof alarmed>[0]) => {
      if (command instanceof SetAlarmStateCommand) pressed = true;
      return alarmed(command);
    }) as typeof alarmed;
    const report = await rehearsed(world, { interrupted: () => pressed });
    expect(outcomes(report)['get-template-mid-update']).toBe('held');
    expect(report.endedAsBegan).toBe(false);
    expect(report.left).toEqual([expect.stringMatching(/^AWS throttled the calls.*may not be as the rehearsal found it: run the rehearsal again/)]);
    expect(world.fileSystem.has(progressPath(ENV))).toBe(true);
    expect(JSON.parse(world.fileSystem.get(REPORT)!)).toEqual(report);
  });
});

describe('refused', () => {
  test('in prod, before any AWS call', async () => {
    const { clients, mocks, io } = setup();
    const deploy = jest.fn();
    await expect(runRolloutCli(['rehearse', '--env', 'prod'], clients, io, deploy, { interrupted: () => false })).rejects.toThrow(
      /^the rehearsal moves traffic and stops green on purpose, so it never runs in prod/,
    );
    expect(Object.values(mocks).map((m) => m.calls().length)).toEqual(Object.values(mocks).map(() => 0));
    expect(deploy).not.toHaveBeenCalled();
  });

  test('with a --report path in a directory that does not exist, on the real files, before any change', async () => {
    const { world } = await freshWorld();
    const report = join(tmpdir(), `no-such-directory-${process.pid}`, 'report.json');
    await expect(
      runRolloutCli(['rehearse', '--env', ENV, '--report', report], world.clients, world.io, world.deploy, { interrupted: () => false }),
    ).rejects.toThrow(/^cannot write the report to .*report\.json \(ENOENT.*\); give --report a path you can write to, then run again$/);
    expect(world.argvs).toEqual([]);
    expect(world.diffs).toEqual([]);
  });

  test('on a stack deployed as production under another name, before any change', async () => {
    const { world } = await freshWorld();
    const described = world.clients.cloudformation.send.bind(world.clients.cloudformation);
    world.clients.cloudformation.send = (async (command: Parameters<typeof described>[0]) => {
      const answer = (await described(command)) as { Stacks?: { Parameters?: object[] }[] };
      answer.Stacks?.[0]?.Parameters?.push({ ParameterKey: 'ConfirmProduction', ParameterValue: 'true' });
      return answer;
    }) as typeof described;
    await expect(rehearsed(world)).rejects.toThrow(/was deployed as production \(it has the ConfirmProduction parameter\)/);
    expect(world.argvs).toEqual([]);
  });

  test.each([
    [
      'green serves traffic',
      (w: RehearsalWorld) => w.stack.deploy({ greenPercent: first, override: '' }),
      /^the rehearsal starts from blue alone, but GreenPercent is 5 and green serves 5 %; first: npx cdk deploy/,
    ],
    [
      'green has no healthy target',
      async (w: RehearsalWorld) => void (w.aws.greenTargets = ['unhealthy', 'unhealthy']),
      /^green must run with a healthy target/,
    ],
    [
      'the rollback alarm is in ALARM',
      async (w: RehearsalWorld) => w.aws.setAlarm('ALARM', new Date(w.clock)),
      /^the rollback alarm \S+ is ALARM; run again once it is OK$/,
    ],
    [
      'the stack has two rollout steps, none to skip past the next',
      async (w: RehearsalWorld) => void (w.rolloutSteps = '50,100'),
      /^the rehearsal needs at least 3 rollout steps .*this stack has 50, 100: give \S+ production's steps \(rollout\.steps \[5,25,50,100\] in cdk\.json\)/,
    ],
    [
      "this checkout's template is not the deployed one (every step deploys from it)",
      async (w: RehearsalWorld) => void (w.checkoutDiffers = true),
      /^this checkout's template is not what \S+ runs, or cdk could not compare them \(npx cdk diff -c env=\S+ --method template --fail above\).*deploy it first, or check out what is deployed/,
    ],
    [
      'the report cannot be written where --report says',
      async (w: RehearsalWorld) => void w.unwritablePaths.set(REPORT, `EACCES: permission denied, open '${REPORT}'`),
      /^cannot write the report to report\.json \(EACCES: permission denied, open 'report\.json'\); give --report a path you can write to, then run again$/,
    ],
  ])('when %s, in one line saying what to do, changing nothing', async (_case, arrange, message) => {
    const { world } = await freshWorld();
    await arrange(world);
    await expect(rehearsed(world)).rejects.toThrow(message);
    expect(world.argvs).toEqual([]);
    expect(world.fileSystem.size).toBe(0);
  });
});

test('--help says what it changes, in which order, that it ends where it began, and how long it takes from its bounds', () => {
  const usage = commandUsage('rehearse');
  expect(usage).toMatch(/1\. GreenPercent=<first step>[\s\S]*6\. GreenPercent=<first step>, the resume, then GreenPercent=0/);
  expect(usage).toMatch(/It ends where it began: blue alone, green restored, the stack parameters as found/);
  expect(usage).toContain(`It takes about ${typicalMinutes()} minutes (${REHEARSAL_DEPLOYS} deploys), at most about ${boundMinutes()}`);
});

test.each(['README.md', 'docs/runbook.md'])('%s gives the same duration as --help', (file) => {
  const text = readFileSync(join(__dirname, '..', '..', file), 'utf8').replace(/\s+/g, ' ');
  expect(text).toContain(`about ${typicalMinutes()} minutes`);
  const inWords = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'][REHEARSAL_DEPLOYS];
  expect(text).toContain(`${inWords} \`cdk deploy\`s`);
});
