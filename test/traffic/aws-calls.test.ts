/**
 * Nothing waits forever, nothing retries twice: the controller's real SDK clients, configured as the
 * handler configures them, against local servers on 127.0.0.1 that throttle or never answer.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DescribeListenersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { TrafficController } from '../../lambda/traffic/controller';
import { AWS_CALL_LIMITS, boundedClientConfig } from '../../lambda/support/aws-clients';
import { SETTINGS } from './fake-aws';

const THROTTLED =
  '<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><Error><Type>Sender</Type>' +
  '<Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>';
const NO_LISTENERS =
  '<DescribeListenersResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><DescribeListenersResult>' +
  '<Listeners/></DescribeListenersResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeListenersResponse>';

/** A local server; `answer` decides each request's fate (undefined: never answer). */
async function server(answer: (count: number) => { status: number; body: string } | undefined) {
  let count = 0;
  const open = new Set<http.ServerResponse>();
  const s = http.createServer((request, response) => {
    request.resume();
    const reply = answer(++count);
    if (reply) response.writeHead(reply.status, { 'content-type': 'text/xml' }).end(reply.body);
    else open.add(response);
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    requests: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of open) r.destroy();
        s.closeAllConnections();
        s.close(() => resolve());
      }),
  };
}

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

test('an endless throttle is tried exactly maxAttempts times in all, by the SDK alone', async () => {
  const elbv2 = await server(() => ({ status: 400, body: THROTTLED }));
  try {
    const client = new ElasticLoadBalancingV2Client({ ...boundedClientConfig(), region: SETTINGS.region, endpoint: elbv2.endpoint, credentials });
    await expect(client.send(new DescribeListenersCommand({ ListenerArns: [SETTINGS.listenerArn] }))).rejects.toMatchObject({ name: 'Throttling' });
    expect(elbv2.requests()).toBe(AWS_CALL_LIMITS.maxAttempts);
  } finally {
    await elbv2.close();
  }
});

test('a throttle that passes is retried through to the answer', async () => {
  const elbv2 = await server((n) => (n < AWS_CALL_LIMITS.maxAttempts ? { status: 400, body: THROTTLED } : { status: 200, body: NO_LISTENERS }));
  try {
    const client = new ElasticLoadBalancingV2Client({ ...boundedClientConfig(), region: SETTINGS.region, endpoint: elbv2.endpoint, credentials });
    await expect(client.send(new DescribeListenersCommand({ ListenerArns: [SETTINGS.listenerArn] }))).resolves.toMatchObject({ Listeners: [] });
    expect(elbv2.requests()).toBe(AWS_CALL_LIMITS.maxAttempts);
  } finally {
    await elbv2.close();
  }
});

test("a call that is never answered ends after its attempts' request timeouts", async () => {
  const hanging = await server(() => undefined);
  const limits = { connectionTimeoutMs: 200, requestTimeoutMs: 300, maxAttempts: 2 };
  try {
    const client = new ElasticLoadBalancingV2Client({ ...boundedClientConfig(limits), region: SETTINGS.region, endpoint: hanging.endpoint, credentials });
    const started = Date.now();
    await expect(client.send(new DescribeListenersCommand({ ListenerArns: [SETTINGS.listenerArn] }))).rejects.toBeDefined();
    // The bound is attempts × request timeout; the slack covers back-off and scheduling, not a hang.
    expect(Date.now() - started).toBeLessThan(limits.maxAttempts * limits.requestTimeoutMs + 2_000);
    expect(hanging.requests()).toBe(limits.maxAttempts);
  } finally {
    await hanging.close();
  }
});

test("a rollback whose AWS never answers ends at the invocation's deadline and fails (for Lambda's retries and the dead-letter queue)", async () => {
  const hanging = await server(() => undefined);
  // Long request timeouts: only the deadline can end this run.
  const config = {
    ...boundedClientConfig({ connectionTimeoutMs: 60_000, requestTimeoutMs: 60_000, maxAttempts: 3 }),
    region: SETTINGS.region,
    endpoint: hanging.endpoint,
    credentials,
  };
  const deadlineMs = 1_000;
  const controller = new TrafficController(
    SETTINGS,
    {
      elb: new ElasticLoadBalancingV2Client(config),
      ssm: new SSMClient(config),
      cloudwatch: new CloudWatchClient(config),
      sns: new SNSClient(config),
      cloudformation: new CloudFormationClient(config),
      autoScaling: new ApplicationAutoScalingClient(config),
    },
    {
      now: () => new Date(),
      metric: () => undefined,
      log: { info: () => undefined, warn: () => undefined, error: () => undefined },
      deadline: AbortSignal.timeout(deadlineMs),
    },
  );
  try {
    const started = Date.now();
    await expect(controller.rollback({ trigger: 'manual', triggeredAt: new Date(), why: 'test', by: 'test' })).rejects.toBeDefined();
    expect(Date.now() - started).toBeLessThan(deadlineMs + 2_000);
  } finally {
    await hanging.close();
  }
});
