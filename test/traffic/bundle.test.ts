/**
 * The README's resume procedure on the bundled controller: the function code exactly as the stack
 * deploys it (its esbuild bundle in the cloud assembly), invoked as Lambda invokes it, with the AWS
 * SDK answered from the in-memory AWS and CloudFormation's response URL caught at `fetch`.
 * 5 % → rollback alarm → blue alone → GreenPercent=0 → GreenPercent=5 serves 5 %.
 * And the schedule's tick: with AUTO_ADVANCE it reaches the controller, without it it is ignored.
 */
import * as fs from 'fs';
import * as path from 'path';
import { functionBundle } from '../support/bundle';
import { REPO_ROOT } from '../support/context';
import { captureStdoutAsync } from '../support/stdout';
import { synthAssembly } from '../support/synth';
import { SETTINGS_VARIABLES, TICK_ACTION } from '../../common/payloads';
import { PAGE_SUBJECTS } from '../../lambda/traffic/controller';
import { customResourceEvent } from './cloudformation';
import { controllerEnvironment, FakeAws, HANDS_FREE_SETTINGS, SETTINGS, templateAction } from './fake-aws';

type Handler = (event: unknown) => Promise<unknown>;
let handler: Handler;
/** The same bundle, loaded with the environment of a stack with rollout.autoAdvance (its settings are read once, as it loads). */
let handsFreeHandler: Handler;
const answers: { Status: string; Reason: string }[] = [];
const realFetch = global.fetch;
let aws: FakeAws;
const bundleDir = path.join(REPO_ROOT, 'cdk.out', `controller-bundle-${process.pid}`);
const handsFreeBundleDir = `${bundleDir}-hands-free`;
const HOUR = 3_600_000;

beforeAll(() => {
  const controller = functionBundle(synthAssembly('prod'), 'TrafficControlController');
  Object.assign(process.env, controllerEnvironment('production'), { POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR' });
  aws = new FakeAws({ classLevel: true });
  global.fetch = (async (_url: unknown, init?: { body?: string }) => {
    answers.push(JSON.parse(String(init?.body)));
    return new Response(null, { status: 200 });
  }) as typeof fetch;
  // The bundle leaves the AWS SDK to the Lambda runtime; inside the repository it finds the project's copy.
  fs.cpSync(controller.directory, bundleDir, { recursive: true });
  handler = load(bundleDir);
  Object.assign(process.env, controllerEnvironment('production', { handsFree: true }));
  fs.cpSync(controller.directory, handsFreeBundleDir, { recursive: true });
  handsFreeHandler = load(handsFreeBundleDir);
  for (const key of ['autoAdvance', 'noticeTopicArn'] as const) delete process.env[SETTINGS_VARIABLES[key]];
});

/** The bundle's handler from its own copy (a module loads once per path), quiet: its log lines and metrics are asserted on the source in handler.test.ts. */
function load(directory: string): Handler {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bundled = (require(path.join(directory, 'index.js')) as { handler: Handler }).handler;
  return async (event) => (await captureStdoutAsync(() => bundled(event))).result;
}

afterAll(() => {
  global.fetch = realFetch;
  fs.rmSync(bundleDir, { recursive: true, force: true });
  fs.rmSync(handsFreeBundleDir, { recursive: true, force: true });
});

test("the README's resume procedure works on the deployed bundle", async () => {
  const first = SETTINGS.policy.steps[0];
  const deploy = async (to: number, from: number) => {
    aws.stack = { status: 'UPDATE_IN_PROGRESS', greenPercent: String(to), rolloutOverride: '' };
    await handler(
      customResourceEvent('Update', { GreenPercent: String(to), ListenerFingerprint: 'l' }, { GreenPercent: String(from), ListenerFingerprint: 'l' }),
    );
    return answers[answers.length - 1];
  };
  expect(await deploy(first, 0)).toMatchObject({ Status: 'SUCCESS' });
  expect(aws.live().green).toBe(first);

  aws.setAlarm('ALARM', new Date());
  await handler({
    'source': 'aws.cloudwatch',
    'detail-type': 'CloudWatch Alarm State Change',
    'detail': {
      alarmName: SETTINGS.rollbackAlarmName,
      state: { value: 'ALARM', reason: 'bundle test', timestamp: new Date().toISOString().replace('Z', '+0000') },
    },
  });
  expect(aws.live()).toEqual({ green: 0, blueAlone: true, sticky: false });
  aws.setAlarm('OK', new Date());

  expect(await deploy(first, 0)).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('GreenPercent=0') });
  expect(await deploy(0, first)).toMatchObject({ Status: 'SUCCESS' });
  expect(await deploy(first, 0)).toMatchObject({ Status: 'SUCCESS' });
  expect(aws.live()).toEqual({ green: first, blueAlone: false, sticky: true });
});

describe("the schedule's tick on the deployed bundle", () => {
  beforeEach(() => {
    // A fresh stack: no record, the template's action, a quiet alarm with no history.
    aws.parameters.clear();
    aws.defaultActions = [templateAction()];
    aws.setAlarm('OK', new Date());
    aws.alarmHistory.length = 0;
    aws.calls.length = 0;
    aws.published.length = 0;
  });

  test('with AUTO_ADVANCE, reaches the controller: it waits out the bake, then moves green one step and sends a notice', async () => {
    const [first, second] = SETTINGS.policy.steps;
    const last = SETTINGS.policy.steps[SETTINGS.policy.steps.length - 1];
    aws.stack = { status: 'UPDATE_IN_PROGRESS', greenPercent: String(last), rolloutOverride: '' };
    await handsFreeHandler(
      customResourceEvent('Update', { GreenPercent: String(last), ListenerFingerprint: 'l' }, { GreenPercent: '0', ListenerFingerprint: 'l' }),
    );
    expect(answers[answers.length - 1]).toMatchObject({ Status: 'SUCCESS' });
    expect(aws.live().green).toBe(first);
    aws.stack = { ...aws.stack, status: 'UPDATE_COMPLETE' };

    const calls = aws.calls.length;
    expect(await handsFreeHandler({ action: TICK_ACTION })).toMatchObject({ result: 'unchanged', greenPercent: first, target: last });
    expect(aws.calls.slice(calls)).toEqual(expect.arrayContaining(['GetParameter', 'DescribeListeners', 'DescribeStacks', 'DescribeTargetHealth']));
    expect(aws.record()?.handsFree?.waiting?.why).toContain(`the bake at ${first} %`);

    // The bundle runs on the machine's clock: the record says green has served the first step for a day and an hour.
    const state = aws.record();
    aws.parameters.set(
      SETTINGS.stateParameterName,
      JSON.stringify({ ...state, stepStartedAt: new Date(Date.now() - SETTINGS.policy.bakeTimeHours * HOUR - HOUR).toISOString() }),
    );
    expect(await handsFreeHandler({ action: TICK_ACTION })).toMatchObject({ result: 'changed', greenPercent: second, target: last });
    expect(aws.live().green).toBe(second);
    expect(aws.published).toEqual([
      expect.objectContaining({ topic: HANDS_FREE_SETTINGS.noticeTopicArn, subject: PAGE_SUBJECTS.advanced(SETTINGS.envName, second) }),
    ]);
  });

  test('without AUTO_ADVANCE, is ignored: nothing is read or written', async () => {
    expect(await handler({ action: TICK_ACTION })).toEqual({ ignored: expect.stringContaining('rollout.autoAdvance is off') });
    expect(aws.calls).toEqual([]);
  });
});
