/**
 * The hands-free rollout (issue 25, rollout.autoAdvance), one rule at a time, through the entry point:
 * deploys as CloudFormation runs them (stack-deploy.ts), ticks as the schedule sends them, pauses and
 * resumes as the rollout CLI sends them, against the in-memory AWS with an injected clock. The rules
 * (docs/design.md "Hands-free rollout"): a deploy's GreenPercent is a target, one of the steps; the same
 * target leaves green where the ticks put it; a new one moves green to its first step when a deploy of
 * that step would be accepted; a lower one stops the walk; a tick moves green one step exactly when a
 * deploy of that step would be accepted now, waits for a bake or a deploy in progress, and stops on any
 * other refusal; nothing moves during an unacknowledged rollback or a pause.
 */
import { PAUSE_ACTION, RESUME_ACTION, TICK_ACTION } from '../../common/payloads';
import { HANDS_FREE_BY, TICK_INTERVAL_MINUTES } from '../../common/traffic/hands-free';
import type { CustomResourceResult } from '../../lambda/support/cloudformation-response';
import { PAGE_SUBJECTS } from '../../lambda/traffic/controller';
import { route, RouteDeps } from '../../lambda/traffic/route';
import { customResourceEvent } from './cloudformation';
import { FakeAws, HANDS_FREE_SETTINGS, rollbackAlarmEvent, SETTINGS, templateAction } from './fake-aws';
import { DeployOptions, SimulatedStack } from './stack-deploy';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const TICK = TICK_INTERVAL_MINUTES * MINUTE;
const { steps, bakeTimeHours } = HANDS_FREE_SETTINGS.policy;
const [FIRST, SECOND, THIRD] = steps;
const LAST = steps[steps.length - 1];
const BAKE = bakeTimeHours * HOUR;
const ENV = HANDS_FREE_SETTINGS.envName;
const NOTICE_TOPIC = HANDS_FREE_SETTINGS.noticeTopicArn;
const START = Date.parse('2031-01-06T09:00:00.000Z');
const IMAGES = { blue: 'registry.example/boop-integration:1.0.0', green: 'registry.example/boop-integration:1.0.0' };
const NEW_IMAGE = 'registry.example/boop-integration:1.1.0';
const OPERATOR = 'arn:aws:sts::111122223333:assumed-role/ops/alice';
/** The listener of a deleted stack of this environment, whose record the new stack's controller reads. */
const DELETED_STACKS_LISTENER = SETTINGS.listenerArn.replace(/\/[^/]+$/, '/0ld');
const REFUSAL_OVERRIDE_HINT = 'To skip the step, bake and alarm-history checks once';

let aws: FakeAws;
let now: number;
let stack: SimulatedStack;

beforeEach(async () => {
  aws = new FakeAws({ handsFree: true });
  now = START;
  stack = new SimulatedStack(aws, () => new Date(now), { greenPercent: 0, images: IMAGES, override: '' });
  await stack.create();
});

const later = (ms: number) => {
  now += ms;
};
/** `cdk deploy --parameters GreenPercent=<share>`, as CloudFormation runs it; the weights' answer is CloudFormation's. */
const deploy = (greenPercent: number, options: DeployOptions & { override?: string } = {}) =>
  stack.deploy({ greenPercent, override: options.override ?? '' }, options);
const tick = (event: object = { action: TICK_ACTION }) => route(event, stack.deps);
const handsFree = (action: typeof PAUSE_ACTION | typeof RESUME_ACTION, reason = 'INC-7: checking the refund errors') =>
  route({ action, reason, requestedBy: OPERATOR }, stack.deps);
const state = () => aws.record()!;
const writes = () => aws.calls.filter((call) => call === 'PutParameter').length;
const notices = () => aws.publishedTo(NOTICE_TOPIC);

/** The deploy of `target`, then a tick after each bake until green serves `share`. */
async function walkedTo(share: number, target = LAST): Promise<void> {
  expect(await deploy(target)).toMatchObject({ status: 'SUCCESS' });
  while (state().greenPercent < share) {
    later(BAKE);
    await tick();
  }
  expect(aws.live().green).toBe(share);
}

/** The record as a deleted stack of this environment left it (its listener in it), and this stack's listener as its template made it. */
function leftByADeletedStack(): void {
  aws.parameters.set(SETTINGS.stateParameterName, JSON.stringify({ ...state(), listenerArn: DELETED_STACKS_LISTENER }));
  aws.defaultActions = [templateAction()];
}

