import { IConstruct } from 'constructs';
import { Tags } from 'aws-cdk-lib';

/** The tag every taggable resource of an environment's stack carries. */
export const ENVIRONMENT_TAG = 'boop:environment';

/**
 * Resource types the environment tag skips: the stack uses them, and CloudFormation refuses their
 * Tags ("extraneous key [Tags] is not permitted") in at least one supported region, per cfn-lint's
 * bundled per-region schemas (docs/design.md "Regions"; `npm run test:aws` proves the list is enough).
 */
export const UNTAGGABLE_RESOURCE_TYPES = [
  // No region's schema has Tags.
  'AWS::ElasticLoadBalancingV2::Listener',
  'AWS::ElasticLoadBalancingV2::ListenerRule',
  'AWS::ApplicationAutoScaling::ScalableTarget',
  // No Tags in us-east-1, me-south-1 and me-central-1.
  'AWS::CloudWatch::Dashboard',
] as const;

/** Tags every resource of `scope` that every supported region accepts a tag on with the environment's name. */
export function tagEnvironment(scope: IConstruct, envName: string): void {
  Tags.of(scope).add(ENVIRONMENT_TAG, envName, { excludeResourceTypes: [...UNTAGGABLE_RESOURCE_TYPES] });
}
