/**
 * Whether an environment's key parameters let a task start: ECS refuses to start a task whose
 * secret parameter is missing or cannot be decrypted by its execution role. The deploy-time
 * presence check, `keys check` and `keys restart` all judge the parameters with these rules.
 * Plain TypeScript with no imports beyond common/, so a function bundle and the CLIs load it.
 */
import { AWS_MANAGED_SSM_KEY, KeySlot, putKeyCommand } from './api-keys';

/** What SSM's DescribeParameters says about one parameter (never its value); undefined fields are unknown. */
export interface ParameterFacts {
  readonly name: string;
  /** String, StringList or SecureString. */
  readonly type?: string;
  /** The KMS key a SecureString is encrypted with, as SSM reports it (an alias, a key id or a key ARN). */
  readonly keyId?: string;
  readonly lastModified?: Date;
  readonly version?: number;
}

/** What an environment's tasks need of its key parameters. */
export interface KeyRequirements {
  readonly envName: string;
  /** The parameter name of each key slot the tasks read. */
  readonly parameters: Readonly<Partial<Record<KeySlot, string>>>;
  /** The customer-managed KMS key ARN the parameters must be encrypted with; undefined for the AWS-managed aws/ssm key. */
  readonly encryptionKeyArn?: string;
}

/**
 * True when SSM's KeyId for a SecureString names the expected key: the AWS-managed key by its
 * alias, a customer key by its ARN or id. An alias of a customer key cannot be told apart here, so it does not match.
 */
export function encryptedWith(keyId: string | undefined, encryptionKeyArn: string | undefined): boolean {
  if (encryptionKeyArn === undefined) return keyId === undefined || keyId === AWS_MANAGED_SSM_KEY;
  const id = encryptionKeyArn.split('/').pop();
  return keyId === encryptionKeyArn || keyId === id;
}

/** The key a parameter should be encrypted with, in words. */
function keyInWords(encryptionKeyArn: string | undefined): string {
  return encryptionKeyArn ? `the configured KMS key ${encryptionKeyArn}` : `the AWS-managed key ${AWS_MANAGED_SSM_KEY}`;
}

/**
 * Every reason a task of the environment could not start with these parameters, one line each
 * with the exact command that fixes it; empty when every required parameter is usable.
 * `found` holds what DescribeParameters returned; a name it lacks is a missing parameter.
 */
export function keyParameterProblems(requirements: KeyRequirements, found: readonly ParameterFacts[]): string[] {
  const byName = new Map(found.map((facts) => [facts.name, facts]));
  const problems: string[] = [];
  for (const [slot, name] of Object.entries(requirements.parameters) as [KeySlot, string][]) {
    const facts = byName.get(name);
    const fix = putKeyCommand(requirements.envName, slot);
    if (facts === undefined) {
      problems.push(`the ${slot} API key parameter ${name} does not exist; put it with: ${fix}`);
    } else if (facts.type !== 'SecureString') {
      problems.push(`the ${slot} API key parameter ${name} is a ${facts.type ?? 'parameter of unknown type'}, not a SecureString; replace it with: ${fix}`);
    } else if (!encryptedWith(facts.keyId, requirements.encryptionKeyArn)) {
      problems.push(
        `the ${slot} API key parameter ${name} is encrypted with ${facts.keyId}, not ${keyInWords(requirements.encryptionKeyArn)} that the tasks may decrypt with; write it again with: ${fix}`,
      );
    }
  }
  return problems;
}
