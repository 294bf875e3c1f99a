/**
 * One rollback benchmark process: loads the deployed controller bundle and times rollback events
 * from the handler call to ModifyListener issued and to the read-back after it answered. The first
 * event is the cold one (the bundle's require included); the rest are warm, each after green is
 * put back at its step. benchmark/rollback.ts compiles this file and runs it with plain Node:
 *   node rollback-invoke.js <job.json>
 * With in-process mocks the AWS SDK is loaded before the timing (the mocks patch it); over the wire
 * it is not, so the cold figure counts the SDK's load as Lambda's init does, and every call goes
 * through a proxy in this process that notes when ModifyListener left and the read-back answered.
 */
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import { performance } from 'perf_hooks';
import { SETTINGS_VARIABLES } from '../common/payloads';
import { forwardAction } from '../common/traffic/weights';
import { BENCH_REGION, GREEN_BEFORE_ROLLBACK, RollbackJob, RollbackTiming, rollbackAlarmEvent, stateBeforeRollback } from './rollback-world';

type Handler = (event: unknown) => Promise<unknown>;

const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')) as RollbackJob;
/** performance.now() when this rollback's ModifyListener was issued, and when the listener read after it answered. */
let marks: { issued?: number; verified?: number } = {};

function noteCall(action: string | undefined): void {
  if (action === 'ModifyListener' && marks.issued === undefined) marks.issued = performance.now();
}
function noteAnswer(action: string | undefined): void {
  if (action === 'DescribeListeners' && marks.issued !== undefined && marks.verified === undefined) marks.verified = performance.now();
}

/** Installs in-memory AWS: a listener that keeps what ModifyListener wrote, the record, the topic. Returns the reset between runs. */
async function installMocks(): Promise<() => Promise<void>> {
  // require, not import(): the packages resolve through NODE_PATH, which only require reads.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { mockClient } = require('aws-sdk-client-mock') as typeof import('aws-sdk-client-mock');
  const elbv2 = require('@aws-sdk/client-elastic-load-balancing-v2') as typeof import('@aws-sdk/client-elastic-load-balancing-v2');
  const ssm = require('@aws-sdk/client-ssm') as typeof import('@aws-sdk/client-ssm');
  const sns = require('@aws-sdk/client-sns') as typeof import('@aws-sdk/client-sns');
  const autoScaling = require('@aws-sdk/client-application-auto-scaling') as typeof import('@aws-sdk/client-application-auto-scaling');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const { listenerArn, blue, green } = job.world;
  const atStep = () => [forwardAction({ blue, green }, GREEN_BEFORE_ROLLBACK, job.stickinessSeconds)];
  let live = atStep();
  mockClient(elbv2.ElasticLoadBalancingV2Client)
    .on(elbv2.ModifyListenerCommand)
    .callsFake((input: { DefaultActions: typeof live }) => {
      noteCall('ModifyListener');
      live = input.DefaultActions;
      return {};
    })
    .on(elbv2.DescribeListenersCommand)
    .callsFake(() => {
      const answer = { Listeners: [{ ListenerArn: listenerArn, DefaultActions: live }] };
      noteAnswer('DescribeListeners');
      return answer;
    });
  mockClient(ssm.SSMClient)
    .on(ssm.GetParameterCommand)
    .callsFake(() => ({ Parameter: { Value: stateBeforeRollback(listenerArn, new Date()) } }))
    .on(ssm.PutParameterCommand)
    .resolves({});
  mockClient(sns.SNSClient).on(sns.PublishCommand).resolves({ MessageId: 'bench' });
  // Emptying green comes after blue alone is verified, outside the measured span.
  mockClient(autoScaling.ApplicationAutoScalingClient).on(autoScaling.RegisterScalableTargetCommand).resolves({});
  return async () => {
    live = atStep();
  };
}

/** Starts the timing proxy in front of moto and points the SDK at it. Returns the reset between runs. */
async function throughProxy(): Promise<() => Promise<void>> {
  const upstream = new URL(job.world.motoEndpoint!);
  const agent = new http.Agent({ keepAlive: true });
  const proxy = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      // ELBv2 speaks the query protocol: the action is in the form body.
      const action = /(?:^|&)Action=(\w+)/.exec(body.toString('utf8'))?.[1];
      noteCall(action);
      const forward = http.request(
        { hostname: upstream.hostname, port: upstream.port, path: request.url, method: request.method, headers: request.headers, agent },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          response.on('finish', () => noteAnswer(action));
          answer.pipe(response);
        },
      );
      forward.on('error', (error) => response.writeHead(502).end(String(error)));
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    // moto's documented dummy credentials; nothing real signs these calls.
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
  });
  return async () => {
    // Loaded after the cold run, so the cold figure is the only one that counts the SDK's load.
    const { motoClients, resetMotoWorld } = await import('./moto-world');
    await resetMotoWorld(
      motoClients(job.world.motoEndpoint!, BENCH_REGION),
      job.world,
      job.variables[SETTINGS_VARIABLES.stateParameterName],
      job.stickinessSeconds,
    );
  };
}

/** One rollback, timed from `started`; the outcome must be a change to blue, or the run measured something else. */
async function rollback(handler: () => Handler, started: number): Promise<RollbackTiming> {
  marks = {};
  const outcome = (await handler()(rollbackAlarmEvent(new Date()))) as { result?: string } | undefined;
  if (outcome?.result !== 'changed') throw new Error(`the rollback did not move traffic to blue: ${JSON.stringify(outcome)}`);
  if (marks.issued === undefined || marks.verified === undefined) throw new Error('the rollback never wrote the listener and read it back');
  return { issued: marks.issued - started, verified: marks.verified - started };
}

async function main(): Promise<void> {
  Object.assign(process.env, job.variables, { AWS_REGION: BENCH_REGION, POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR' });
  const reset = job.backend === 'mocks' ? await installMocks() : await throughProxy();
  let loaded: Handler | undefined;
  const handler = () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded ??= (require(job.bundle) as { handler: Handler }).handler;
    return loaded;
  };
  const cold = await rollback(handler, performance.now());
  const warm: RollbackTiming[] = [];
  for (let i = 0; i < job.warm; i++) {
    await reset();
    warm.push(await rollback(handler, performance.now()));
  }
  process.stdout.write(`${JSON.stringify({ cold, warm })}\n`);
}

main().then(
  // The SDK's and the proxy's kept-alive sockets would hold the process open.
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
