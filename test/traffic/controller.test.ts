/**
 * The traffic controller against an in-memory AWS (fake-aws.ts): every rollout policy path, the
 * rollback's order and idempotence, throttling, another writer, stickiness, and listener resets.
 */
import { RefusedError } from '../../common/traffic/policy';
import { TrafficController } from '../../lambda/traffic/controller';
import { FakeAws, SETTINGS, templateAction } from './fake-aws';

const HOUR = 3_600_000;
const START = new Date('2026-11-21T10:00:00.000Z');
const { steps, bakeTimeHours } = SETTINGS.policy;
const BAKE = bakeTimeHours * HOUR;

let aws: FakeAws;
let now: Date;
let controller: TrafficController;

beforeEach(() => {
  aws = new FakeAws();
  now = START;
  controller = aws.controller(() => now);
});

const deploy = (intent: number, overrideReason?: string) => controller.applyDeploy({ intent, overrideReason }, 'CloudFormation stack test');
const alarmRollback = (triggeredAt: Date) =>
  controller.rollback({ trigger: SETTINGS.rollbackAlarmName, triggeredAt, why: 'Threshold Crossed', by: 'automatic rollback (EventBridge)' });
const later = (ms: number) => {
  now = new Date(now.getTime() + ms);
};
/** Walks green up the steps with clean bakes until it stands at `step`. */
async function rolledOutTo(step: number) {
  for (const s of steps.slice(0, steps.indexOf(step) + 1)) {
    await deploy(s);
    later(BAKE + 60_000);
  }
}
const metricsNamed = (name: string) => aws.metrics.filter((m) => m.name === name).map((m) => m.value);

describe('a rise of green', () => {
  test('goes to the first step from 0, with stickiness on for the configured duration, recorded with who and why', async () => {
    const outcome = await deploy(steps[0]);
    expect(outcome).toMatchObject({ result: 'changed', greenPercent: steps[0] });
    expect(aws.live()).toEqual({ green: steps[0], blueAlone: false, sticky: true });
    expect(aws.defaultActions[0].ForwardConfig?.TargetGroupStickinessConfig).toEqual({ Enabled: true, DurationSeconds: SETTINGS.stickinessSeconds });
    expect(aws.state()).toMatchObject({
      intent: steps[0],
      greenPercent: steps[0],
      stepStartedAt: START.toISOString(),
      changes: [{ at: START.toISOString(), by: 'CloudFormation stack test', from: 0, to: steps[0], kind: 'deploy' }],
    });
    expect(metricsNamed('GreenPercent')).toEqual([steps[0]]);
    expect(metricsNamed('WeightChanges')).toEqual([1]);
  });

  test('to a skipped step is refused, naming the next step, and changes nothing', async () => {
    await expect(deploy(steps[1])).rejects.toThrow(new RegExp(`from 0 % the next step is ${steps[0]}`));
    expect(aws.defaultActions).toEqual([templateAction()]);
    expect(aws.calls).not.toContain('ModifyListener');
    expect(aws.calls).not.toContain('PutParameter');
  });

  test('before the bake is over is refused, saying when the next step is allowed', async () => {
    await deploy(steps[0]);
    later(BAKE - HOUR);
    const error = await deploy(steps[1]).catch((e) => e);
    expect(error).toBeInstanceOf(RefusedError);
    expect(error.message).toContain(`the next step is allowed from ${new Date(START.getTime() + BAKE).toISOString()}`);
    expect(aws.live().green).toBe(steps[0]);
  });

  test('after a bake in which the rollback alarm fired is refused, even when it is OK again', async () => {
    await deploy(steps[0]);
    aws.setAlarm('ALARM', new Date(START.getTime() + 2 * HOUR));
    aws.setAlarm('OK', new Date(START.getTime() + 2 * HOUR + 300_000));
    later(BAKE + HOUR);
    await expect(deploy(steps[1])).rejects.toThrow(/rollback alarm was in ALARM during the bake/);
    expect(aws.live().green).toBe(steps[0]);
  });

  test('while the rollback alarm is in ALARM is refused', async () => {
    await rolledOutTo(steps[0]);
    aws.setAlarm('ALARM', now);
    await expect(deploy(steps[1])).rejects.toThrow(/rollback alarm is in ALARM now/);
  });

  test('while the rollback alarm is in ALARM is refused even with an override (it would not fire again for the new share)', async () => {
    await rolledOutTo(steps[0]);
    aws.setAlarm('ALARM', now);
    await expect(deploy(100, 'INC-42')).rejects.toThrow(/rollback alarm is in ALARM now/);
    expect(aws.live().green).toBe(steps[0]);
  });

  test('when the rollback alarm cannot be read is refused even with an override (nothing would roll it back)', async () => {
    aws.alarmExists = false;
    await expect(deploy(steps[0], 'INC-42')).rejects.toThrow(/rollback alarm cannot be read/);
    expect(aws.calls).not.toContain('ModifyListener');
  });

  test('to a green without a healthy target is refused, even with an override', async () => {
    aws.greenTargets = ['unhealthy', 'draining'];
    await expect(deploy(steps[0])).rejects.toThrow(/green has no healthy target/);
    await expect(deploy(steps[0], 'hotfix')).rejects.toThrow(/green has no healthy target/);
    expect(aws.calls).not.toContain('ModifyListener');
  });

  test('after a clean bake goes to the next step, and the bake restarts there', async () => {
    await rolledOutTo(steps[1]);
    expect(aws.live().green).toBe(steps[1]);
    expect((aws.state() as { stepStartedAt: string }).stepStartedAt).toBe(new Date(START.getTime() + BAKE + 60_000).toISOString());
  });

  test('an override skips step, bake and alarm history for that deploy, and is recorded with its reason', async () => {
    await deploy(steps[0]);
    later(HOUR);
    const outcome = await deploy(100, 'INC-42: blue is the broken one');
    expect(outcome.greenPercent).toBe(100);
    expect((aws.state() as { changes: { kind: string; why: string }[] }).changes[0]).toMatchObject({
      kind: 'override',
      why: 'override: INC-42: blue is the broken one',
    });
    // The override was for that deploy only: the next rise is judged normally again.
    await deploy(steps[0]);
    await expect(deploy(steps[1])).rejects.toThrow(/bake/);
  });

  test('to 100 % forwards to green alone with stickiness off (sticky clients would stay on blue)', async () => {
    await rolledOutTo(steps[steps.length - 1]);
    expect(aws.live()).toEqual({ green: 100, blueAlone: false, sticky: false });
  });
});

