import { CfnOutput, Stack } from 'aws-cdk-lib';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import { LoadBalancerConfig } from '../config/environment-config';

/** The stack output with the load balancer's DNS name, where loadBalancer.hostName must point. */
export const LOAD_BALANCER_DNS_OUTPUT = 'LoadBalancerDnsName';

/**
 * Where loadBalancer.hostName leads: always an output with the load balancer's DNS name, and with
 * loadBalancer.hostedZone an alias A record for the name in that zone (the load balancer is IPv4
 * only, so no AAAA). The zone is named in the config, never looked up, so synth stays offline.
 */
export function pointHostName(scope: Construct, loadBalancer: elbv2.IApplicationLoadBalancer, config: LoadBalancerConfig): void {
  const { hostName, hostedZone } = config;
  new CfnOutput(Stack.of(scope), LOAD_BALANCER_DNS_OUTPUT, {
    value: loadBalancer.loadBalancerDnsName,
    description:
      hostName === undefined
        ? "The load balancer's DNS name"
        : hostedZone === undefined
          ? `The load balancer's DNS name: point ${hostName} at it (an alias record, or a CNAME), or set loadBalancer.hostedZone and the stack does`
          : `The load balancer's DNS name; ${hostName} is an alias record for it in ${hostedZone.name}`,
  });
  if (hostName === undefined || hostedZone === undefined) return;
  const zone = route53.HostedZone.fromHostedZoneAttributes(scope, 'HostedZone', { hostedZoneId: hostedZone.id, zoneName: hostedZone.name });
  new route53.ARecord(scope, 'HostNameRecord', {
    zone,
    recordName: `${hostName}.`,
    target: route53.RecordTarget.fromAlias(new route53Targets.LoadBalancerTarget(loadBalancer)),
    comment: `boop-deploy: ${hostName} to the load balancer`,
  });
}
