import type { Action } from '@aws-sdk/client-elastic-load-balancing-v2';
import { forwardAction, matchesShare, readLiveWeights, UnexpectedListenerError } from '../../common/traffic/weights';
import { SETTINGS, templateAction } from './fake-aws';

const { targetGroups, stickinessSeconds } = SETTINGS;
const listener = (action: object) => ({ DefaultActions: [action as Action] });

describe('the action written for a green share reads back as that share', () => {
  test.each([0, 1, 5, 25, 50, 99, 100])('green %i %%', (share) => {
    const live = readLiveWeights(listener(forwardAction(targetGroups, share, stickinessSeconds)), targetGroups);
    expect(live.greenPercent).toBe(share);
    expect(matchesShare(live, share)).toBe(true);
    expect(live.stickinessEnabled).toBe(share > 0 && share < 100);
  });
});

describe('reading the live listener', () => {
  test("the template's blue 100 / green 0 is green 0", () => {
    expect(matchesShare(readLiveWeights(listener(templateAction()), targetGroups), 0)).toBe(true);
  });

  test('a sticky green 0 is not a rollback: sticky clients would still reach green', () => {
    const sticky = {
      ...templateAction(),
      ForwardConfig: { ...templateAction().ForwardConfig, TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 60 } },
    };
    expect(matchesShare(readLiveWeights(listener(sticky), targetGroups), 0)).toBe(false);
  });

  test('a forward to a target group that is neither slot is refused, not guessed', () => {
    const foreign = {
      Type: 'forward',
      ForwardConfig: { TargetGroups: [{ TargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/other/9', Weight: 1 }] },
    };
    expect(() => readLiveWeights(listener(foreign), targetGroups)).toThrow(UnexpectedListenerError);
  });

  test('a default action that is not a forward is refused', () => {
    expect(() => readLiveWeights(listener({ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }), targetGroups)).toThrow(
      /not a single forward/,
    );
  });
});
