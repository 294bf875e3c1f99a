/**
 * Production's safety defaults: what an environment bound to BOOP production keeps unless its
 * configuration records why not, under `productionWaivers`. A waiver is shown by synth, in the
 * template (the ProductionWaivers output) and by `npm run rollout -- status`.
 */
import { PRODUCTION_ROLLOUT } from '../guides';
import { valueAt } from './fields';

/** The waivers, by the field under `productionWaivers` that records each. */
export const WAIVERS = ['bakeBelowGuide', 'firstStepAboveGuide', 'releaseGuardOff', 'noCriticalAlertTarget'] as const;
export type Waiver = (typeof WAIVERS)[number];

/** One safety default: where it is set, and how a configuration weakens it. */
export interface SafetyDefault {
  /** The field whose value weakens it (where a problem is reported). */
  readonly path: readonly string[];
  /** What production needs, completing "production needs …". */
  readonly needs: string;
  /** What the waiver sets aside, for its description and warning. */
  readonly setsAside: string;
  /** What `config` has instead (", got …", or '' where the need says it), or undefined when it keeps the default. Reads without trusting types. */
  readonly weakened: (config: unknown) => string | undefined;
}

const GUIDE = 'Migration Overview guide, "3. Staged Deployment Strategy"';

export const PRODUCTION_SAFETY: Readonly<Record<Waiver, SafetyDefault>> = {
  bakeBelowGuide: {
    path: ['rollout', 'bakeTimeHours'],
    needs: `a bake of at least ${PRODUCTION_ROLLOUT.bakeTimeHours} h at each step (${GUIDE})`,
    setsAside: `the ${PRODUCTION_ROLLOUT.bakeTimeHours} h bake at each step (${GUIDE})`,
    weakened: (config) => {
      const hours = valueAt(config, ['rollout', 'bakeTimeHours']);
      return typeof hours === 'number' && hours < PRODUCTION_ROLLOUT.bakeTimeHours ? `, got ${hours}` : undefined;
    },
  },
  firstStepAboveGuide: {
    path: ['rollout', 'steps'],
    needs: `a first step of at most ${PRODUCTION_ROLLOUT.steps[0]} % (${GUIDE})`,
    setsAside: `green's first step of at most ${PRODUCTION_ROLLOUT.steps[0]} % (${GUIDE})`,
    weakened: (config) => {
      const first = valueAt(config, ['rollout', 'steps', 0]);
      return typeof first === 'number' && first > PRODUCTION_ROLLOUT.steps[0] ? `, got ${first}` : undefined;
    },
  },
  releaseGuardOff: {
    path: ['rollout', 'releaseGuard'],
    needs: 'the release guard, so that new images reach users only through the steps',
    setsAside: 'the release guard, which keeps new images to the steps',
    weakened: (config) => (valueAt(config, ['rollout', 'releaseGuard']) === false ? ', got false' : undefined),
  },
  noCriticalAlertTarget: {
    path: ['alerts'],
    needs: 'at least one critical target (pagerDutyIntegrationUrlParameter, slack or emails.critical), or a rollback would page nobody',
    setsAside: 'a critical alert target, which a rollback pages',
    weakened: (config) => {
      const emails = valueAt(config, ['alerts', 'emails', 'critical']);
      const targets = [valueAt(config, ['alerts', 'pagerDutyIntegrationUrlParameter']), valueAt(config, ['alerts', 'slack'])];
      return targets.every((target) => target === undefined) && !(Array.isArray(emails) && emails.length > 0) ? '' : undefined;
    },
  },
};

/** The waivers a loaded configuration records, with their reasons, in the order of WAIVERS. */
export function recordedWaivers(waivers: Readonly<Partial<Record<Waiver, string>>>): readonly { readonly waiver: Waiver; readonly reason: string }[] {
  return WAIVERS.flatMap((waiver) => (waivers[waiver] === undefined ? [] : [{ waiver, reason: waivers[waiver].trim() }]));
}
