/**
 * The regions boop-deploy supports: the commercial AWS regions where CloudFormation knows every
 * resource type the stack uses, Slack's AWS::Chatbot included, as cfn-lint's per-region schemas
 * say (`npm run test:aws` lints the dev and prod templates in each; docs/design.md "Regions").
 * China, GovCloud and the isolated partitions are not among them (no Chatbot, other ARNs).
 */
export const SUPPORTED_REGIONS = [
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ca-central-1',
  'ca-west-1',
  'eu-central-1',
  'eu-central-2',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'mx-central-1',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
] as const;
