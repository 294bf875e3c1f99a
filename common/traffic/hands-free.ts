/**
 * The hands-free rollout (rollout.autoAdvance, docs/design.md "Hands-free rollout"): a deploy's
 * GreenPercent is a target, and a schedule's tick moves green one step toward it whenever a deploy
 * of that step would be accepted now. Every decision is the rollout policy's (policy.ts).
 */

/** How often the schedule ticks: a step waits at most this long after its bake is over. */
export const TICK_INTERVAL_MINUTES = 15;