/** The deploy of the target and its first bake, with CloudFormation then reporting `status`; answers what it reported before. */
async function bakedWhileTheStackIs(status: string): Promise<typeof aws.stack> {
  await deploy(LAST);
  later(BAKE);
  const reported = aws.stack;
  aws.stack = { ...reported, status };
  return reported;
}

/** A weights event as CloudFormation sends it mid-update (the stack reports its GreenPercent), answered to `answers`. */
async function weightsEvent(type: 'Create' | 'Update', greenPercent: number, answers: CustomResourceResult[], status = 'UPDATE_IN_PROGRESS'): Promise<void> {
  aws.stack = { status, greenPercent: String(greenPercent), rolloutOverride: '', images: IMAGES };
  const event = customResourceEvent(type, { GreenPercent: String(greenPercent), ListenerFingerprint: 'renamed', RolloutOverride: '' });
  const deps: RouteDeps = aws.routeDeps(
    aws.controller(() => new Date(now)),
    async (_event, result) => {
      answers.push(result);
    },
  );
  await route(event, deps);
}

describe('a deploy with rollout.autoAdvance: GreenPercent is the target', () => {
  test('above green, it moves green to the first step at once and records the target; CloudFormation is answered SUCCESS', async () => {
    const result = await deploy(LAST);
    expect(result).toMatchObject({ status: 'SUCCESS', weights: { status: 'SUCCESS', data: { GreenPercent: String(FIRST), Result: 'changed' } } });
    expect(aws.live()).toEqual({ green: FIRST, blueAlone: false, sticky: true });
    expect(state()).toMatchObject({ greenPercent: FIRST, handsFree: { target: LAST }, changes: [{ from: 0, to: FIRST, kind: 'deploy' }] });
  });

  test('that is not a step is refused, naming the steps, and changes nothing', async () => {
    await walkedTo(FIRST);
    const before = aws.parameters.get(SETTINGS.stateParameterName);
    const modifies = aws.calls.filter((c) => c === 'ModifyListener').length;
    const result = await deploy(FIRST + 1);
    expect(result.status).toBe('FAILED');
    expect(result.reason).toContain(`GreenPercent=${FIRST + 1} refused (green stays at ${FIRST} %)`);
    expect(result.reason).toContain(`one of the steps (${steps.join(', ')})`);
    expect(aws.parameters.get(SETTINGS.stateParameterName)).toBe(before);
    expect(aws.calls.filter((c) => c === 'ModifyListener').length).toBe(modifies);
  });

  test("the same target leaves green where the ticks put it, putting back a share the listener lost, and succeeds; the bake's clock is kept", async () => {
    await walkedTo(SECOND);
    const stepStartedAt = state().stepStartedAt;
    later(HOUR);
    // A listener update: CloudFormation writes the template's action, then the weights run with the same GreenPercent.
    const result = await deploy(LAST, { listenerChange: true });
    expect(result).toMatchObject({ status: 'SUCCESS', weights: { data: { GreenPercent: String(SECOND), Result: 'reapplied' } } });
    expect(aws.live()).toEqual({ green: SECOND, blueAlone: false, sticky: true });
    expect(state()).toMatchObject({ greenPercent: SECOND, stepStartedAt, handsFree: { target: LAST } });
  });

  test('the same target, from a renamed resource (a Create on this listener), keeps green as it is and succeeds', async () => {
    await walkedTo(SECOND);
    const before = aws.parameters.get(SETTINGS.stateParameterName);
    const answers: CustomResourceResult[] = [];
    await weightsEvent('Create', LAST, answers);
    expect(answers).toEqual([
      expect.objectContaining({
        status: 'SUCCESS',
        reason: expect.stringContaining(`the target stays at ${LAST} %`),
        data: { GreenPercent: String(SECOND), Result: 'unchanged' },
      }),
    ]);
    expect(aws.live().green).toBe(SECOND);
    expect(aws.parameters.get(SETTINGS.stateParameterName)).toBe(before);
  });

  test('a new target whose first step is refused names the target and the step, and moves nothing', async () => {
    await walkedTo(FIRST, SECOND);
    later(BAKE / 2);
    const result = await deploy(LAST);
    expect(result.status).toBe('FAILED');
    expect(result.reason).toContain(`GreenPercent=${LAST} is a target (rollout.autoAdvance), and its first step is refused: GreenPercent=${SECOND} refused`);
    expect(result.reason).toContain(`the bake at ${FIRST} %`);
    expect(aws.live().green).toBe(FIRST);
    expect(state().handsFree).toEqual({ target: SECOND });
  });

  test.each([
    ['a target while the bake runs', () => walkedTo(FIRST, SECOND).then(() => later(BAKE / 2))],
    [
      'the target again after a lower one, mid-bake',
      async () => {
        await walkedTo(FIRST);
        later(HOUR);
        expect(await deploy(THIRD)).toMatchObject({ status: 'SUCCESS' });
      },
    ],
    [
      'a target after a bake the rollback alarm fired in',
      async () => {
        await walkedTo(FIRST, SECOND);
        later(BAKE);
        aws.setAlarm('ALARM', new Date(now - BAKE / 2));
        aws.setAlarm('OK', new Date(now - BAKE / 2 + 5 * MINUTE));
      },
    ],
  ])(
    'a new target whose first step is refused (%s) suggests an override of that one step, and following it moves green exactly one step',
    async (_case, arrange) => {
      await arrange();
      const result = await deploy(LAST);
      expect(result.status).toBe('FAILED');
      expect(result.reason).not.toContain(REFUSAL_OVERRIDE_HINT);
      // The deploy the message tells the operator to run with an override: its GreenPercent, or the refused deploy's own.
      const suggested = /deploy(?: GreenPercent=(\d+))? with -c rolloutOverride="<reason>"/.exec(result.reason!);
      expect(suggested).not.toBeNull();
      const share = suggested![1] === undefined ? LAST : Number(suggested![1]);
      expect(await deploy(share, { override: 'INC-11: the bake was clean on the dashboards' })).toMatchObject({ status: 'SUCCESS' });
      expect(aws.live().green).toBe(SECOND);
      expect(state().changes[0]).toMatchObject({ from: FIRST, to: SECOND, kind: 'override' });
    },
  );

  test('a lower target still above green stops the walk where green is, mid-bake too, and says so; after resume green goes no further than the new target', async () => {
    await walkedTo(FIRST);
    later(HOUR);
    expect(await deploy(THIRD)).toMatchObject({ status: 'SUCCESS', weights: { data: { GreenPercent: String(FIRST), Result: 'unchanged' } } });
    expect(aws.live().green).toBe(FIRST);
    const why = `a deploy lowered the target from ${LAST} % to ${THIRD} %`;
    expect(state().handsFree).toEqual({
      target: THIRD,
      stopped: { at: new Date(now).toISOString(), by: expect.stringContaining('CloudFormation stack'), why },
    });
    expect(notices()).toEqual([{ subject: PAGE_SUBJECTS.stopped(ENV), message: expect.stringContaining(why) }]);
    later(BAKE);
    await tick();
    expect(aws.live().green).toBe(FIRST);

    await handsFree(RESUME_ACTION);
    for (let day = 0; day < 4; day++) {
      later(BAKE);
      await tick();
    }
    expect(aws.live().green).toBe(THIRD);
    expect(state().handsFree).toEqual({ target: THIRD });
  });

  test('a lower target with a listener update puts back the share the listener lost, as every other deploy does', async () => {
    await walkedTo(SECOND);
    later(HOUR);
    expect(await deploy(THIRD, { listenerChange: true })).toMatchObject({ status: 'SUCCESS' });
    expect(state().greenPercent).toBe(SECOND);
    expect(aws.live()).toEqual({ green: SECOND, blueAlone: false, sticky: true });
  });

  test("a target at or below green's share lowers green at once and leaves nothing to walk", async () => {
    await walkedTo(THIRD);
    later(HOUR);
    expect(await deploy(SECOND)).toMatchObject({ status: 'SUCCESS' });
    expect(aws.live().green).toBe(SECOND);
    expect(state().handsFree).toEqual({ target: SECOND });
    later(BAKE);
    expect(await tick()).toMatchObject({ result: 'unchanged', message: `no target above green's ${SECOND} %` });
    expect(aws.live().green).toBe(SECOND);
  });

  test('with an override, green goes straight to the target, as a deploy of that share would', async () => {
    expect(await deploy(LAST, { override: 'INC-9: blue is the broken one' })).toMatchObject({ status: 'SUCCESS' });
    expect(aws.live().green).toBe(LAST);
    expect(state().changes[0]).toMatchObject({ kind: 'override', to: LAST });
  });
});

