import * as fs from 'fs';
import * as path from 'path';
import { ContractMetric, DIMENSIONS, INTEGRATION_METRIC_FAMILIES, INTEGRATION_METRICS, NAMESPACES } from '../../common/contract';
import { SLOTS } from '../../common/slots';
import { emfSampleLines } from './emf-samples';
import { build } from '../support/synth';

const CONTRACT_DOC = 'docs/metric-contract.md';
const CONTRACT_PAGE = fs.readFileSync(path.join(__dirname, '..', '..', CONTRACT_DOC), 'utf8');

interface EmfDirective {
  Namespace: string;
  Dimensions: string[][];
  Metrics: { Name: string; Unit: string; StorageResolution?: number }[];
}

describe('the metric contract as real EMF', () => {
  const lines = emfSampleLines('production', 'green');

  test.each(Object.entries(INTEGRATION_METRIC_FAMILIES))('%s: Powertools writes the contract names, units and dimensions', (family, names) => {
    const line = JSON.parse(lines[family as keyof typeof lines]);
    const directive: EmfDirective = line._aws.CloudWatchMetrics[0];
    expect(directive.Namespace).toBe(NAMESPACES.integration);
    expect(directive.Dimensions).toEqual([[DIMENSIONS.environment, DIMENSIONS.slot]]);
    expect(directive.Metrics).toEqual(
      names.map((name) => {
        const metric: ContractMetric = INTEGRATION_METRICS[name];
        // CloudWatch stores a metric at 1 s only when its EMF definition says so; standard is the default and written as nothing.
        return { Name: name, Unit: metric.unit, ...(metric.storageResolutionSeconds === 1 ? { StorageResolution: 1 } : {}) };
      }),
    );
    expect(line[DIMENSIONS.environment]).toBe('production');
    expect(line[DIMENSIONS.slot]).toBe('green');
  });

  test('every integration metric belongs to exactly one family', () => {
    const inFamilies = Object.values(INTEGRATION_METRIC_FAMILIES).flat();
    expect([...inFamilies].sort()).toEqual(Object.keys(INTEGRATION_METRICS).sort());
  });

  test(`${CONTRACT_DOC} quotes each sample line exactly as Powertools writes it`, () => {
    for (const [family, line] of Object.entries(lines)) {
      expect({ family, quoted: CONTRACT_PAGE.includes(line) }).toEqual({ family, quoted: true });
    }
  });
});

describe('alarms read exactly what the service writes', () => {
  const { template } = build('prod');
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
  // Every Boop/Integration metric any alarm reads: name and dimensions.
  const read = alarms.flatMap((alarm) =>
    (alarm.Properties.Metrics ?? [])
      .map(
        (query: { MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] } } }) =>
          query.MetricStat?.Metric,
      )
      .filter((metric: { Namespace?: string } | undefined) => metric?.Namespace === NAMESPACES.integration),
  );

  test('integration alarms exist', () => {
    expect(read.length).toBeGreaterThan(0);
  });

  test('each name an alarm reads appears in a sample EMF line, with the same dimension set and values the service writes', () => {
    const emitted = new Map<string, string[]>();
    for (const slot of SLOTS) {
      for (const line of Object.values(emfSampleLines('production', slot))) {
        const parsed = JSON.parse(line);
        const directive: EmfDirective = parsed._aws.CloudWatchMetrics[0];
        for (const metric of directive.Metrics) {
          emitted.set(`${metric.Name}|${slot}`, directive.Dimensions[0].map((d) => `${d}=${parsed[d]}`).sort());
        }
      }
    }
    for (const metric of read) {
      const slot = metric.Dimensions.find((d: { Name: string }) => d.Name === DIMENSIONS.slot)?.Value;
      const dimensions = metric.Dimensions.map((d: { Name: string; Value: string }) => `${d.Name}=${d.Value}`).sort();
      expect({ metric: metric.MetricName, dimensions }).toEqual({ metric: metric.MetricName, dimensions: emitted.get(`${metric.MetricName}|${slot}`) });
    }
  });
});
