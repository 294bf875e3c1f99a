/**
 * The release guard alone, one row per rule: which images a deploy may give the slots, given the
 * record, the live listener and (for a promotion) the rollback alarm. Steps and bake come from
 * production's configured rollout, never copies.
 */
import { IMAGE_PARAMETERS } from '../../common/names';
import { RiseEvidence, RolloutPolicy } from '../../common/traffic/policy';
import { decideRelease, ReleaseDecision, releaseEvidenceNeeded, ReleaseFacts } from '../../common/traffic/release';
import { currentRelease, initialState, recordRollback, SlotImages, TrafficState } from '../../common/traffic/state';
import { releasedAt, serving } from './positions';
import { LiveWeights } from '../../common/traffic/weights';
import { PRODUCTION_ROLLOUT } from '../../lib/guides';

const HOUR = 3_600_000;
const NOW = new Date('2026-11-21T10:00:00.000Z');
const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/boop/abc/def';
const POLICY: RolloutPolicy = PRODUCTION_ROLLOUT;
const FIRST = POLICY.steps[0];
const BAKED = POLICY.bakeTimeHours * HOUR + 60_000;
const V1 = 'registry.example/boop-integration:1.0.0';
const V2 = 'registry.example/boop-integration:2.0.0';
const V3 = 'registry.example/boop-integration:3.0.0';
const CLEAN: RiseEvidence = { greenHealthyTargets: 1, rollbackAlarmFound: true, rollbackAlarmInAlarm: false, rollbackAlarmFiredSinceStepStart: false };

/** Green running `images.green` at `share` for `sinceMs`, blue running `images.blue`. */
function position(share: number, images: SlotImages, sinceMs = BAKED): TrafficState {
  return releasedAt(share, images, new Date(NOW.getTime() - sinceMs), NOW, LISTENER);
}

function decide(
  stored: TrafficState,
  request: { images: SlotImages; intent?: number; overrideReason?: string },
  options: { live?: LiveWeights; guarded?: boolean; evidence?: RiseEvidence; origin?: ReleaseFacts['origin'] } = {},
): ReleaseDecision {
  const facts: ReleaseFacts = {
    stored,
    live: options.live ?? serving(stored.greenPercent),
    listenerArn: LISTENER,
    request: { intent: request.intent ?? stored.intent, images: request.images, overrideReason: request.overrideReason },
    origin: options.origin ?? 'user-deploy',
    guarded: options.guarded ?? true,
    requestedBy: 'test',
    now: NOW,
  };
  const evidence = releaseEvidenceNeeded(facts) ? (options.evidence ?? CLEAN) : undefined;
  return decideRelease(facts, POLICY, evidence);
}

const refusal = (decision: ReleaseDecision) => (decision.outcome === 'refuse' ? decision.message : undefined);

describe("green's image changes only while green serves 0 %", () => {
  test.each(POLICY.steps.filter((step) => step < 100))(
    'green at %i %: a new image with GreenPercent unchanged is refused with the command that works',
    (share) => {
      const message = refusal(decide(position(share, { blue: V1, green: V2 }), { images: { blue: V1, green: V3 } }));
      expect(message).toContain(`green serves ${share} %`);
      expect(message).toContain(`--parameters ${IMAGE_PARAMETERS.green}=${V3} --parameters GreenPercent=0`);
      expect(message).toContain('rolloutOverride');
    },
  );

  test.each(POLICY.steps)('green at %i %: with GreenPercent=0 it is accepted, green lowered first, a new release recorded', (share) => {
    const decision = decide(position(share, { blue: V1, green: V2 }), { images: { blue: V1, green: V3 }, intent: 0 });
    expect(decision).toMatchObject({ outcome: 'accept', lowerGreenFirst: { from: share, to: 0, kind: 'deploy' } });
    if (decision.outcome !== 'accept') return;
    expect(decision.steps[0]).toBe(`green ${share} % → 0 %, before its tasks are replaced`);
    expect(decision.record).toMatchObject({ greenPercent: 0, intent: 0, images: { green: V3 } });
    expect(currentRelease(decision.record!)).toMatchObject({ image: V3, releasedAt: NOW.toISOString(), steps: [] });
  });

  test('green at 0 %: a new image is accepted with any GreenPercent (the weights then allow only the first step), nothing lowered', () => {
    for (const intent of [0, FIRST, 100]) {
      const decision = decide(position(0, { blue: V1, green: V2 }), { images: { blue: V1, green: V3 }, intent });
      expect(decision).toMatchObject({ outcome: 'accept' });
      expect(decision.outcome === 'accept' && decision.lowerGreenFirst).toBeFalsy();
    }
  });

  test('the listener lost the share (CloudFormation reset it) but the record still gives green traffic: still refused', () => {
    const reset = { greenPercent: 0, blueAlone: false, stickinessEnabled: false };
    const message = refusal(decide(position(25, { blue: V1, green: V2 }), { images: { blue: V1, green: V3 } }, { live: reset }));
    expect(message).toContain('green serves 25 %');
  });

  test('blue alone while the record gives green traffic is a rollback whose record was lost: refused like an unacknowledged one', () => {
    const message = refusal(decide(position(25, { blue: V1, green: V2 }), { images: { blue: V1, green: V3 } }, { live: serving(0) }));
    expect(message).toContain('a rollback that was not recorded');
    expect(message).toContain('deploy once with --parameters GreenPercent=0');
  });
});