describe('a tick', () => {
  test('waits out the bake, recorded once rather than at every tick, then moves green one step, recorded and noticed', async () => {
    await deploy(LAST);
    const bakeEnds = new Date(now + BAKE).toISOString();
    const writesBefore = writes();
    const waits: unknown[] = [];
    for (let t = TICK; t < BAKE; t += TICK) {
      later(TICK);
      waits.push(await tick());
    }
    const why = `the bake at ${FIRST} % is over at ${bakeEnds}; then green moves to ${SECOND} %`;
    expect(new Set(waits.map((w) => JSON.stringify(w)))).toEqual(
      new Set([JSON.stringify({ result: 'unchanged', greenPercent: FIRST, message: why, target: LAST })]),
    );
    expect(writes() - writesBefore).toBe(1);
    expect(state().handsFree).toEqual({ target: LAST, waiting: { at: new Date(START + TICK).toISOString(), by: HANDS_FREE_BY, why } });
    expect(aws.live().green).toBe(FIRST);

    later(TICK);
    expect(await tick()).toMatchObject({ result: 'changed', greenPercent: SECOND, target: LAST });
    expect(aws.live().green).toBe(SECOND);
    expect(state()).toMatchObject({ greenPercent: SECOND, intent: LAST, stepStartedAt: new Date(now).toISOString(), handsFree: { target: LAST } });
    expect(state().handsFree).toEqual({ target: LAST });
    expect(state().changes[0]).toEqual({
      at: new Date(now).toISOString(),
      by: HANDS_FREE_BY,
      from: FIRST,
      to: SECOND,
      kind: 'advance',
      why: expect.any(String),
    });
    expect(notices()).toEqual([{ subject: PAGE_SUBJECTS.advanced(ENV, SECOND), message: expect.stringContaining(`from ${FIRST} % to ${SECOND} %`) }]);
    expect(aws.publishedTo(SETTINGS.criticalTopicArn)).toEqual([]);
  });

  test('twice at the same moment (a duplicated or late delivery) moves green one step, then waits for the new bake', async () => {
    await deploy(LAST);
    later(BAKE);
    await tick();
    expect(await tick()).toMatchObject({ result: 'unchanged', message: expect.stringContaining(`the bake at ${SECOND} %`) });
    expect(aws.live().green).toBe(SECOND);
  });

  test('carrying a share, a target or an override (a forged tick) is only a tick: the next step, when a deploy of it would be accepted', async () => {
    await deploy(LAST);
    const forged = { action: TICK_ACTION, GreenPercent: String(LAST), target: LAST, intent: LAST, RolloutOverride: 'forged', requestedBy: 'attacker' };
    later(HOUR);
    await tick(forged);
    expect(aws.live().green).toBe(FIRST);
    later(BAKE);
    await tick(forged);
    expect(aws.live().green).toBe(SECOND);
    expect(state().changes[0]).toMatchObject({ by: HANDS_FREE_BY, kind: 'advance' });
  });

  test.each([
    [
      'the rollback alarm entered ALARM during the bake (its rollback not yet delivered)',
      () => {
        aws.setAlarm('ALARM', new Date(now - BAKE / 2));
        aws.setAlarm('OK', new Date(now - BAKE / 2 + 5 * MINUTE));
      },
      `the rollback alarm was in ALARM during the bake at ${FIRST} %`,
    ],
    ['the rollback alarm is in ALARM', () => aws.setAlarm('ALARM', new Date(now - MINUTE)), 'the rollback alarm is in ALARM now'],
    ['green has no healthy target', () => (aws.greenTargets = ['unhealthy', 'draining']), 'green has no healthy target'],
    ['the rollback alarm cannot be read', () => (aws.alarmExists = false), 'the rollback alarm cannot be read'],
  ])('stops when %s: green stays, the stop is recorded with the check that failed and noticed, and later ticks do nothing', async (_case, fault, check) => {
    await deploy(LAST);
    later(BAKE);
    fault();
    const outcome = await tick();
    expect(outcome).toMatchObject({ result: 'unchanged', greenPercent: FIRST, message: expect.stringContaining(`the step to ${SECOND} % would be refused: `) });
    expect(aws.live().green).toBe(FIRST);
    expect(state().handsFree).toEqual({ target: LAST, stopped: { at: new Date(now).toISOString(), by: HANDS_FREE_BY, why: expect.stringContaining(check) } });
    expect(state().handsFree!.stopped!.why).not.toContain('rolloutOverride');
    expect(notices()).toEqual([{ subject: PAGE_SUBJECTS.stopped(ENV), message: expect.stringContaining(check) }]);

    const writesBefore = writes();
    later(BAKE);
    expect(await tick()).toMatchObject({ result: 'unchanged', message: expect.stringContaining('stopped: ') });
    expect(writes()).toBe(writesBefore);
    expect(aws.live().green).toBe(FIRST);
  });

  test('stops at once, mid-bake, when green loses its healthy targets: only a clean bake is a wait', async () => {
    await deploy(LAST);
    later(HOUR);
    aws.greenTargets = ['unhealthy'];
    await tick();
    expect(state().handsFree?.stopped?.why).toContain('green has no healthy target');
  });

  test('does nothing while a rollback is unacknowledged, whatever the bake and however many ticks; the acknowledgement voids the target', async () => {
    await walkedTo(SECOND);
    await route(rollbackAlarmEvent(new Date(now), 'Threshold Crossed'), stack.deps);
    aws.setAlarm('OK', new Date(now + MINUTE));
    expect(aws.live().blueAlone).toBe(true);
    const writesBefore = writes();
    const modifies = aws.calls.filter((c) => c === 'ModifyListener').length;
    for (let day = 0; day < 5; day++) {
      later(BAKE);
      expect(await tick()).toMatchObject({
        result: 'unchanged',
        greenPercent: 0,
        message: expect.stringContaining('a rollback waits for its acknowledgement'),
      });
      await tick({ action: TICK_ACTION, GreenPercent: String(LAST) });
    }
    expect(aws.live()).toEqual({ green: 0, blueAlone: true, sticky: false });
    expect(writes()).toBe(writesBefore);
    expect(aws.calls.filter((c) => c === 'ModifyListener').length).toBe(modifies);

    expect(await deploy(0)).toMatchObject({ status: 'SUCCESS' });
    expect(state().handsFree).toEqual({ target: 0 });
    later(BAKE);
    expect(await tick()).toMatchObject({ message: "no target above green's 0 %" });
    expect(aws.live().green).toBe(0);
  });

  test.each(['UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'])(
    'waits while the stack is %s (a deploy in progress), recorded once, and goes on when it is done',
    async (status) => {
      const reported = await bakedWhileTheStackIs(status);
      const writesBefore = writes();
      expect(await tick()).toMatchObject({ result: 'unchanged', greenPercent: FIRST, message: 'a deploy is in progress' });
      later(TICK);
      await tick();
      expect(writes() - writesBefore).toBe(1);
      expect(aws.live().green).toBe(FIRST);

      aws.stack = reported;
      later(TICK);
      await tick();
      expect(aws.live().green).toBe(SECOND);
    },
  );

  test.each(['UPDATE_ROLLBACK_FAILED', 'UPDATE_FAILED'])(
    'does nothing and writes nothing while the stack is %s (a deploy that did not complete), and goes on once one completes',
    async (status) => {
      const reported = await bakedWhileTheStackIs(status);
      const writesBefore = writes();
      for (let n = 0; n < 4; n++) {
        expect(await tick()).toMatchObject({ result: 'unchanged', greenPercent: FIRST, message: expect.stringContaining(`the stack is ${status}`) });
        later(TICK);
      }
      expect(writes()).toBe(writesBefore);
      expect(aws.live().green).toBe(FIRST);
      expect(notices()).toEqual([]);

      aws.stack = { ...reported, status: 'UPDATE_ROLLBACK_COMPLETE' };
      await tick();
      expect(aws.live().green).toBe(SECOND);
    },
  );

  test("does nothing and writes nothing on another stack's record (a deleted stack of this environment), however many ticks", async () => {
    await walkedTo(SECOND);
    leftByADeletedStack();
    const before = aws.parameters.get(SETTINGS.stateParameterName);
    const published = aws.published.length;
    for (let day = 0; day < 3; day++) {
      later(BAKE);
      expect(await tick()).toMatchObject({ result: 'unchanged', greenPercent: 0, message: "the record belongs to another stack's listener" });
    }
    expect(aws.parameters.get(SETTINGS.stateParameterName)).toBe(before);
    expect(aws.published.length).toBe(published);
    expect(aws.live()).toEqual({ green: 0, blueAlone: false, sticky: false });
  });

  test('waits while the listener differs from the record (another writer, a listener update), and the next deploy of the target puts the share back', async () => {
    await deploy(LAST);
    later(BAKE);
    aws.defaultActions = [templateAction()];
    expect(await tick()).toMatchObject({ result: 'unchanged', greenPercent: 0, message: expect.stringContaining(`the record says ${FIRST} %`) });
    expect(aws.live().green).toBe(0);

    expect(await deploy(LAST, { listenerChange: true })).toMatchObject({ status: 'SUCCESS', weights: { data: { Result: 'reapplied' } } });
    expect(aws.live().green).toBe(FIRST);
    later(TICK);
    await tick();
    expect(aws.live().green).toBe(SECOND);
  });

  test('that cannot finish (CloudFormation cannot be asked) is logged, not an error nor a ControllerErrors count, so Lambda neither retries it nor parks and pages it as a failed rollback', async () => {
    await deploy(LAST);
    later(BAKE);
    aws.failures.set('DescribeStacks', Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    expect(await tick()).toEqual({ ignored: expect.stringContaining('Rate exceeded') });
    expect(aws.metrics.filter((m) => m.name === 'ControllerErrors')).toEqual([]);
    expect(aws.logs).toContainEqual(expect.objectContaining({ level: 'error', message: expect.stringContaining('hands-free tick failed') }));
    expect(aws.live().green).toBe(FIRST);

    // The next tick does its work.
    aws.failures.delete('DescribeStacks');
    later(TICK);
    await tick();
    expect(aws.live().green).toBe(SECOND);
  });

  test('whose notice cannot be sent still moves green and records it; the failure is logged', async () => {
    await deploy(LAST);
    later(BAKE);
    aws.failures.set('Publish', Object.assign(new Error('KMS key disabled'), { name: 'KMSDisabledException' }));
    expect(await tick()).toMatchObject({ result: 'changed', greenPercent: SECOND });
    expect(state()).toMatchObject({ greenPercent: SECOND });
    expect(state().changes[0]).toMatchObject({ kind: 'advance', to: SECOND });
    expect(aws.logs).toContainEqual(expect.objectContaining({ level: 'error', message: 'could not send the hands-free notice' }));
  });
});

describe('pause and resume (npm run rollout -- pause / resume)', () => {
  test('pause stops the walk where it is, with who and why, and a notice; resume lets the next tick go on; neither moves traffic', async () => {
    await deploy(LAST);
    later(HOUR);
    const live = aws.live();
    expect(await handsFree(PAUSE_ACTION)).toMatchObject({ result: 'unchanged', greenPercent: FIRST, target: LAST });
    expect(aws.live()).toEqual(live);
    expect(state().handsFree).toEqual({
      target: LAST,
      stopped: { at: new Date(now).toISOString(), by: OPERATOR, why: 'paused: INC-7: checking the refund errors' },
    });
    expect(notices()).toEqual([
      { subject: PAGE_SUBJECTS.stopped(ENV), message: expect.stringContaining(`paused by ${OPERATOR}: INC-7: checking the refund errors`) },
    ]);

    for (let day = 0; day < 3; day++) {
      later(BAKE);
      expect(await tick()).toMatchObject({ message: expect.stringContaining('stopped: paused: ') });
    }
    expect(aws.live()).toEqual(live);

    expect(await handsFree(RESUME_ACTION, 'refund errors were the PSP')).toMatchObject({ result: 'unchanged', greenPercent: FIRST });
    expect(aws.live()).toEqual(live);
    expect(state().handsFree).toEqual({ target: LAST });
    expect(notices()[1]).toEqual({
      subject: PAGE_SUBJECTS.resumed(ENV),
      message: expect.stringContaining(`resumed by ${OPERATOR}: refund errors were the PSP`),
    });
    await tick();
    expect(aws.live().green).toBe(SECOND);
  });

  test('with nothing to walk, pause records nothing; with nothing stopped, resume records nothing; neither sends a notice', async () => {
    const writesBefore = writes();
    expect(await handsFree(PAUSE_ACTION)).toMatchObject({ result: 'unchanged', message: 'no hands-free rollout is under way (no target above green)' });
    expect(await handsFree(RESUME_ACTION)).toMatchObject({ result: 'unchanged', message: 'the hands-free rollout is not stopped' });
    expect(writes()).toBe(writesBefore);
    expect(aws.published).toEqual([]);
  });

  test.each([
    ['a pause without a reason', { action: PAUSE_ACTION, reason: '  ', requestedBy: OPERATOR }],
    ['a pause without who asked', { action: PAUSE_ACTION, reason: 'INC-7' }],
    ['a resume without a reason', { action: RESUME_ACTION, requestedBy: OPERATOR }],
  ])('%s is ignored and counted, and changes nothing', async (_case, event) => {
    await deploy(LAST);
    const before = aws.parameters.get(SETTINGS.stateParameterName);
    expect(await route(event, stack.deps)).toEqual({ ignored: expect.stringContaining('without') });
    expect(aws.metrics).toContainEqual({ name: 'IgnoredEvents', value: 1 });
    expect(aws.parameters.get(SETTINGS.stateParameterName)).toBe(before);
    expect(notices()).toEqual([]);
  });

  test.each([PAUSE_ACTION, RESUME_ACTION] as const)(
    "%s on another stack's record (a deleted stack of this environment) records nothing and sends no notice",
    async (action) => {
      await walkedTo(FIRST);
      if (action === RESUME_ACTION) await handsFree(PAUSE_ACTION);
      leftByADeletedStack();
      const before = aws.parameters.get(SETTINGS.stateParameterName);
      const published = aws.published.length;
      expect(await handsFree(action)).toMatchObject({ result: 'unchanged' });
      expect(aws.parameters.get(SETTINGS.stateParameterName)).toBe(before);
      expect(aws.published.length).toBe(published);
    },
  );

  test.each([PAUSE_ACTION, RESUME_ACTION] as const)(
    'a %s that cannot be recorded is answered refused, not thrown (a function error would page as a failed rollback), and changes nothing',
    async (action) => {
      await deploy(LAST);
      if (action === RESUME_ACTION) await handsFree(PAUSE_ACTION);
      const before = aws.parameters.get(SETTINGS.stateParameterName);
      const published = aws.published.length;
      aws.failures.set('PutParameter', Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
      await expect(handsFree(action)).resolves.toEqual({ refused: expect.stringMatching(new RegExp(`^the ${action} failed: .*Rate exceeded`)) });
      expect(aws.metrics.filter((m) => m.name === 'ControllerErrors')).toEqual([]);
      expect(aws.logs).toContainEqual(expect.objectContaining({ level: 'error', message: `hands-free ${action} failed` }));
      expect(aws.parameters.get(SETTINGS.stateParameterName)).toBe(before);
      expect(aws.published.length).toBe(published);
    },
  );

  test('a deploy that raises the target clears a stop: the walk goes on from its checks', async () => {
    await walkedTo(FIRST, SECOND);
    await handsFree(PAUSE_ACTION);
    later(BAKE);
    expect(await deploy(LAST)).toMatchObject({ status: 'SUCCESS' });
    expect(state().handsFree).toEqual({ target: LAST });
    expect(aws.live().green).toBe(SECOND);
    later(BAKE);
    await tick();
    expect(aws.live().green).toBe(THIRD);
  });
});

describe('a deploy that CloudFormation rolls back (another resource fails)', () => {
  test('puts the target back with the GreenPercent: the ticks never take green past it', async () => {
    await walkedTo(SECOND, SECOND);
    later(BAKE);
    // The weights accept the new target's first step (SECOND → THIRD); CloudFormation then gives them GreenPercent=SECOND back.
    const result = await deploy(LAST, { otherResourceFails: true });
    expect(result.status).toBe('FAILED');
    expect(stack.parameters.greenPercent).toBe(SECOND);
    expect(aws.live().green).toBe(SECOND);
    for (let day = 0; day < 4; day++) {
      later(BAKE);
      await tick();
    }
    expect(aws.live().green).toBe(SECOND);
    expect(state().handsFree?.target).toBe(SECOND);
  });

  test('of a new green image with GreenPercent=0, after the release guard emptied green, leaves no target: no tick walks green up until a deploy of a target', async () => {
    await walkedTo(SECOND);
    later(HOUR);
    const release = { greenPercent: 0, images: { ...IMAGES, green: NEW_IMAGE }, override: '' };
    // The release guard takes green to 0 % first; ECS cannot start the new image, so CloudFormation rolls back before the weights run.
    const result = await stack.deploy(release, { serviceFails: true });
    expect(result).toMatchObject({ status: 'FAILED', release: { status: 'SUCCESS' } });
    expect(result.weights).toBeUndefined();
    expect(aws.live().green).toBe(0);
    for (let day = 0; day < 4; day++) {
      later(BAKE);
      await tick();
    }
    expect(aws.live().green).toBe(0);

    // The release again, then a deploy of the target: the new image walks from the first step.
    expect(await stack.deploy(release)).toMatchObject({ status: 'SUCCESS' });
    expect(await deploy(LAST)).toMatchObject({ status: 'SUCCESS' });
    expect(aws.live().green).toBe(FIRST);
    expect(aws.services.green.image).toBe(NEW_IMAGE);
  });

  test('of a GreenPercent=0 acknowledgement brings no target back: after the rollback green stays empty until a deploy says otherwise', async () => {
    await walkedTo(FIRST);
    await route({ action: 'rollback', reason: 'INC-8: refunds failing on green', requestedBy: OPERATOR }, stack.deps);
    expect(aws.live().blueAlone).toBe(true);
    const result = await deploy(0, { otherResourceFails: true });
    expect(result.status).toBe('FAILED');
    for (let n = 0; n < 4; n++) {
      later(TICK);
      await tick();
    }
    expect(aws.live().green).toBe(0);
  });

  test('that had raised the target of a paused walk leaves it stopped: no tick moves green until the operator resumes', async () => {
    // The failed deploy's higher target cleared the pause; CloudFormation's rollback restores the old target and stops the walk again.
    await walkedTo(FIRST, THIRD);
    await handsFree(PAUSE_ACTION);
    later(BAKE);
    expect(await deploy(LAST, { otherResourceFails: true })).toMatchObject({ status: 'FAILED' });
    const afterTheRollback = aws.live().green;
    for (let day = 0; day < 3; day++) {
      later(BAKE);
      await tick();
    }
    expect(state().handsFree?.stopped?.why).toMatch(/^CloudFormation rolled a failed deploy back to GreenPercent=\d+$/);
    expect(aws.live().green).toBe(afterTheRollback);
  });
});

describe('an event that only looks like a deploy', () => {
  test('is refused as before: outside an update nothing moves, the target stays, and the critical topic is paged', async () => {
    await deploy(LAST);
    const before = aws.parameters.get(SETTINGS.stateParameterName);
    const answers: CustomResourceResult[] = [];
    await weightsEvent('Update', LAST, answers, 'UPDATE_COMPLETE');
    expect(answers).toEqual([expect.objectContaining({ status: 'FAILED', reason: expect.stringContaining('not in the middle of an update') })]);
    expect(aws.live().green).toBe(FIRST);
    expect(aws.parameters.get(SETTINGS.stateParameterName)).toBe(before);
    expect(aws.publishedTo(SETTINGS.criticalTopicArn)).toEqual([expect.objectContaining({ subject: PAGE_SUBJECTS.refusedEvent(ENV) })]);
  });
});

describe('with rollout.autoAdvance off', () => {
  test.each([
    ['a tick', { action: TICK_ACTION }],
    ['a pause', { action: PAUSE_ACTION, reason: 'INC-7', requestedBy: OPERATOR }],
    ['a resume', { action: RESUME_ACTION, reason: 'INC-7', requestedBy: OPERATOR }],
  ])('%s is ignored and counted, and reads or writes nothing', async (_case, event) => {
    const off = new FakeAws();
    const result = await route(
      event,
      off.routeDeps(
        off.controller(() => new Date(now)),
        async () => {},
      ),
    );
    expect(result).toEqual({ ignored: expect.stringContaining('rollout.autoAdvance is off') });
    expect(off.metrics).toEqual([{ name: 'IgnoredEvents', value: 1 }]);
    expect(off.calls).toEqual([]);
  });

  test('a deploy drops a target left from when it was on, so turning it on again revives none', async () => {
    await deploy(LAST);
    // The same stack after a deploy that turned rollout.autoAdvance off: its record and listener, a controller without it.
    const plain = new FakeAws();
    plain.parameters.set(SETTINGS.stateParameterName, aws.parameters.get(SETTINGS.stateParameterName)!);
    plain.defaultActions = aws.defaultActions;
    later(HOUR);
    await plain.controller(() => new Date(now)).applyDeploy({ intent: FIRST }, 'CloudFormation stack test');
    expect(plain.record()).not.toHaveProperty('handsFree');
  });

  test('a deploy records no target, and GreenPercent is the share itself', async () => {
    const off = new FakeAws();
    const controller = off.controller(() => new Date(now));
    await expect(controller.applyDeploy({ intent: LAST }, 'CloudFormation stack test')).rejects.toThrow(`the next step is ${FIRST}`);
    expect(await controller.applyDeploy({ intent: FIRST }, 'CloudFormation stack test')).not.toHaveProperty('target');
    expect(off.state()).not.toHaveProperty('handsFree');
  });
});
