/**
 * Whether the account's Lambda concurrency leaves room for every reservation the stack makes. Lambda
 * refuses a reservation that would leave fewer than UNRESERVED_MINIMUM executions unreserved (fewer
 * in an account whose whole limit is smaller: then the whole limit), so a new account's limit of 10
 * fails the deploy (docs/design.md "Preflight").
 */
import { GetAccountSettingsCommand, GetFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { blocker, errorName, passed, PreflightCheck } from './check';

/**
 * What Lambda keeps unreserved: "as long as you leave at least 100 simultaneous executions unreserved"
 * (Lambda API reference, PutFunctionConcurrency); accounts whose limit is below it are refused any
 * reservation that lowers the unreserved pool below the limit itself ("minimum value of [10]", seen).
 */
export const UNRESERVED_MINIMUM = 100;
/** The Service Quotas code of "Concurrent executions" (Lambda). */
export const CONCURRENCY_QUOTA_CODE = 'L-B99A9384';

export const lambdaConcurrencyCheck: PreflightCheck = {
  name: 'Lambda concurrency',
  service: 'Lambda',
  permissions: ['lambda:GetAccountSettings', 'lambda:GetFunctionConcurrency'],
  run: async ({ region, facts, clients }, signal) => {
    const wanted = facts.reservations.reduce((sum, r) => sum + r.reserved, 0);
    if (wanted === 0) return passed('the stack reserves no concurrency');
    const settings = await clients.lambda.send(new GetAccountSettingsCommand({}), { abortSignal: signal });
    const limit = settings.AccountLimit?.ConcurrentExecutions ?? 0;
    const unreserved = settings.AccountLimit?.UnreservedConcurrentExecutions ?? 0;
    // A re-deploy's functions already hold their reservations: only the difference comes out of the pool.
    let held = 0;
    for (const { functionName } of facts.reservations) {
      if (!functionName) continue;
      try {
        const answer = await clients.lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: functionName }), { abortSignal: signal });
        held += answer.ReservedConcurrentExecutions ?? 0;
      } catch (error) {
        if (errorName(error) !== 'ResourceNotFoundException') throw error;
      }
    }
    const added = wanted - held;
    const minimum = Math.min(UNRESERVED_MINIMUM, limit);
    const left = unreserved - added;
    const summary = `the stack reserves ${wanted} (${held} already held), the account's limit in ${region} is ${limit} with ${unreserved} unreserved`;
    if (left >= minimum) return passed(`${summary}: ${left} stay unreserved (Lambda keeps at least ${minimum})`);
    // After the increase the limit is at least 100, so Lambda keeps 100 unreserved.
    const desired = limit - unreserved + added + UNRESERVED_MINIMUM;
    return blocker(
      `${summary}: Lambda would refuse the reservation, since at least ${minimum} must stay unreserved`,
      `ask for a higher concurrency limit: aws service-quotas request-service-quota-increase --service-code lambda --quota-code ${CONCURRENCY_QUOTA_CODE} --desired-value ${desired} --region ${region} (console: Service Quotas > AWS Lambda > Concurrent executions > Request increase)`,
    );
  },
};
