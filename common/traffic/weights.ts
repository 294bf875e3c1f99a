import type { Action, Listener } from '@aws-sdk/client-elastic-load-balancing-v2';

/** Each slot's target group ARN. */
export interface SlotTargetGroups {
  readonly blue: string;
  readonly green: string;
}

/** What the listener's default action does with traffic right now. */
export interface LiveWeights {
  /** Green's share, percent of the weight total; 0 when green is absent. */
  readonly greenPercent: number;
  /** True when the action forwards to blue's target group and nothing else. */
  readonly blueAlone: boolean;
  readonly stickinessEnabled: boolean;
}

export class UnexpectedListenerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnexpectedListenerError';
  }
}

/**
 * The default action for green's share. 0 forwards to blue alone and 100 to green alone, with
 * stickiness off: on an ALB stickiness beats weights, so a sticky client would keep reaching a
 * slot whose weight is 0. In between both slots share traffic and clients stick to the slot
 * they reached, so a user's session stays on one system during a step.
 */
export function forwardAction(targetGroups: SlotTargetGroups, greenPercent: number, stickinessSeconds: number): Action {
  const only = (arn: string): Action => ({
    Type: 'forward',
    ForwardConfig: { TargetGroups: [{ TargetGroupArn: arn, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false } },
  });
  if (greenPercent <= 0) return only(targetGroups.blue);
  if (greenPercent >= 100) return only(targetGroups.green);
  return {
    Type: 'forward',
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: targetGroups.blue, Weight: 100 - greenPercent },
        { TargetGroupArn: targetGroups.green, Weight: greenPercent },
      ],
      TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: stickinessSeconds },
    },
  };
}

/** Reads green's share from the listener's default action; anything but a forward to our two slots is an error. */
export function readLiveWeights(listener: Listener, targetGroups: SlotTargetGroups): LiveWeights {
  const actions = listener.DefaultActions ?? [];
  const forward = actions.find((a) => a.Type === 'forward');
  if (!forward || actions.length !== 1) {
    throw new UnexpectedListenerError(`the listener's default action is not a single forward (found: ${actions.map((a) => a.Type).join(', ') || 'none'})`);
  }
  const groups = forward.ForwardConfig?.TargetGroups ?? (forward.TargetGroupArn ? [{ TargetGroupArn: forward.TargetGroupArn, Weight: 1 }] : []);
  const known = new Set([targetGroups.blue, targetGroups.green]);
  const foreign = groups.filter((g) => !known.has(g.TargetGroupArn ?? ''));
  if (foreign.length > 0) {
    throw new UnexpectedListenerError(`the listener forwards to target groups that are neither slot: ${foreign.map((g) => g.TargetGroupArn).join(', ')}`);
  }
  const weightOf = (arn: string) => groups.filter((g) => g.TargetGroupArn === arn).reduce((sum, g) => sum + (g.Weight ?? 1), 0);
  const blue = weightOf(targetGroups.blue);
  const green = weightOf(targetGroups.green);
  if (blue + green === 0) throw new UnexpectedListenerError('the listener forwards with all weights 0');
  return {
    greenPercent: Math.round((100 * green) / (blue + green)),
    blueAlone: groups.length > 0 && groups.every((g) => g.TargetGroupArn === targetGroups.blue),
    stickinessEnabled: forward.ForwardConfig?.TargetGroupStickinessConfig?.Enabled === true,
  };
}

/**
 * True when the live action sends traffic as `forwardAction` would for this share (the read-back
 * check). The template's blue 100 / green 0 counts as green 0: a weight of 0 without stickiness
 * sends green nothing, exactly like blue alone.
 */
export function matchesShare(live: LiveWeights, greenPercent: number): boolean {
  if (greenPercent <= 0) return live.greenPercent === 0 && !live.stickinessEnabled;
  if (greenPercent >= 100) return live.greenPercent === 100 && !live.stickinessEnabled;
  return live.greenPercent === greenPercent && live.stickinessEnabled;
}
