/**
 * Health-check benchmark (npm run bench): the deployed bundle's size and cold init (a fresh
 * process loading it), and a whole run's time against local servers, healthy and with everything
 * hanging at the configured default timeout. It measures this machine and local sockets, not BOOP.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { environmentNames } from '../common/names';
import { runHealthChecks } from '../lambda/health-check/run';
import { HealthCheckSettings } from '../lambda/health-check/settings';
import { VendorSocketCheck } from '../lambda/health-check/vendor-socket';
import { HEALTH_CHECK_TIMEOUT_SECONDS } from '../lib/guides';
import { startBoopWorld } from '../test/support/boop-world';
import { functionBundle } from '../test/support/bundle';
import { synthAssembly } from '../test/support/synth';

const COLD_PROCESSES = Number(process.env.BENCH_COLD ?? 10);
const HEALTHY_RUNS = Number(process.env.BENCH_HEALTHY_RUNS ?? 30);
const HANGING_RUNS = Number(process.env.BENCH_HANGING_RUNS ?? 3);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  const assembly = synthAssembly('prod');
  const { directory, resource } = functionBundle(assembly, 'HealthCheckFunction');
  const bundle = path.join(directory, 'index.js');
  const code = fs.readFileSync(bundle);
  console.log(`health-check bundle: ${code.length} bytes (${gzipSync(code).length} gzipped), AWS SDK v3 from the Lambda runtime`);

  // Cold init: a fresh process loads the bundle with the deployed variables, as Lambda's init does.
  const variables = Object.fromEntries(
    Object.entries(resource.Properties.Environment.Variables as Record<string, unknown>).map(([k, v]) => [
      k,
      typeof v === 'string' ? v : 'https://example.invalid',
    ]),
  );
  const probe = `const t=performance.now();require(${JSON.stringify(bundle)});console.log(performance.now()-t)`;
  const inits = Array.from({ length: COLD_PROCESSES }, () => {
    const result = spawnSync(process.execPath, ['-e', probe], {
      encoding: 'utf8',
      env: { ...process.env, ...variables, AWS_REGION: 'eu-west-1', NODE_PATH: path.join(__dirname, '..', 'node_modules') },
    });
    if (result.status !== 0) throw new Error(result.stderr);
    return Number(result.stdout.trim().split('\n').pop());
  });
  console.log(`health-check cold init: median ${median(inits).toFixed(1)} ms over ${COLD_PROCESSES} fresh processes (module load, AWS SDK included)`);

  const names = environmentNames('prod').parameters;
  const ssm = new SSMClient({ region: 'eu-west-1' });
  const ecs = new ECSClient({ region: 'eu-west-1' });
  const greenService = { cluster: 'boop-prod', service: 'arn:aws:ecs:eu-west-1:111122223333:service/boop-prod/boop-prod-green' };
  const run = async (world: Awaited<ReturnType<typeof startBoopWorld>>, checkTimeoutMs: number, hanging: boolean) => {
    const mock = mockClient(ssm).on(GetParametersCommand);
    const green = mockClient(ecs).on(DescribeServicesCommand);
    if (hanging) {
      mock.callsFake(() => new Promise(() => {}));
      green.callsFake(() => new Promise(() => {}));
    } else {
      mock.resolves({ Parameters: [{ Name: names.primaryApiKey, Value: 'sk_test_bench_not_real' }] });
      green.resolves({ services: [{ serviceArn: greenService.service, status: 'ACTIVE', desiredCount: 2 }] });
    }
    const settings: HealthCheckSettings = {
      metricEnvironment: 'production',
      boopBaseUrl: world.boopBaseUrl,
      wsEndpoint: world.wsEndpoint,
      vendorId: 'ven_live_bench',
      slotTarget: world.slotTarget,
      checkTimeoutMs,
      keyParameters: { primary: names.primaryApiKey, secondary: names.secondaryApiKey, rotationDate: names.keyRotationDate },
      keyRotationWarningDays: 7,
      greenService,
    };
    const vendorSocket = new VendorSocketCheck({ endpoint: world.wsEndpoint, vendorId: settings.vendorId });
    const started = performance.now();
    await runHealthChecks(settings, { ssm, ecs, vendorSocket, ca: world.ca });
    return performance.now() - started;
  };

  const timeoutMs = HEALTH_CHECK_TIMEOUT_SECONDS * 1000;
  const healthy = await startBoopWorld();
  await run(healthy, timeoutMs, false); // warm-up: first TLS handshake, module JIT
  const healthyTimes = [];
  for (let i = 0; i < HEALTHY_RUNS; i++) healthyTimes.push(await run(healthy, timeoutMs, false));
  await healthy.close();
  console.log(
    `health-check run, all healthy (local servers, TLS to the load balancer): median ${median(healthyTimes).toFixed(1)} ms, max ${Math.max(...healthyTimes).toFixed(1)} ms over ${HEALTHY_RUNS} runs`,
  );

  const hanging = await startBoopWorld({ boop: 'hanging', socket: 'hanging', slots: { blue: 'hanging', green: 'hanging' } });
  const hangingTimes = [];
  for (let i = 0; i < HANGING_RUNS; i++) hangingTimes.push(await run(hanging, timeoutMs, true));
  await hanging.close();
  console.log(
    `health-check run, everything hanging (BOOP, WebSocket, both slots, SSM, ECS) at the default ${HEALTH_CHECK_TIMEOUT_SECONDS} s timeout: median ${median(hangingTimes).toFixed(0)} ms, max ${Math.max(...hangingTimes).toFixed(0)} ms over ${HANGING_RUNS} runs`,
  );
  console.log(`(machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version})`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
