import { CfnCondition, CfnMapping, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import { LoadBalancerConfig } from '../config/environment-config';

const ACCESS_LOG_PREFIX = 'alb';
/** Mapping value for regions that have no ELB log-delivery account. */
const NO_ELB_ACCOUNT = 'none';

/** The internet-facing load balancer in front of both slots, with its access logs in a bucket of their own. */
export function createLoadBalancer(scope: Construct, vpc: ec2.IVpc, config: LoadBalancerConfig): elbv2.ApplicationLoadBalancer {
  const accessLogs = new s3.Bucket(scope, 'AccessLogs', {
    // ALB access logs can only be delivered to SSE-S3 buckets.
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    lifecycleRules: [{ expiration: Duration.days(config.accessLogRetentionDays) }],
    // Access logs are audit data and a non-empty bucket cannot be deleted anyway: it outlives the stack.
    removalPolicy: RemovalPolicy.RETAIN,
  });
  Validations.of(accessLogs).acknowledge({
    id: 'AwsSolutions-S1',
    reason:
      'This bucket only receives ALB access logs; S3 server access logs of a log bucket would log log-deliveries into yet another bucket without adding an audit trail for requests.',
  });
  const alb = new elbv2.ApplicationLoadBalancer(scope, 'LoadBalancer', {
    vpc,
    internetFacing: true,
    dropInvalidHeaderFields: true,
    desyncMitigationMode: elbv2.DesyncMitigationMode.STRICTEST,
  });
  enableAccessLogs(alb, accessLogs, ACCESS_LOG_PREFIX);
  Validations.of(alb).acknowledge({
    id: 'AwsSolutions-EC23',
    // Said per configuration: dev may run without a certificate (plain HTTP) and any environment without the WAF.
    reason: `Internet-facing entry point for the vendor's clients, who connect from anywhere; it opens only the listener ports (${
      config.certificateArn
        ? 'HTTPS, and HTTP that redirects to HTTPS'
        : 'plain HTTP: no certificate is configured, which only dev allows, with a synth warning'
    }) and drops invalid headers; ${config.wafEnabled ? 'it sits behind the WAF web ACL' : 'loadBalancer.wafEnabled is false, so no WAF web ACL guards it'}.`,
  });
  return alb;
}

/**
 * ALB access logs to `bucket` without knowing the region at synth (CDK's logAccessLogs needs it).
 * Regions opened before August 2022 deliver as a regional ELB account, newer ones as the
 * logdelivery.elasticloadbalancing.amazonaws.com service; the bucket allows whichever applies.
 */
function enableAccessLogs(alb: elbv2.ApplicationLoadBalancer, bucket: s3.Bucket, prefix: string): void {
  const stack = Stack.of(alb);
  const mapping = new CfnMapping(alb, 'ElbLogDeliveryAccount', {
    mapping: Object.fromEntries(RegionInfo.regions.map((r) => [r.name, { account: r.elbv2Account ?? NO_ELB_ACCOUNT }])),
  });
  const elbAccount = mapping.findInMap(stack.region, 'account');
  const hasElbAccount = new CfnCondition(alb, 'RegionHasElbLogAccount', {
    expression: Fn.conditionNot(Fn.conditionEquals(elbAccount, NO_ELB_ACCOUNT)),
  });
  const logObjects = bucket.arnForObjects(`${prefix}/AWSLogs/${stack.account}/*`);
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      actions: ['s3:PutObject'],
      // In a newer region the ELB account does not exist; the statement then names this account, which IAM already governs.
      principals: [
        new iam.ArnPrincipal(
          Fn.conditionIf(
            hasElbAccount.logicalId,
            `arn:${stack.partition}:iam::${elbAccount}:root`,
            `arn:${stack.partition}:iam::${stack.account}:root`,
          ).toString(),
        ),
      ],
      resources: [logObjects],
    }),
  );
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      actions: ['s3:PutObject'],
      principals: [new iam.ServicePrincipal('logdelivery.elasticloadbalancing.amazonaws.com')],
      resources: [logObjects],
    }),
  );
  alb.setAttribute('access_logs.s3.enabled', 'true');
  alb.setAttribute('access_logs.s3.bucket', bucket.bucketName);
  alb.setAttribute('access_logs.s3.prefix', prefix);
  // The ALB checks it may write to the bucket when the attribute is set.
  if (bucket.policy) alb.node.addDependency(bucket.policy);
}
