/**
 * One benchmark process: loads the deployed controller bundle with in-process AWS mocks and times
 * rollback events from the handler call to the moment ModifyListener is issued. The first event is
 * the cold one (module load and client construction included); the rest are warm.
 * Usage: tsx benchmark/rollback-invoke.ts <bundle/index.js> <warm invocations>
 */
import { performance } from 'perf_hooks';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DescribeListenersCommand, ElasticLoadBalancingV2Client, ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { environmentNames } from '../common/names';
import { controllerEnvironment } from '../common/payloads';

const [bundle, warmRuns] = [process.argv[2], Number(process.argv[3] ?? 0)];
const names = environmentNames('prod');
const listenerArn = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/boop/abc/def';
const blue = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/blue/1';
const green = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/green/2';
Object.assign(
  process.env,
  controllerEnvironment({
    envName: 'prod',
    metricEnvironment: 'production',
    listenerArn,
    stackId: `arn:aws:cloudformation:eu-west-1:111122223333:stack/${names.stack}/bench`,
    blueTargetGroupArn: blue,
    greenTargetGroupArn: green,
    stateParameterName: names.parameters.trafficState,
    rollbackAlarmName: names.rollbackAlarm,
    criticalTopicArn: 'arn:aws:sns:eu-west-1:111122223333:critical',
    rolloutSteps: '[5,25,50,100]',
    bakeTimeHours: '24',
    stickinessSeconds: '86400',
    releaseGuard: 'true',
    scaleGreenToZero: 'true',
  }),
  { AWS_REGION: 'eu-west-1', POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR' },
);

let issuedAt = 0;
const state = JSON.stringify({ version: 1, intent: 25, greenPercent: 25, stepStartedAt: '2026-01-01T00:00:00.000Z', changes: [] });
mockClient(SSMClient)
  .on(GetParameterCommand)
  .resolves({ Parameter: { Value: state } })
  .on(PutParameterCommand)
  .resolves({});
mockClient(ElasticLoadBalancingV2Client)
  .on(ModifyListenerCommand)
  .callsFake(() => {
    issuedAt = performance.now();
    return {};
  })
  .on(DescribeListenersCommand)
  .resolves({
    Listeners: [
      {
        ListenerArn: listenerArn,
        DefaultActions: [
          { Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: blue, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false } } },
        ],
      },
    ],
  });
mockClient(SNSClient).on(PublishCommand).resolves({});
mockClient(CloudWatchClient);

const event = (i: number) => ({
  'source': 'aws.cloudwatch',
  'detail-type': 'CloudWatch Alarm State Change',
  'detail': { alarmName: names.rollbackAlarm, state: { value: 'ALARM', reason: 'bench', timestamp: new Date(Date.now() + i).toISOString() } },
});

async function main() {
  const loadStart = performance.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { handler } = require(bundle) as { handler: (event: unknown) => Promise<unknown> };
  await handler(event(0));
  const cold = issuedAt - loadStart;
  // performance.now() counts from process start: node, tsx, the AWS SDK and the mocks are all in it.
  const sinceProcessStart = issuedAt;
  const warm: number[] = [];
  for (let i = 1; i <= warmRuns; i++) {
    const start = performance.now();
    await handler(event(i));
    warm.push(issuedAt - start);
  }
  process.stdout.write(JSON.stringify({ cold, sinceProcessStart, warm }) + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
