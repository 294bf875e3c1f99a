/** Whether the API-key parameters the services will read are in place, by the deploy-time presence check's own rules (never reading a value). */
import { describeParameters } from '../../common/keys/describe-parameters';
import { KeySlot, putKeyCommand } from '../../common/keys/api-keys';
import { keyParameterProblems } from '../../common/keys/parameter-check';
import { blocker, passed, PreflightCheck } from './check';

export const apiKeysCheck: PreflightCheck = {
  name: 'API keys',
  service: 'SSM',
  permissions: ['ssm:DescribeParameters'],
  run: async ({ facts, clients }, signal) => {
    const requirements = facts.keyRequirements;
    if (!requirements) return passed('the stack reads no API key parameter');
    const names = Object.values(requirements.parameters);
    const problems = keyParameterProblems(requirements, await describeParameters(clients.ssm, names, signal));
    if (problems.length > 0) {
      const slots = (Object.entries(requirements.parameters) as [KeySlot, string][]).filter(([, name]) => problems.some((p) => p.includes(name)));
      return blocker(
        `the deploy's presence check would refuse: ${problems.join('; ')}`,
        slots.map(([slot]) => putKeyCommand(requirements.envName, slot)).join(', then '),
      );
    }
    return passed(`${names.join(' and ')} ${names.length === 1 ? 'is a SecureString' : 'are SecureStrings'} with the key the tasks may decrypt with`);
  },
};
