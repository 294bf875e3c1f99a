/**
 * A synthesized template as it would stand deployed in one account and region: every intrinsic
 * (Ref, Fn::GetAtt, Fn::Join, Fn::Sub) resolved to a concrete, well-formed identifier, so IAM
 * policies can be evaluated against the real resources' ARNs.
 */
import { createHash } from 'crypto';

export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
export const PARTITION = 'aws';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const PSEUDO: Record<string, string> = {
  'AWS::Partition': PARTITION,
  'AWS::Region': REGION,
  'AWS::AccountId': ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'BoopIntegration-prod',
  'AWS::StackId': 'arn:aws:cloudformation:eu-west-1:111122223333:stack/BoopIntegration-prod/0a1b2c3d-4e5f-6789-abcd-ef0123456789',
};

const hex = (text: string, length: number) => createHash('sha256').update(text).digest('hex').slice(0, length);
const uuid = (text: string) => {
  const h = hex(text, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

export class DeployedTemplate {
  /** `refs`: what `Ref` returns for chosen logical ids, for values a test fixes itself (e.g. an Elastic IP's address). */
  constructor(
    readonly template: Json,
    readonly refs: Readonly<Record<string, string>> = {},
  ) {}

  get resources(): Record<string, Json> {
    return this.template.Resources;
  }

  /** What `Ref` returns for a resource, as CloudFormation would. */
  ref(logicalId: string): string {
    if (logicalId in PSEUDO) return PSEUDO[logicalId];
    if (logicalId in this.refs) return this.refs[logicalId];
    const resource = this.resources[logicalId];
    if (!resource) {
      if (this.template.Parameters?.[logicalId]) return String(this.template.Parameters[logicalId].Default ?? '');
      throw new Error(`no resource or parameter ${logicalId}`);
    }
    const p = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::ElasticLoadBalancingV2::LoadBalancer':
        return `arn:${PARTITION}:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/boop-alb/${hex(logicalId, 16)}`;
      case 'AWS::ElasticLoadBalancingV2::Listener':
        return `arn:${PARTITION}:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/app/boop-alb/${hex('alb', 16)}/${hex(logicalId, 16)}`;
      case 'AWS::ElasticLoadBalancingV2::TargetGroup':
        return `arn:${PARTITION}:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/${logicalId.slice(0, 20)}/${hex(logicalId, 16)}`;
      case 'AWS::SNS::Topic':
        return `arn:${PARTITION}:sns:${REGION}:${ACCOUNT}:${p.TopicName ?? logicalId}`;
      case 'AWS::SQS::Queue':
        return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${logicalId}`;
      case 'AWS::KMS::Key':
        return uuid(logicalId);
      case 'AWS::Logs::LogGroup':
        return p.LogGroupName ?? `/aws/generated/${logicalId}`;
      case 'AWS::Lambda::Function':
        return p.FunctionName ?? logicalId;
      case 'AWS::CloudWatch::Alarm':
      case 'AWS::CloudWatch::CompositeAlarm':
        return p.AlarmName ?? logicalId;
      case 'AWS::Events::Rule':
        return p.Name ?? logicalId;
      case 'AWS::EC2::SecurityGroup':
        return `sg-${hex(logicalId, 17)}`;
      case 'AWS::EC2::VPC':
        return `vpc-${hex(logicalId, 17)}`;
      default:
        return logicalId;
    }
  }

  /** What `Fn::GetAtt` returns. */
  getAtt(logicalId: string, attribute: string): string {
    const resource = this.resources[logicalId];
    if (!resource) throw new Error(`no resource ${logicalId}`);
    const ref = this.ref(logicalId);
    if (attribute === 'Arn') {
      switch (resource.Type) {
        case 'AWS::SQS::Queue':
          return `arn:${PARTITION}:sqs:${REGION}:${ACCOUNT}:${logicalId}`;
        case 'AWS::KMS::Key':
          return `arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:key/${ref}`;
        case 'AWS::Logs::LogGroup':
          return `arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:${ref}:*`;
        case 'AWS::Lambda::Function':
          return `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:${ref}`;
        case 'AWS::IAM::Role':
          return `arn:${PARTITION}:iam::${ACCOUNT}:role/${logicalId}`;
        case 'AWS::SNS::Topic':
          return ref;
        case 'AWS::CloudWatch::Alarm':
        case 'AWS::CloudWatch::CompositeAlarm':
          return `arn:${PARTITION}:cloudwatch:${REGION}:${ACCOUNT}:alarm:${ref}`;
        case 'AWS::Events::Rule':
          return `arn:${PARTITION}:events:${REGION}:${ACCOUNT}:rule/${ref}`;
        default:
          return ref;
      }
    }
    if (resource.Type === 'AWS::EC2::VPC' && attribute === 'DefaultSecurityGroup') return `sg-${hex(`${logicalId}.default`, 17)}`;
    return `${logicalId}.${attribute}`;
  }

  /** Resolves every intrinsic in a value. */
  resolve(value: Json): Json {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [key] = keys;
      const arg = value[key];
      if (key === 'Ref') return this.ref(arg);
      if (key === 'Fn::GetAtt') return this.getAtt(arg[0], arg[1]);
      if (key === 'Fn::Join') return (this.resolve(arg[1]) as string[]).join(arg[0]);
      if (key === 'Fn::Sub') {
        const [text, variables] = typeof arg === 'string' ? [arg, {}] : arg;
        return text.replace(/\$\{([^}]+)\}/g, (_: string, name: string) => {
          if (variables[name] !== undefined) return this.resolve(variables[name]);
          const [id, attribute] = name.split('.');
          return attribute ? this.getAtt(id, attribute) : this.ref(id);
        });
      }
      if (key === 'Fn::Select') return this.resolve(arg[1])[arg[0]];
    }
    return Object.fromEntries(keys.map((k) => [k, this.resolve(value[k])]));
  }
}
