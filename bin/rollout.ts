#!/usr/bin/env node
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { CliError, runRolloutCli } from '../lib/rollout-cli';

const clients = {
  cloudformation: new CloudFormationClient({}),
  elb: new ElasticLoadBalancingV2Client({}),
  ssm: new SSMClient({}),
  cloudwatch: new CloudWatchClient({}),
  lambda: new LambdaClient({}),
  sts: new STSClient({}),
};

runRolloutCli(process.argv.slice(2), clients, {
  out: (line) => console.log(line),
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}).catch((error) => {
  // A problem the operator can fix is a message, not a stack trace.
  console.error(error instanceof CliError ? `rollout: ${error.message}` : error);
  process.exitCode = 1;
});
