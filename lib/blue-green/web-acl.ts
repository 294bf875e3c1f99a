import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { LoadBalancerConfig } from '../config/environment-config';
import { BOOP_ROUTE_RATE_LIMIT } from '../guides';

/** What WAF does to the request path before the rate rule compares it, lowest priority first: decode %XX, collapse // and resolve ./ and ../, lowercase. */
const RATE_RULE_PATH_TRANSFORMATIONS = ['URL_DECODE', 'NORMALIZE_PATH', 'LOWERCASE'] as const;

/** The environment guide's per-IP limiter on the BOOP routes, and AWS's common rule set, in front of the load balancer. */
export function createWebAcl(scope: Construct, loadBalancer: elbv2.ApplicationLoadBalancer, config: LoadBalancerConfig): wafv2.CfnWebACL {
  const visibility = (metricName: string) => ({ cloudWatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true });
  const webAcl = new wafv2.CfnWebACL(scope, 'WebAcl', {
    scope: 'REGIONAL',
    defaultAction: { allow: {} },
    visibilityConfig: visibility('boop-web-acl'),
    rules: [
      {
        name: 'BoopRoutesRatePerIp',
        priority: 0,
        action: { block: { customResponse: { responseCode: 429 } } },
        statement: {
          rateBasedStatement: {
            limit: config.wafRateLimitPerMinute,
            evaluationWindowSec: BOOP_ROUTE_RATE_LIMIT.windowSeconds,
            aggregateKeyType: 'IP',
            scopeDownStatement: {
              byteMatchStatement: {
                fieldToMatch: { uriPath: {} },
                positionalConstraint: 'STARTS_WITH',
                // Validation keeps the configured path in the form the transformations produce (lowercase, no %XX, no //, ./ or ../).
                searchString: config.wafRateLimitPath,
                textTransformations: RATE_RULE_PATH_TRANSFORMATIONS.map((type, priority) => ({ priority, type })),
              },
            },
          },
        },
        visibilityConfig: visibility('boop-routes-rate-per-ip'),
      },
      {
        name: 'AWSManagedRulesCommonRuleSet',
        priority: 1,
        overrideAction: { none: {} },
        statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesCommonRuleSet' } },
        visibilityConfig: visibility('aws-common-rule-set'),
      },
    ],
  });
  new wafv2.CfnWebACLAssociation(scope, 'WebAclAssociation', {
    resourceArn: loadBalancer.loadBalancerArn,
    webAclArn: webAcl.attrArn,
  });
  return webAcl;
}
