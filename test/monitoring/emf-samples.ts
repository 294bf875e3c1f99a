import { MetricResolution, Metrics } from '@aws-lambda-powertools/metrics';
import { ContractMetric, DIMENSIONS, INTEGRATION_METRIC_FAMILIES, INTEGRATION_METRICS, NAMESPACES } from '../../common/contract';
import { captureStdout } from '../support/stdout';

/** A fixed moment so the sample lines are stable and docs/metric-contract.md can quote them. */
export const SAMPLE_TIME = Date.UTC(2026, 10, 21, 12, 0, 0);

/** Example values per metric, as a service would emit them in one minute. */
const SAMPLE_VALUES: Record<keyof typeof INTEGRATION_METRICS, number> = {
  AuthAttempts: 1,
  AuthFailures: 0,
  AuthLatency: 840,
  PaymentAttempts: 1,
  PaymentFailures: 0,
  PaymentLatency: 620,
  PaymentValue: 1250,
  ConsecutivePaymentFailures: 0,
  WebSocketConnections: 4,
  WebSocketFailures: 0,
  WebSocketAbnormalClosures: 0,
  BoopApiRequests: 1,
  BoopApiErrors: 0,
  BoopApiTimeouts: 0,
  BoopApiRateLimited: 0,
  ActiveUsers: 37,
  HttpRequests: 12,
  HttpServerErrors: 0,
};

/** Powertools' resolution for a contract metric: High writes `StorageResolution: 1`. */
function resolutionOf(name: keyof typeof INTEGRATION_METRICS): (typeof MetricResolution)[keyof typeof MetricResolution] {
  const metric: ContractMetric = INTEGRATION_METRICS[name];
  return metric.storageResolutionSeconds === 1 ? MetricResolution.High : MetricResolution.Standard;
}

/**
 * One EMF line per metric family, written by Powertools Metrics exactly as an integration
 * service would (Environment from BOOP_ENV, Slot from BOOP_SLOT).
 */
export function emfSampleLines(environment: string, slot: string): Record<keyof typeof INTEGRATION_METRIC_FAMILIES, string> {
  const lines: Record<string, string> = {};
  const originalNow = Date.now;
  Date.now = () => SAMPLE_TIME;
  try {
    for (const [family, names] of Object.entries(INTEGRATION_METRIC_FAMILIES)) {
      const { output } = captureStdout(() => {
        const metrics = new Metrics({ namespace: NAMESPACES.integration, serviceName: 'boop-integration' });
        // Powertools adds a "service" dimension by default; the contract has exactly Environment and Slot.
        metrics.clearDefaultDimensions();
        metrics.addDimensions({ [DIMENSIONS.environment]: environment, [DIMENSIONS.slot]: slot });
        for (const name of names) metrics.addMetric(name, INTEGRATION_METRICS[name].unit, SAMPLE_VALUES[name], resolutionOf(name));
        metrics.publishStoredMetrics();
      });
      lines[family] = output.trim();
    }
  } finally {
    Date.now = originalNow;
  }
  return lines as Record<keyof typeof INTEGRATION_METRIC_FAMILIES, string>;
}
