/**
 * Whether CloudFormation in the stack's region accepts every resource type and property the
 * template uses (its published resource schema; not every region has every property, e.g. Tags on an
 * ELBv2 listener), and whether ELBv2 there knows the listeners' TLS policy.
 */
import { DescribeTypeCommand } from '@aws-sdk/client-cloudformation';
import { DescribeSSLPoliciesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { blocker, CheckResult, errorName, passed, PreflightCheck } from './check';

/** How many DescribeType calls run at once: enough to be quick, few enough not to be throttled. */
const SCHEMA_READS_AT_ONCE = 4;

/** What the template uses that the region's schema lacks, in words, for one resource type; undefined when it has it all. */
async function typeProblem(
  check: (type: string) => Promise<readonly string[] | undefined>,
  type: string,
  used: readonly string[],
): Promise<string | undefined> {
  const known = await check(type);
  if (known === undefined) return `${type} (not in this region)`;
  const missing = used.filter((name) => !known.includes(name));
  return missing.length ? `${missing.join(', ')} on ${type}` : undefined;
}

export const resourceSchemaCheck: PreflightCheck = {
  name: 'resource types',
  service: 'CloudFormation',
  permissions: ['cloudformation:DescribeType'],
  run: async ({ region, facts, clients }, signal) => {
    const properties = async (type: string): Promise<readonly string[] | undefined> => {
      try {
        const answer = await clients.cloudformation.send(new DescribeTypeCommand({ Type: 'RESOURCE', TypeName: type }), { abortSignal: signal });
        return Object.keys((JSON.parse(answer.Schema ?? '{}') as { properties?: object }).properties ?? {});
      } catch (error) {
        if (errorName(error) === 'TypeNotFoundException') return undefined;
        throw error;
      }
    };
    const entries = [...facts.resourceProperties];
    const problems: string[] = [];
    for (let i = 0; i < entries.length; i += SCHEMA_READS_AT_ONCE) {
      const batch = await Promise.all(entries.slice(i, i + SCHEMA_READS_AT_ONCE).map(([type, used]) => typeProblem(properties, type, used)));
      problems.push(...batch.filter((p): p is string => p !== undefined));
    }
    if (problems.length === 0)
      return passed(`CloudFormation in ${region} accepts all ${entries.length} resource types the stack uses, with every property it sets`);
    return blocker(
      `CloudFormation in ${region} does not accept ${problems.join('; ')}, which this version of boop-deploy uses`,
      `deploy to a region that does (region in ${facts.configSource}), or use a boop-deploy version whose template leaves it out`,
    );
  },
};

export const tlsPolicyCheck: PreflightCheck = {
  name: 'TLS policy',
  service: 'ELBv2',
  permissions: ['elasticloadbalancing:DescribeSSLPolicies'],
  run: async ({ region, facts, clients }, signal): Promise<CheckResult> => {
    if (facts.sslPolicies.length === 0) return passed('the stack has no HTTPS listener');
    const unknown: string[] = [];
    for (const name of facts.sslPolicies) {
      try {
        const answer = await clients.elbv2.send(new DescribeSSLPoliciesCommand({ Names: [name] }), { abortSignal: signal });
        // Only the policy itself counts: an answer that lists others (as moto's does) does not offer it.
        if (!answer.SslPolicies?.some((policy) => policy.Name === name)) unknown.push(name);
      } catch (error) {
        if (errorName(error) !== 'SSLPolicyNotFoundException' && errorName(error) !== 'SSLPolicyNotFound') throw error;
        unknown.push(name);
      }
    }
    if (unknown.length === 0) return passed(`${facts.sslPolicies.join(', ')} is offered in ${region}`);
    return blocker(
      `the load balancer in ${region} does not offer ${unknown.join(', ')}, the listener's TLS policy`,
      `deploy to a region that offers it (aws elbv2 describe-ssl-policies --names ${unknown[0]} --region <region>), or use a boop-deploy version with another policy`,
    );
  },
};
