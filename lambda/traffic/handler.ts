import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DIMENSIONS, NAMESPACES, TRAFFIC_METRICS, TrafficMetricName } from '../shared/contract';
import { Log, TrafficController } from './controller';
import { route } from './route';
import { settingsFromEnvironment } from './settings';

const settings = settingsFromEnvironment(process.env);
const logger = new Logger({ serviceName: 'boop-traffic-controller' });
const metrics = new Metrics({ namespace: NAMESPACES.traffic, serviceName: 'boop-traffic-controller' });
// The contract's dimensions are Environment alone; Powertools would add "service".
metrics.clearDefaultDimensions();
metrics.setDefaultDimensions({ [DIMENSIONS.environment]: settings.metricEnvironment });

const log: Log = {
  info: (message, extra = {}) => logger.info(message, extra),
  warn: (message, extra = {}) => logger.warn(message, extra),
  error: (message, extra = {}) => logger.error(message, extra),
};
const metric = (name: TrafficMetricName, value: number) => metrics.addMetric(name, TRAFFIC_METRICS[name].unit, value);
const controller = new TrafficController(settings, {
  elb: new ElasticLoadBalancingV2Client({}),
  ssm: new SSMClient({}),
  cloudwatch: new CloudWatchClient({}),
  sns: new SNSClient({}),
}, { now: () => new Date(), metric, log });

export async function handler(event: unknown): Promise<unknown> {
  try {
    return await route(event, { controller, rollbackAlarmName: settings.rollbackAlarmName, metric, log });
  } finally {
    metrics.publishStoredMetrics();
  }
}
