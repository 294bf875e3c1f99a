/**
 * The README's resume procedure on the bundled controller: the function code exactly as the stack
 * deploys it (its esbuild bundle in the cloud assembly), invoked as Lambda invokes it, with the AWS
 * SDK answered from the in-memory AWS and CloudFormation's response URL caught at `fetch`.
 * 5 % → rollback alarm → blue alone → GreenPercent=0 → GreenPercent=5 serves 5 %.
 */
import * as fs from 'fs';
import * as path from 'path';
import { functionBundle } from '../support/bundle';
import { REPO_ROOT } from '../support/context';
import { captureStdoutAsync } from '../support/stdout';
import { synthAssembly } from '../support/synth';
import { customResourceEvent } from './cloudformation';
import { controllerEnvironment, FakeAws, SETTINGS } from './fake-aws';

let handler: (event: unknown) => Promise<unknown>;
const answers: { Status: string; Reason: string }[] = [];
const realFetch = global.fetch;
let aws: FakeAws;
const bundleDir = path.join(REPO_ROOT, 'cdk.out', `controller-bundle-${process.pid}`);

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
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bundled = (require(path.join(bundleDir, 'index.js')) as { handler: typeof handler }).handler;
  // Its log lines and metrics are asserted on the source in handler.test.ts; here they would only be noise.
  handler = async (event) => (await captureStdoutAsync(() => bundled(event))).result;
});

afterAll(() => {
  global.fetch = realFetch;
  fs.rmSync(bundleDir, { recursive: true, force: true });
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
