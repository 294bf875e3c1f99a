/** Where a stack stands, as the traffic record and the listener say it, for the policy tables. */
import type { SlotImages, TrafficState } from '../../common/traffic/state';
import { initialState } from '../../common/traffic/state';
import type { LiveWeights } from '../../common/traffic/weights';

/** The listener as the controller leaves it for a share: blue alone at 0, sticky only in between. */
export const serving = (share: number): LiveWeights => ({ greenPercent: share, blueAlone: share === 0, stickinessEnabled: share > 0 && share < 100 });

/** The record of green running `images.green` at `share` since `since`, blue running `images.blue`, on `listenerArn`. */
export function releasedAt(share: number, images: SlotImages, since: Date, now: Date, listenerArn: string): TrafficState {
  const at = since.toISOString();
  return {
    ...initialState(now),
    intent: share,
    greenPercent: share,
    stepStartedAt: at,
    listenerArn,
    images,
    releases: [{ image: images.green, releasedAt: at, steps: share > 0 ? [{ percent: share, at }] : [] }],
  };
}
