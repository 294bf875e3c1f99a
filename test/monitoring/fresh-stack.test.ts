/**
 * A new environment alerts no one falsely: every alarm, evaluated with no data point since it was
 * created, stays out of ALARM and runs no alarm or silence action; and the health check going
 * silent after it has reported still notifies someone (docs/design.md "Alarms on a fresh stack").
 */
import fc from 'fast-check';
import { numRuns } from '../support/properties';
import { DataPoint, run } from '../support/alarm-state';
import { Cfn, resourcesOfType } from '../support/resources';
import { build, Built } from '../support/synth';
import { environmentNames } from '../../common/names';

const builds = {} as Record<'dev' | 'prod', Built>;
beforeAll(() => {
  builds.dev = build('dev');
  builds.prod = build('prod');
});
const alarms = (env: 'dev' | 'prod'): [string, Cfn][] => resourcesOfType(builds[env], 'AWS::CloudWatch::Alarm').map(([id, r]) => [id, r.Properties]);

describe.each(['dev', 'prod'] as const)('%s', (env) => {
  test('no alarm treats missing data as breaching (a fresh stack has none yet)', () => {
    const breaching = alarms(env).filter(([, p]) => p.TreatMissingData === 'breaching');
    expect(breaching.map(([id]) => id)).toEqual([]);
  });

  test("every number of evaluations with no data since creation, past each alarm's window: no alarm enters ALARM, none runs an alarm or silence action", () => {
    for (const [id, props] of alarms(env)) {
      // The outcome can change only until the evaluation window is full; one more shows it settled.
      const window = Math.max(Number(props.EvaluationPeriods ?? 1), Number(props.DatapointsToAlarm ?? 1)) + 1;
      const seen = run(props, Array<DataPoint>(window).fill(undefined));
      const alerted = seen.filter((e) => e.state !== 'OK' && e.actions.length > 0);
      expect({ id, states: [...new Set(seen.map((e) => e.state))].filter((s) => s === 'ALARM'), alerted }).toEqual({ id, states: [], alerted: [] });
    }
  });

  test('the health check going silent after it reported notifies the high topic, whatever it reported before', () => {
    const [, uptime] = alarms(env).find(([, p]) => p.AlarmName === environmentNames(builds[env].config.envName).alarm('UPTIME_LOW'))!;
    const silence = Number(uptime.EvaluationPeriods);
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 48 }), fc.integer({ min: silence, max: silence + 24 }), (reported, silent) => {
        const seen = run(uptime, [...reported, ...Array<DataPoint>(silent).fill(undefined)]);
        const afterSilence = seen.slice(reported.length);
        // Someone hears: ALARM already notified, or the silence itself does.
        const notified =
          seen.slice(0, reported.length).some((e) => e.state === 'ALARM' && e.actions.length > 0) ||
          afterSilence.some((e) => e.actions.length > 0 && e.state !== 'OK');
        expect(afterSilence.at(-1)!.state).not.toBe('OK');
        expect(notified).toBe(true);
        for (const e of afterSilence.filter((a) => a.actions.length > 0)) expect(e.actions).toEqual(uptime.AlarmActions);
      }),
      { numRuns: numRuns(200) },
    );
  });
});
