import type { Metrics } from '@aws-lambda-powertools/metrics';
import { DIMENSIONS, HEALTH_CHECK_METRICS } from '../../common/contract';
import { MetricPoint } from './run';

/**
 * Writes a run's data points as EMF through Powertools, each with exactly the dimensions the
 * contract declares for its metric (Environment, and Slot for SlotHealthy): one line per dimension
 * set. `metrics` must have its default dimensions cleared, or Powertools adds `service`.
 */
export function publishHealthMetrics(metrics: Metrics, environment: string, points: readonly MetricPoint[]): void {
  const lines = new Map<string, { dimensions: [string, string][]; points: MetricPoint[] }>();
  for (const point of points) {
    const values: Record<string, string | undefined> = { [DIMENSIONS.environment]: environment, [DIMENSIONS.slot]: point.slot };
    const dimensions = HEALTH_CHECK_METRICS[point.name].dimensions.map((name): [string, string] => {
      const value = values[name];
      if (value === undefined) throw new Error(`${point.name} needs the ${name} dimension`);
      return [name, value];
    });
    if (point.slot !== undefined && !dimensions.some(([name]) => name === DIMENSIONS.slot))
      throw new Error(`${point.name} has no ${DIMENSIONS.slot} dimension`);
    const key = JSON.stringify(dimensions);
    const line = lines.get(key) ?? { dimensions, points: [] };
    line.points.push(point);
    lines.set(key, line);
  }
  for (const line of lines.values()) {
    for (const [name, value] of line.dimensions) metrics.addDimension(name, value);
    for (const point of line.points) metrics.addMetric(point.name, HEALTH_CHECK_METRICS[point.name].unit, point.value);
    metrics.publishStoredMetrics();
  }
}
