import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { DIMENSIONS, HEALTH_CHECK_METRICS, HealthCheckMetricName, IntegrationMetricName, NAMESPACES, TrafficMetricName } from '../../common/contract';
import { Slot } from '../../common/slots';

export interface BoopMetricsProps {
  /** The Environment dimension's value (the services' BOOP_ENV). */
  readonly metricEnvironment: string;
  /** The ALB in front of both slots. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** Each slot's target group. */
  readonly targetGroups: Readonly<Record<Slot, elbv2.IApplicationTargetGroup>>;
}

/** Options for one metric: its statistic and period. */
export interface MetricOptions {
  readonly statistic: string;
  readonly period: Duration;
}

/**
 * Builds CloudWatch metrics by their contract names (common/contract.ts) and the ALB's
 * per-target-group metrics, so alarms and dashboards read exactly what the services write.
 */
export class BoopMetrics {
  constructor(private readonly props: BoopMetricsProps) {}

  /** A Boop/Integration metric of one slot. */
  integration(name: IntegrationMetricName, slot: Slot, options: MetricOptions): cloudwatch.Metric {
    return this.contractMetric(NAMESPACES.integration, name, this.slotDimensions(slot), options);
  }

  /** A Boop/HealthCheck metric; per slot where the contract says so. */
  healthCheck(name: HealthCheckMetricName, options: MetricOptions, slot?: Slot): cloudwatch.Metric {
    const perSlot = (HEALTH_CHECK_METRICS[name].dimensions as readonly string[]).includes(DIMENSIONS.slot);
    if (perSlot !== (slot !== undefined)) throw new Error(`${name} is ${perSlot ? '' : 'not '}a per-slot metric`);
    const dimensions = slot ? this.slotDimensions(slot) : this.environmentDimensions();
    return this.contractMetric(NAMESPACES.healthCheck, name, dimensions, options);
  }

  /** A Boop/Traffic metric. */
  traffic(name: TrafficMetricName, options: MetricOptions): cloudwatch.Metric {
    return this.contractMetric(NAMESPACES.traffic, name, this.environmentDimensions(), options);
  }

  /** Requests the ALB sent to a slot. */
  slotRequests(slot: Slot, period: Duration): cloudwatch.Metric {
    return this.props.targetGroups[slot].metrics.requestCount({ period, statistic: 'Sum' });
  }

  /** Responses that failed at a slot: its 5XX answers plus connections the ALB could not make to it (ALB answers those 502/503). */
  slotServerErrors(slot: Slot, period: Duration): Record<string, cloudwatch.IMetric> {
    const metrics = this.props.targetGroups[slot].metrics;
    return {
      target5xx: metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period, statistic: 'Sum' }),
      connectionErrors: metrics.custom('TargetConnectionErrorCount', { period, statistic: 'Sum' }),
    };
  }

  /** A slot's response time (seconds, as the ALB reports it). */
  slotResponseTime(slot: Slot, options: MetricOptions): cloudwatch.Metric {
    return this.props.targetGroups[slot].metrics.targetResponseTime(options);
  }

  /** All requests through the ALB. */
  allRequests(period: Duration): cloudwatch.Metric {
    return this.props.loadBalancer.metrics.requestCount({ period, statistic: 'Sum' });
  }

  /**
   * Requests the ALB answered 503 before it could choose a target (no registered targets): its
   * RequestCount leaves them out, so a share of all traffic must add them back.
   */
  rejectedBeforeTarget(period: Duration): cloudwatch.Metric {
    return this.props.loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_503_COUNT, { period, statistic: 'Sum' });
  }

  /** All 5XX answers, from the targets and from the ALB itself. */
  allServerErrors(period: Duration): Record<string, cloudwatch.IMetric> {
    const metrics = this.props.loadBalancer.metrics;
    return {
      target5xx: metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period, statistic: 'Sum' }),
      elb5xx: metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period, statistic: 'Sum' }),
    };
  }

  // No unit filter: a datum emitted without the contract's unit must still count.
  private contractMetric(namespace: string, metricName: string, dimensionsMap: Record<string, string>, options: MetricOptions) {
    return new cloudwatch.Metric({ namespace, metricName, dimensionsMap, ...options });
  }

  private environmentDimensions(): Record<string, string> {
    return { [DIMENSIONS.environment]: this.props.metricEnvironment };
  }

  private slotDimensions(slot: Slot): Record<string, string> {
    return { ...this.environmentDimensions(), [DIMENSIONS.slot]: slot };
  }
}
