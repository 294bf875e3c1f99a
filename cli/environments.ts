/** The environments the operator CLIs accept: those cdk.json declares (lib/config/environments.ts), read before any AWS call. */
import { BoopEnvironment, BUILT_IN_ENVIRONMENTS, environmentNameProblem } from '../common/names';
import { BOOP_ENVIRONMENT_FIELD, DeclaredEnvironment, Declarations, ENVIRONMENTS_CONTEXT_KEY, problemsOf, readDeclarations } from '../lib/config/environments';
import { readCdkJsonContext } from './cdk-context';
import { CliError } from './errors';

/** Where a CLI reads the declared environments from: cdk.json in the folder `npm run` runs in, unless a test gives others. */
export type EnvironmentSource = () => Declarations;

/** The environments cdk.json in `cwd` declares. */
export function projectEnvironments(cwd: string = process.cwd()): Declarations {
  return readDeclarations(readCdkJsonContext(cwd, 'the command')[ENVIRONMENTS_CONTEXT_KEY]);
}

/** How a command may go on when cdk.json cannot be read: never, or (a rollback, which only ever puts blue alone) as production. */
export type UnreadableProject = 'refuse' | 'as-production';

/**
 * The declared environment `--env` names, or a CliError listing those declared. dev and prod need no
 * cdk.json, and problems of other declarations do not stop a command on this one (a rollback must
 * not wait for a typo elsewhere). `shown` is how a refusal repeats the word typed (the keys CLI never
 * repeats one that could be a pasted key).
 */
export function resolveEnvironment(
  name: string | undefined,
  environments: EnvironmentSource,
  shown: (word: string) => string = (word) => JSON.stringify(word),
  unreadable: UnreadableProject = 'refuse',
): DeclaredEnvironment {
  if (name !== undefined && Object.hasOwn(BUILT_IN_ENVIRONMENTS, name)) return { name, boopEnvironment: BUILT_IN_ENVIRONMENTS[name] };
  let declarations: Declarations;
  try {
    declarations = environments();
  } catch (error) {
    // Without cdk.json the binding is unknown: a command that may go on takes production's, the safe side.
    if (unreadable === 'as-production' && name !== undefined && environmentNameProblem(name) === undefined)
      return { name, boopEnvironment: 'production' satisfies BoopEnvironment };
    throw error;
  }
  const declared = [...declarations.environments.keys()].join(', ');
  if (name === undefined) throw new CliError(`--env is required; declared environments: ${declared}`);
  const environment = declarations.environments.get(name);
  if (environment) return environment;
  const problems = problemsOf(declarations, name);
  throw new CliError(
    `unknown environment ${shown(name)}; declared environments: ${declared} (declare others in cdk.json's ${ENVIRONMENTS_CONTEXT_KEY} with their "${BOOP_ENVIRONMENT_FIELD}")${problems.length > 0 ? `; ${problems.join('; ')}` : ''}`,
  );
}