describe('a fall of green', () => {
  test('is allowed at once, mid-bake, without looking at health or alarms', async () => {
    await rolledOutTo(steps[1]);
    later(HOUR);
    const callsBefore = aws.calls.length;
    await deploy(steps[0]);
    expect(aws.live().green).toBe(steps[0]);
    expect(aws.calls.slice(callsBefore)).not.toEqual(expect.arrayContaining(['DescribeTargetHealth']));
    expect(aws.calls.slice(callsBefore)).not.toContain('DescribeAlarmHistory');
  });

  test('to 0 forwards to blue alone with stickiness off', async () => {
    await deploy(steps[0]);
    await deploy(0);
    expect(aws.live()).toEqual({ green: 0, blueAlone: true, sticky: false });
  });
});

describe('rollback', () => {
  test('writes the listener before it records, measures or pages, and the page says how to resume', async () => {
    await rolledOutTo(steps[1]);
    const alarmAt = new Date(now.getTime() - 40_000);
    aws.onCall = () => later(10);
    const outcome = await alarmRollback(alarmAt);
    expect(outcome).toMatchObject({ result: 'changed', greenPercent: 0 });
    expect(aws.live()).toEqual({ green: 0, blueAlone: true, sticky: false });
    const order = aws.calls.slice(aws.calls.lastIndexOf('GetParameter'));
    expect(order.indexOf('ModifyListener')).toBeLessThan(order.indexOf('PutParameter'));
    expect(order.indexOf('ModifyListener')).toBeLessThan(order.indexOf('Publish'));
    // Nothing but the two reads (record and listener, in parallel) comes before the write.
    expect(order.slice(0, order.indexOf('ModifyListener')).sort()).toEqual(['DescribeListeners', 'GetParameter']);
    const verifiedAt = Date.parse((aws.state() as { lastRollback: { at: string } }).lastRollback.at);
    expect(metricsNamed('Rollbacks')).toEqual([1]);
    expect(metricsNamed('RollbackLatency')).toEqual([verifiedAt - alarmAt.getTime()]);
    expect(aws.published).toHaveLength(1);
    expect(aws.published[0].message).toContain(`alarm ${SETTINGS.rollbackAlarmName}, in ALARM since ${alarmAt.toISOString()}`);
    expect(aws.published[0].message).toContain('--parameters GreenPercent=0');
    expect(aws.state()).toMatchObject({ greenPercent: 0, lastRollback: { trigger: SETTINGS.rollbackAlarmName, fromGreenPercent: steps[1] } });
  });

  test('twice for one alarm rolls back once: one write of state, one page, one Rollbacks metric', async () => {
    await rolledOutTo(steps[1]);
    const alarmAt = new Date(now.getTime() - 1000);
    await alarmRollback(alarmAt);
    const second = await alarmRollback(alarmAt);
    expect(second.result).toBe('ignored');
    expect(aws.published).toHaveLength(1);
    expect(metricsNamed('Rollbacks')).toEqual([1]);
    expect(aws.calls.filter((c) => c === 'PutParameter').length).toBe(steps.indexOf(steps[1]) + 2);
  });

  test('an older alarm event arriving after a newer one changes nothing', async () => {
    await rolledOutTo(steps[1]);
    await alarmRollback(new Date(now.getTime() - 1000));
    const late = await alarmRollback(new Date(now.getTime() - 120_000));
    expect(late.result).toBe('ignored');
    expect(aws.published).toHaveLength(1);
  });

  test('another writer changing the weights between write and read-back is overwritten and logged', async () => {
    await rolledOutTo(steps[1]);
    let interfered = false;
    aws.afterModify = () => {
      if (!interfered) {
        interfered = true;
        aws.defaultActions = [templateAction()];
        aws.defaultActions[0].ForwardConfig!.TargetGroups![1].Weight = 50;
      }
    };
    await alarmRollback(now);
    expect(aws.live().blueAlone).toBe(true);
    expect(aws.logs.some((l) => l.level === 'warn' && /another writer/.test(l.message))).toBe(true);
  });

  test('a writer that keeps undoing the write is an error, not a silent success', async () => {
    await rolledOutTo(steps[0]);
    aws.afterModify = () => {
      aws.defaultActions = [templateAction()];
      aws.defaultActions[0].ForwardConfig!.TargetGroups![1].Weight = 50;
    };
    await expect(alarmRollback(now)).rejects.toThrow(/something else writes this listener/);
  });

  test('rolls back and pages even when the state cannot be read, then fails so Lambda retries and the dead-letter queue pages', async () => {
    await rolledOutTo(steps[0]);
    const stored = aws.parameters.get(SETTINGS.stateParameterName);
    aws.failures.set('GetParameter', Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(alarmRollback(now)).rejects.toThrow(/rolled back to blue, but could not record it/);
    expect(aws.live().blueAlone).toBe(true);
    expect(aws.parameters.get(SETTINGS.stateParameterName)).toBe(stored);
    expect(aws.published).toHaveLength(1);
  });

  test('a rollback whose record cannot be saved keeps blue and fails the invocation', async () => {
    await rolledOutTo(steps[0]);
    aws.failures.set('PutParameter', Object.assign(new Error('throttled for good'), { name: 'InternalServerError' }));
    await expect(alarmRollback(now)).rejects.toThrow(/could not record it/);
    expect(aws.live().blueAlone).toBe(true);
    expect(aws.published).toHaveLength(1);
  });

  test('a failed page after the rollback keeps blue, counts an error and says so', async () => {
    await rolledOutTo(steps[0]);
    aws.failures.set('Publish', Object.assign(new Error('KMS denied'), { name: 'KMSAccessDeniedException' }));
    const outcome = await alarmRollback(now);
    expect(aws.live().blueAlone).toBe(true);
    expect(outcome.message).toContain('page failed');
    expect(metricsNamed('ControllerErrors')).toEqual([1]);
  });

  test('with green already at 0 confirms blue alone and pages nobody', async () => {
    const outcome = await alarmRollback(now);
    expect(outcome.result).toBe('unchanged');
    expect(aws.live().blueAlone).toBe(true);
    expect(aws.published).toHaveLength(0);
  });

  test('must be acknowledged by a deploy with GreenPercent=0 before green rises again', async () => {
    await rolledOutTo(steps[1]);
    await alarmRollback(new Date(now.getTime() - 1000));
    const refusal = await deploy(steps[0]).catch((e) => e);
    expect(refusal).toBeInstanceOf(RefusedError);
    expect(refusal.message).toMatch(new RegExp(`rolled back to blue at .* by ${SETTINGS.rollbackAlarmName} \\(Threshold Crossed\\)`));
    expect(refusal.message).toContain('deploy once with --parameters GreenPercent=0');
    await expect(deploy(steps[0], 'override does not skip the acknowledgement')).rejects.toThrow(/GreenPercent=0/);
    await deploy(0);
    expect((aws.state() as { lastRollback: { acknowledgedAt?: string } }).lastRollback.acknowledgedAt).toBe(now.toISOString());
    await expect(deploy(steps[0])).resolves.toMatchObject({ greenPercent: steps[0] });
  });
});

describe('the listener reset by CloudFormation (aws/aws-cdk#36649)', () => {
  test('a deploy that keeps GreenPercent re-applies the recorded weights and keeps the bake clock', async () => {
    await rolledOutTo(steps[1]);
    const stepStartedAt = (aws.state() as { stepStartedAt: string }).stepStartedAt;
    aws.defaultActions = [templateAction()];
    const outcome = await deploy(steps[1]);
    expect(outcome.result).toBe('reapplied');
    expect(aws.live()).toEqual({ green: steps[1], blueAlone: false, sticky: true });
    const state = aws.state() as { stepStartedAt: string; changes: object[] };
    expect(state.stepStartedAt).toBe(stepStartedAt);
    expect(state.changes[0]).toMatchObject({ kind: 'reapply', from: 0, to: steps[1] });
  });

  test('a deploy that changes nothing writes nothing', async () => {
    await deploy(steps[0]);
    const calls = aws.calls.length;
    await expect(deploy(steps[0])).resolves.toMatchObject({ result: 'unchanged' });
    expect(aws.calls.slice(calls)).not.toContain('ModifyListener');
    expect(aws.calls.slice(calls)).not.toContain('PutParameter');
  });
});

describe('a rollback that could not be recorded', () => {
  test('is never undone by a deploy: green > 0 is refused, as after a recorded one, until GreenPercent=0', async () => {
    await rolledOutTo(steps[1]);
    aws.failures.set('PutParameter', Object.assign(new Error('down'), { name: 'InternalServerError' }));
    await expect(alarmRollback(now)).rejects.toThrow(/could not record/);
    aws.failures.delete('PutParameter');
    later(HOUR);
    await expect(deploy(steps[1])).rejects.toThrow(/a rollback that was not recorded/);
    expect(aws.live().blueAlone).toBe(true);
    expect(aws.state()).toMatchObject({ greenPercent: 0, lastRollback: { trigger: 'found by a deploy', fromGreenPercent: steps[1] } });
    await expect(deploy(steps[2], 'override')).rejects.toThrow(/deploy once with --parameters GreenPercent=0/);
    await expect(deploy(0)).resolves.toMatchObject({ greenPercent: 0 });
    await expect(deploy(steps[0])).resolves.toMatchObject({ greenPercent: steps[0] });
  });
});

describe('CloudFormation rolling back a failed update (the stack reports UPDATE_ROLLBACK_IN_PROGRESS)', () => {
  const restore = (intent: number) => controller.applyDeploy({ intent }, 'stack', { origin: 'cloudformation-rollback' });

  test('a restore that would raise green keeps it where it is and succeeds', async () => {
    await rolledOutTo(steps[1]);
    await deploy(steps[0]);
    const outcome = await restore(steps[1]);
    expect(outcome.message).toContain('never raises');
    expect(aws.live().green).toBe(steps[0]);
  });

  test('a restore that lowers green is applied', async () => {
    await rolledOutTo(steps[1]);
    await restore(steps[0]);
    expect(aws.live().green).toBe(steps[0]);
    expect((aws.state() as { changes: { kind: string }[] }).changes[0].kind).toBe('restore');
  });

  test('a restore while a rollback is unacknowledged succeeds, keeps blue alone and acknowledges nothing', async () => {
    await rolledOutTo(steps[1]);
    await alarmRollback(now);
    await expect(restore(steps[1])).resolves.toMatchObject({ result: 'unchanged', greenPercent: 0 });
    expect(aws.live().blueAlone).toBe(true);
    await expect(restore(0)).resolves.toMatchObject({ greenPercent: 0 });
    expect((aws.state() as { lastRollback: { acknowledgedAt?: string } }).lastRollback.acknowledgedAt).toBeUndefined();
  });

  test('a restore after a listener reset never puts traffic back on green', async () => {
    await rolledOutTo(steps[1]);
    aws.defaultActions = [templateAction()];
    await expect(restore(steps[1])).resolves.toMatchObject({ greenPercent: 0 });
    expect(aws.live().green).toBe(0);
  });
});

describe("a user's deploy is told from CloudFormation's rollback by the stack's status, not by its properties", () => {
  test('0 → 5 → 0 → 5 moves green each time', async () => {
    for (const share of [steps[0], 0, steps[0], 0, steps[0]]) {
      await expect(deploy(share)).resolves.toMatchObject({ greenPercent: share });
      expect(aws.live().green).toBe(share);
    }
  });

  test('a refused rise retried after the bake is applied', async () => {
    await deploy(steps[0]);
    await expect(deploy(steps[1])).rejects.toThrow(RefusedError);
    later(BAKE + 60_000);
    await expect(deploy(steps[1])).resolves.toMatchObject({ greenPercent: steps[1] });
    expect(aws.live().green).toBe(steps[1]);
  });
});

describe('a re-apply never raises green past a rollback', () => {
  test('a listener reset after a rollback that could not be recorded keeps blue alone when the alarm fired since the step began', async () => {
    await rolledOutTo(steps[1]);
    aws.setAlarm('ALARM', now);
    aws.failures.set('PutParameter', Object.assign(new Error('down'), { name: 'InternalServerError' }));
    await expect(alarmRollback(now)).rejects.toThrow(/could not record/);
    aws.failures.delete('PutParameter');
    later(10 * 60_000);
    aws.setAlarm('OK', now);
    later(HOUR);
    // A deploy that changes the listener: CloudFormation puts the template's action back, then the controller runs.
    aws.defaultActions = [templateAction()];
    await expect(deploy(steps[1])).rejects.toThrow(/a rollback that was not recorded/);
    expect(aws.live().green).toBe(0);
    expect(aws.state()).toMatchObject({ greenPercent: 0, lastRollback: { trigger: 'found by a deploy' } });
    await expect(deploy(steps[1])).rejects.toThrow(/GreenPercent=0/);
    await deploy(0);
    await expect(deploy(steps[0])).resolves.toMatchObject({ greenPercent: steps[0] });
  });

  test('a listener reset is not re-applied while the rollback alarm cannot be read, and nothing is recorded as rolled back', async () => {
    await rolledOutTo(steps[1]);
    aws.defaultActions = [templateAction()];
    aws.alarmExists = false;
    await expect(deploy(steps[1])).rejects.toThrow(/rollback alarm cannot be read/);
    expect(aws.live().green).toBe(0);
    aws.alarmExists = true;
    await expect(deploy(steps[1])).resolves.toMatchObject({ result: 'reapplied', greenPercent: steps[1] });
  });

  test("a lower share than recorded, asked while the listener lost green's traffic, runs the same checks", async () => {
    await rolledOutTo(steps[2]);
    aws.setAlarm('ALARM', now);
    aws.setAlarm('OK', new Date(now.getTime() + 60_000));
    later(HOUR);
    aws.defaultActions = [templateAction()];
    await expect(deploy(steps[0])).rejects.toThrow(/a rollback that was not recorded/);
    expect(aws.live().green).toBe(0);
  });
});

describe('a rollback records the share that was live', () => {
  test('read from the listener, not from the record', async () => {
    await rolledOutTo(steps[1]);
    aws.defaultActions = [templateAction()];
    aws.defaultActions[0].ForwardConfig!.TargetGroups![0].Weight = 50;
    aws.defaultActions[0].ForwardConfig!.TargetGroups![1].Weight = 50;
    await alarmRollback(now);
    const state = aws.state() as { lastRollback: { fromGreenPercent: number }; changes: object[] };
    expect(state.lastRollback.fromGreenPercent).toBe(50);
    expect(state.changes[0]).toMatchObject({ kind: 'rollback', from: 50, to: 0 });
    expect(aws.published[0].message).toContain('Green had 50 % of live traffic');
  });

  test('from the record when the listener cannot be read first, and blue alone all the same', async () => {
    await rolledOutTo(steps[1]);
    let reads = 0;
    aws.onCall = (name) => {
      if (name === 'DescribeListeners' && reads++ === 0) aws.failures.set('DescribeListeners', new Error('timeout'));
      else if (name === 'ModifyListener') aws.failures.delete('DescribeListeners');
    };
    await alarmRollback(now);
    expect(aws.live().blueAlone).toBe(true);
    expect(aws.state()).toMatchObject({ lastRollback: { fromGreenPercent: steps[1] } });
  });
});

describe('a new custom resource (Create)', () => {
  test('on the same listener keeps the state, an unacknowledged rollback included', async () => {
    await rolledOutTo(steps[0]);
    await alarmRollback(now);
    await expect(controller.applyDeploy({ intent: steps[0] }, 'stack', { origin: 'user-deploy', created: true })).rejects.toThrow(/GreenPercent=0/);
  });
});
