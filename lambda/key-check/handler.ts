import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { SSMClient } from '@aws-sdk/client-ssm';
import { createLogger } from '../../common/logging';
import { KEY_CHECK_SERVICE } from '../../common/names';
import { boundedClientConfig } from '../support/aws-clients';
import { checkKeys, KEY_CHECK_AWS_LIMITS, KeyCheckLog } from './check';

const region = process.env.AWS_REGION ?? '';
if (!region) throw new Error('environment variable AWS_REGION is not set (Lambda sets it)');
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? '';
if (!functionName) throw new Error('environment variable AWS_LAMBDA_FUNCTION_NAME is not set (Lambda sets it)');
const logger = createLogger(KEY_CHECK_SERVICE);
const log: KeyCheckLog = {
  info: (message, extra = {}) => logger.info(message, extra),
  warn: (message, extra = {}) => logger.warn(message, extra),
  error: (message, extra = {}) => logger.error(message, extra),
};
// Every call ends: bounded connect and answer times, and the SDK's own adaptive retry (no loop around it).
const clientConfig = boundedClientConfig(KEY_CHECK_AWS_LIMITS);
const ssm = new SSMClient(clientConfig);
const cloudformation = new CloudFormationClient(clientConfig);

export async function handler(event: unknown): Promise<unknown> {
  return checkKeys(event, { ssm, cloudformation, region, functionName, log });
}
