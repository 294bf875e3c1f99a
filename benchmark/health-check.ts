/**
 * Health-check run time: a whole run (BOOP's API, the vendor WebSocket, both slots through a load
 * balancer, the key parameters, green's service) against local servers (test/support/boop-world.ts)
 * and mocked SSM and ECS, healthy and with everything hanging at the default timeout. It measures
 * this machine and local sockets, not BOOP.
 */
import { performance } from 'perf_hooks';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { environmentNames } from '../common/names';
import { runHealthChecks } from '../lambda/health-check/run';
import { HealthCheckSettings } from '../lambda/health-check/settings';
import { VendorSocketCheck } from '../lambda/health-check/vendor-socket';
import { DEFAULT_KEY_ROTATION_WARNING_DAYS } from '../lib/monitoring/thresholds';
import { HEALTH_CHECK_TIMEOUT_SECONDS, VENDOR_ID_PREFIX } from '../lib/guides';
import { startBoopWorld } from '../test/support/boop-world';
import { BENCH_REGION } from './rollback-world';
import { median } from './runs';
import { HealthCheckCase } from './rows';

type World = Awaited<ReturnType<typeof startBoopWorld>>;

/** Median milliseconds of a run in each case, and how many runs each median is of. */
export type HealthCheckFigures = Record<HealthCheckCase, { readonly ms: number; readonly runs: number }>;

/** The timeout every check is given: the deployed default. */
export const CHECK_TIMEOUT_MS = HEALTH_CHECK_TIMEOUT_SECONDS * 1000;

/** Times whole runs, healthy (after one warm-up run) and with everything hanging. */
export async function measureHealthCheck(runs: { healthy: number; hanging: number }, progress: (line: string) => void): Promise<HealthCheckFigures> {
  const names = environmentNames('prod');
  const ssm = new SSMClient({ region: BENCH_REGION });
  const ecs = new ECSClient({ region: BENCH_REGION });
  const greenService = { cluster: names.prefix, service: `arn:aws:ecs:${BENCH_REGION}:111122223333:service/${names.prefix}/${names.prefix}-green` };

  const run = async (world: World, hanging: boolean): Promise<number> => {
    const parameters = mockClient(ssm).on(GetParametersCommand);
    const services = mockClient(ecs).on(DescribeServicesCommand);
    if (hanging) {
      parameters.callsFake(() => new Promise(() => {}));
      services.callsFake(() => new Promise(() => {}));
    } else {
      parameters.resolves({ Parameters: [{ Name: names.parameters.primaryApiKey, Value: 'sk_test_bench_not_real' }] });
      services.resolves({ services: [{ serviceArn: greenService.service, status: 'ACTIVE', desiredCount: 2 }] });
    }
    const settings: HealthCheckSettings = {
      metricEnvironment: 'production',
      boopBaseUrl: world.boopBaseUrl,
      wsEndpoint: world.wsEndpoint,
      vendorId: `${VENDOR_ID_PREFIX.production}bench`,
      slotTarget: world.slotTarget,
      checkTimeoutMs: CHECK_TIMEOUT_MS,
      keyParameters: { primary: names.parameters.primaryApiKey, secondary: names.parameters.secondaryApiKey, rotationDate: names.parameters.keyRotationDate },
      keyRotationWarningDays: DEFAULT_KEY_ROTATION_WARNING_DAYS,
      greenService,
    };
    const vendorSocket = new VendorSocketCheck({ endpoint: world.wsEndpoint, vendorId: settings.vendorId });
    const started = performance.now();
    await runHealthChecks(settings, { ssm, ecs, vendorSocket, ca: world.ca });
    return performance.now() - started;
  };

  const healthy = await startBoopWorld();
  const healthyTimes: number[] = [];
  try {
    await run(healthy, false); // warm-up: the first TLS handshake and the JIT
    for (let i = 0; i < runs.healthy; i++) healthyTimes.push(await run(healthy, false));
  } finally {
    await healthy.close();
  }
  progress(`health check, healthy: median ${median(healthyTimes).toFixed(1)} ms`);

  const hanging = await startBoopWorld({ boop: 'hanging', socket: 'hanging', slots: { blue: 'hanging', green: 'hanging' } });
  const hangingTimes: number[] = [];
  try {
    for (let i = 0; i < runs.hanging; i++) hangingTimes.push(await run(hanging, true));
  } finally {
    await hanging.close();
  }
  progress(`health check, hanging: median ${median(hangingTimes).toFixed(0)} ms`);
  return {
    'all healthy': { ms: median(healthyTimes), runs: healthyTimes.length },
    'everything hanging': { ms: median(hangingTimes), runs: hangingTimes.length },
  };
}