describe('blue is the known-good: it changes only by promotion', () => {
  const atFull = position(100, { blue: V1, green: V2 });

  test("to any image but green's, refused with the way to release it", () => {
    const message = refusal(decide(atFull, { images: { blue: V3, green: V2 } }));
    expect(message).toContain('blue is the known-good release');
    expect(message).toContain(`--parameters ${IMAGE_PARAMETERS.green}=${V3} --parameters GreenPercent=0`);
  });

  test.each([0, ...POLICY.steps.filter((step) => step < 100)])("to green's image while green serves %i %, refused", (share) => {
    expect(refusal(decide(position(share, { blue: V1, green: V2 }), { images: { blue: V2, green: V2 } }))).toContain(
      `a promotion needs green at 100 % and blue serving nothing, and green serves ${share} %`,
    );
  });

  test('before the bake at 100 % is over, refused with when it is allowed', () => {
    const started = position(100, { blue: V1, green: V2 }, HOUR);
    const allowed = new Date(Date.parse(started.stepStartedAt) + POLICY.bakeTimeHours * HOUR).toISOString();
    expect(refusal(decide(started, { images: { blue: V2, green: V2 } }))).toContain(`the promotion is allowed from ${allowed}`);
  });

  test.each([
    ['in ALARM now', { ...CLEAN, rollbackAlarmInAlarm: true }, 'is in ALARM now'],
    ['fired during the bake', { ...CLEAN, rollbackAlarmFiredSinceStepStart: true }, 'entered ALARM during the bake at 100 %'],
    ['unreadable', { ...CLEAN, rollbackAlarmFound: false }, 'cannot be read'],
  ])('the rollback alarm %s: refused', (_name, evidence, says) => {
    expect(refusal(decide(atFull, { images: { blue: V2, green: V2 } }, { evidence }))).toContain(says);
  });

  test('after a clean bake at 100 %: accepted, and the release is marked promoted', () => {
    const decision = decide(atFull, { images: { blue: V2, green: V2 } });
    expect(decision).toMatchObject({ outcome: 'accept', record: { images: { blue: V2, green: V2 } } });
    if (decision.outcome === 'accept') expect(currentRelease(decision.record!)).toMatchObject({ image: V2, promotedAt: NOW.toISOString() });
  });

  test('with an override, a promotion goes through without the alarm being read, before or after the bake', () => {
    for (const state of [atFull, position(100, { blue: V1, green: V2 }, HOUR)]) {
      const facts = { images: { blue: V2, green: V2 }, overrideReason: 'INC-9' };
      expect(decide(state, facts, { evidence: undefined })).toMatchObject({ outcome: 'accept', record: { images: { blue: V2 } } });
    }
  });

  test('both slots at once: refused, one slot per deploy', () => {
    expect(refusal(decide(atFull, { images: { blue: V2, green: V3 } }))).toContain('one slot per deploy');
  });
});

describe('what every deploy meets', () => {
  test('while a rollback is unacknowledged, any GreenPercent above 0 is refused, with or without new images', () => {
    const rolledBack = recordRollback(position(FIRST, { blue: V1, green: V2 }), {
      trigger: 'alarm',
      why: 'test',
      by: 'test',
      fromGreenPercent: FIRST,
      at: NOW.toISOString(),
      triggeredAt: NOW.toISOString(),
    });
    for (const images of [
      { blue: V1, green: V2 },
      { blue: V1, green: V3 },
    ]) {
      expect(refusal(decide(rolledBack, { images, intent: FIRST }))).toContain('Nothing moves green again until the rollback is acknowledged');
      expect(decide(rolledBack, { images, intent: 0 })).toMatchObject({ outcome: 'accept' });
    }
  });

  test('an override lets a refused change through once and records its reason on the release', () => {
    const decision = decide(position(25, { blue: V1, green: V2 }), { images: { blue: V1, green: V3 }, overrideReason: 'INC-42' });
    expect(decision).toMatchObject({ outcome: 'accept', letThrough: expect.stringContaining('override: INC-42') });
    if (decision.outcome !== 'accept') return;
    // The new image serves at once: its step and bake start now.
    expect(decision.record).toMatchObject({ stepStartedAt: NOW.toISOString() });
    expect(currentRelease(decision.record!)).toMatchObject({ image: V3, override: 'INC-42', steps: [{ percent: 25 }] });
  });

  test('rollout.releaseGuard off: every change goes through, and is recorded as let through', () => {
    const decision = decide(position(100, { blue: V1, green: V2 }), { images: { blue: V3, green: V2 } }, { guarded: false });
    expect(decision).toMatchObject({ outcome: 'accept', letThrough: expect.stringContaining('rollout.releaseGuard is off') });
  });

  test("CloudFormation's rollback of a failed deploy is never refused and puts the previous images in the record", () => {
    const decision = decide(position(25, { blue: V1, green: V3 }), { images: { blue: V1, green: V2 }, intent: 50 }, { origin: 'cloudformation-rollback' });
    expect(decision).toMatchObject({ outcome: 'accept', record: { images: { blue: V1, green: V2 } } });
  });

  test('the first deploy the guard sees records the images as they are', () => {
    const decision = decide({ ...initialState(NOW), listenerArn: LISTENER }, { images: { blue: V1, green: V2 }, intent: 0 });
    expect(decision).toMatchObject({ outcome: 'accept', record: { images: { blue: V1, green: V2 }, releases: [{ image: V2 }] } });
  });

  test('no image change: accepted with nothing to do', () => {
    expect(decide(position(25, { blue: V1, green: V2 }), { images: { blue: V1, green: V2 } })).toMatchObject({
      outcome: 'accept',
      steps: ['no image changes'],
    });
  });
});
