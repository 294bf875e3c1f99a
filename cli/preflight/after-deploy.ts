/**
 * The checks of a deployed environment: loadBalancer.hostName resolves to this stack's load
 * balancer, and the health check has reported in the last few minutes.
 */
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeListenersCommand, DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DIMENSIONS, HEALTH_CHECK_INTERVAL_MINUTES, HEALTH_CHECK_METRICS, NAMESPACES } from '../../common/contract';
import { environmentNames } from '../../common/names';
import { LOAD_BALANCER_DNS_OUTPUT } from '../../lib/blue-green/host-name';
import { blocker, passed, PreflightCheck, Resolver, unchecked, warning } from './check';

/** How recent the health check's last report must be: a few of its runs, so one late run is not news. */
export const HEALTH_CHECK_RECENT_MINUTES = 5 * HEALTH_CHECK_INTERVAL_MINUTES;
/** How far back it looks for any report at all, so a late one is told from none. */
export const HEALTH_CHECK_LOOKBACK_MINUTES = 3 * HEALTH_CHECK_RECENT_MINUTES;
/** The metric every health-check run reports, pass or fail (a failed check is a 0, never a gap). */
const REPORTED_METRIC: keyof typeof HEALTH_CHECK_METRICS = 'BoopHealthy';

const NOT_DEPLOYED = 'not deployed yet: checked after the first deploy';
/** A name no one creates, asked to tell a wildcard record from one for the host name itself. */
const WILDCARD_PROBE_LABEL = 'boop-preflight-no-such-name';
const lower = (name: string) => name.toLowerCase().replace(/\.$/, '');

/** The addresses a name resolves to (A and AAAA); a name with no record of a kind has none of it. */
async function addresses(resolver: Resolver, host: string): Promise<Set<string>> {
  const quiet = (lookup: Promise<string[]>) => lookup.catch(() => [] as string[]);
  return new Set([...(await quiet(resolver.resolve4(host))), ...(await quiet(resolver.resolve6(host)))]);
}

export const dnsCheck: PreflightCheck = {
  name: 'DNS',
  service: 'ELBv2',
  permissions: ['cloudformation:DescribeStacks', 'elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeLoadBalancers'],
  run: async ({ facts, clients, stack, resolver }, signal) => {
    const host = facts.config.loadBalancer.hostName;
    if (!host) return passed('no loadBalancer.hostName configured');
    const deployed = await stack();
    if (!deployed) return beforeTheRecord(host, facts.config.loadBalancer.hostedZone?.name, resolver);
    const listener = (await clients.elbv2.send(new DescribeListenersCommand({ ListenerArns: [deployed.outputs.listenerArn] }), { abortSignal: signal }))
      .Listeners?.[0];
    const balancer = (
      await clients.elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [listener?.LoadBalancerArn ?? ''] }), { abortSignal: signal })
    ).LoadBalancers?.[0];
    const target = balancer?.DNSName;
    if (!target) return unchecked(`ELBv2 did not name the stack's load balancer (listener ${deployed.outputs.listenerArn})`);
    const fix = `point ${host} at ${target}: a Route 53 alias A record (or a CNAME) in the zone of ${host}`;
    const cnames = await resolver.resolveCname(host).catch(() => [] as string[]);
    if (cnames.some((name) => lower(name) === lower(target))) return passed(`${host} is a CNAME of the load balancer ${target}`);
    const [hostAddresses, targetAddresses] = await Promise.all([addresses(resolver, host), addresses(resolver, target)]);
    if (hostAddresses.size === 0) return blocker(`${host} does not resolve: clients cannot reach the load balancer by its name`, fix);
    if ([...hostAddresses].some((address) => targetAddresses.has(address))) return passed(`${host} resolves to the load balancer ${target}`);
    return blocker(`${host} resolves to ${[...hostAddresses].join(', ')}, none of which is the load balancer ${target}'s`, fix);
  },
};

/**
 * Before the first deploy: with loadBalancer.hostedZone the stack creates hostName's alias record, and
 * CloudFormation fails the deploy (rolling it all back) if the name already has an A or CNAME record.
 */
async function beforeTheRecord(host: string, zone: string | undefined, resolver: Resolver) {
  if (zone === undefined) return unchecked(NOT_DEPLOYED);
  const cnames = await resolver.resolveCname(host).catch(() => [] as string[]);
  const found = [...cnames, ...(await resolver.resolve4(host).catch(() => [] as string[]))];
  if (found.length === 0) return passed(`${host} has no record yet: the stack creates its alias in ${zone}`);
  // A wildcard record answers for every name, and does not stop the stack creating its own for this one.
  const probe = `${WILDCARD_PROBE_LABEL}.${zone}`;
  if ((await resolver.resolve4(probe).catch(() => [] as string[])).length > 0 || (await resolver.resolveCname(probe).catch(() => [] as string[])).length > 0)
    return warning(
      `${host} resolves, but so does ${probe}: a wildcard record of ${zone} answers, which the stack's alias for ${host} overrides once deployed`,
      `if ${host} itself has a record in ${zone}, delete it before the deploy, or leave loadBalancer.hostedZone out`,
    );
  return blocker(
    `${host} already resolves (${found.join(', ')}): the stack's alias record for it in ${zone} cannot be created, and the deploy would roll back`,
    `leave loadBalancer.hostedZone out and move ${host} to the ${LOAD_BALANCER_DNS_OUTPUT} output yourself after the deploy, when you are ready to switch; or delete the record in ${zone} first`,
  );
}

export const healthCheckReportCheck: PreflightCheck = {
  name: 'health check',
  service: 'CloudWatch',
  permissions: ['cloudformation:DescribeStacks', 'cloudwatch:GetMetricData'],
  run: async ({ env, region, facts, clients, stack, now }, signal) => {
    if (!(await stack())) return unchecked(NOT_DEPLOYED);
    const end = now();
    const start = new Date(end.getTime() - HEALTH_CHECK_LOOKBACK_MINUTES * 60_000);
    const answer = await clients.cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: start,
        EndTime: end,
        ScanBy: 'TimestampDescending',
        MetricDataQueries: [
          {
            Id: 'reported',
            MetricStat: {
              Metric: {
                Namespace: NAMESPACES.healthCheck,
                MetricName: REPORTED_METRIC,
                Dimensions: [{ Name: DIMENSIONS.environment, Value: facts.config.boopEnvironment }],
              },
              Period: 60,
              Stat: 'SampleCount',
            },
          },
        ],
      }),
      { abortSignal: signal },
    );
    const series = answer.MetricDataResults?.[0];
    const times = (series?.Timestamps ?? []).filter((_, i) => (series?.Values?.[i] ?? 0) > 0).map((t) => t.getTime());
    const last = times.length ? Math.max(...times) : undefined;
    const logs = `aws logs tail /aws/lambda/${environmentNames(env).healthCheck} --since 30m --region ${region}`;
    if (last === undefined)
      return warning(`no report in the last ${HEALTH_CHECK_LOOKBACK_MINUTES} min: the uptime and BOOP alarms see gaps`, `see why: ${logs}`);
    const minutes = Math.floor((end.getTime() - last) / 60_000);
    if (minutes > HEALTH_CHECK_RECENT_MINUTES)
      return warning(`last reported ${minutes} min ago (expected every ${HEALTH_CHECK_INTERVAL_MINUTES} min)`, `see why: ${logs}`);
    return passed(`reported ${minutes} min ago`);
  },
};
