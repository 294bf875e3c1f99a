import { ECSClient } from '@aws-sdk/client-ecs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { NAMESPACES } from '../../common/contract';
import { createLogger } from '../../common/logging';
import { HEALTH_CHECK_SERVICE } from '../../common/names';
import { boundedClientConfig } from '../support/aws-clients';
import { publishHealthMetrics } from './metrics';
import { runHealthChecks } from './run';
import { runLogLine } from './run-log';
import { settingsFromEnvironment } from './settings';
import { VendorSocketCheck } from './vendor-socket';

const settings = settingsFromEnvironment(process.env);
const logger = createLogger(HEALTH_CHECK_SERVICE);
const metrics = new Metrics({ namespace: NAMESPACES.healthCheck, serviceName: HEALTH_CHECK_SERVICE });
// The contract's dimensions only: Powertools would add "service".
metrics.clearDefaultDimensions();
// The key read and the read of green's service are bounded by the check timeout too; one try, as a retry would not fit in it.
const clientConfig = boundedClientConfig({ connectionTimeoutMs: settings.checkTimeoutMs, requestTimeoutMs: settings.checkTimeoutMs, maxAttempts: 1 });
const ssm = new SSMClient(clientConfig);
const ecs = new ECSClient(clientConfig);
// Kept across runs of a warm container, so it remembers which dialect BOOP speaks.
const vendorSocket = new VendorSocketCheck({ endpoint: settings.wsEndpoint, vendorId: settings.vendorId });

export async function handler(): Promise<void> {
  const report = await runHealthChecks(settings, { ssm, ecs, vendorSocket });
  publishHealthMetrics(metrics, settings.metricEnvironment, report.metrics);
  const line = runLogLine(report);
  if (line.healthy) logger.info(line.message, line.fields);
  else logger.warn(line.message, line.fields);
}
