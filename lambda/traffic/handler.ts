import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DIMENSIONS, NAMESPACES, TRAFFIC_METRICS, TrafficMetricName } from '../../common/contract';
import { createLogger } from '../../common/logging';
import { TRAFFIC_CONTROLLER_SERVICE } from '../../common/names';
import { Log, TrafficController } from './controller';
import { route } from './route';
import { boundedClientConfig } from '../support/aws-clients';
import { INVOCATION_BUDGET_MS, settingsFromEnvironment } from './settings';

const settings = settingsFromEnvironment(process.env);
const logger = createLogger(TRAFFIC_CONTROLLER_SERVICE);
const metrics = new Metrics({ namespace: NAMESPACES.traffic, serviceName: TRAFFIC_CONTROLLER_SERVICE });
// The contract's dimensions are Environment alone; Powertools would add "service".
metrics.clearDefaultDimensions();
metrics.setDefaultDimensions({ [DIMENSIONS.environment]: settings.metricEnvironment });

const log: Log = {
  info: (message, extra = {}) => logger.info(message, extra),
  warn: (message, extra = {}) => logger.warn(message, extra),
  error: (message, extra = {}) => logger.error(message, extra),
};
const metric = (name: TrafficMetricName, value: number) => metrics.addMetric(name, TRAFFIC_METRICS[name].unit, value);
// Every call ends: bounded connect and answer times, and the SDK's own adaptive retry (no loop around it).
const clientConfig = boundedClientConfig();
const clients = {
  elb: new ElasticLoadBalancingV2Client(clientConfig),
  ssm: new SSMClient(clientConfig),
  cloudwatch: new CloudWatchClient(clientConfig),
  sns: new SNSClient(clientConfig),
  cloudformation: new CloudFormationClient(clientConfig),
  autoScaling: new ApplicationAutoScalingClient(clientConfig),
};

export async function handler(event: unknown): Promise<unknown> {
  // One controller per invocation, so the deadline bounds this invocation's AWS work as a whole.
  const controller = new TrafficController(settings, clients, {
    now: () => new Date(),
    metric,
    log,
    deadline: AbortSignal.timeout(INVOCATION_BUDGET_MS),
  });
  try {
    return await route(event, { controller, rollbackAlarmName: settings.rollbackAlarmName, region: settings.region, metric, log });
  } finally {
    metrics.publishStoredMetrics();
  }
}
