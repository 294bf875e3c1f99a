/** The environments the operator CLIs accept: those cdk.json declares (lib/config/environments.ts), read before any AWS call. */
import { BOOP_ENVIRONMENT_FIELD, DeclaredEnvironment, Declarations, ENVIRONMENTS_CONTEXT_KEY, readDeclarations } from '../lib/config/environments';
import { readCdkJsonContext } from './cdk-context';
import { CliError } from './errors';

/** Where a CLI reads the declared environments from: cdk.json in the folder `npm run` runs in, unless a test gives others. */
export type EnvironmentSource = () => Declarations;

/** The environments cdk.json in `cwd` declares. */
export function projectEnvironments(cwd: string = process.cwd()): Declarations {
  return readDeclarations(readCdkJsonContext(cwd, 'the command')[ENVIRONMENTS_CONTEXT_KEY]);
}

/**
 * The declared environment `--env` names, or a CliError listing those declared. Problems of other
 * declarations do not stop a command on this one (a rollback must not wait for a typo elsewhere).
 */
export function resolveEnvironment(
  name: string | undefined,
  declarations: Declarations,
  /** How the refusal shows the name the operator typed (the keys CLI never repeats a word, which could be a pasted key). */
  shown: (word: string) => string = (word) => JSON.stringify(word),
): DeclaredEnvironment {
  const declared = [...declarations.environments.keys()].join(', ');
  if (name === undefined) throw new CliError(`--env is required; declared environments: ${declared}`);
  const environment = declarations.environments.get(name);
  if (environment) return environment;
  const problems = declarations.problems.length > 0 ? `; cdk.json's declarations have problems: ${declarations.problems.join('; ')}` : '';
  throw new CliError(
    `unknown environment ${shown(name)}; declared environments: ${declared} (declare others in cdk.json's ${ENVIRONMENTS_CONTEXT_KEY} with their "${BOOP_ENVIRONMENT_FIELD}")${problems}`,
  );
}
