/**
 * Environments as a team declares them in cdk.json, for the operator CLIs' tests: a table of names
 * bound to either BOOP environment, and generated names, each read by readDeclarations as the CLIs
 * read cdk.json. The CLIs' production rules must follow the binding, never the name.
 */
import fc from 'fast-check';
import { BOOP_ENVIRONMENTS, BoopEnvironment, BUILT_IN_ENVIRONMENTS, ENVIRONMENT_NAME, MAX_ENVIRONMENT_NAME_LENGTH } from '../../common/names';
import { DeclaredEnvironment, Declarations, readDeclarations } from '../../lib/config/environments';

/** Read as cdk.json's boop:environments is read; a declaration with problems fails the test that builds it. */
export function declare(environments: Readonly<Record<string, BoopEnvironment | undefined>>): Declarations {
  const declarations = readDeclarations(
    Object.fromEntries(Object.entries(environments).map(([name, boopEnvironment]) => [name, boopEnvironment ? { boopEnvironment } : {}])),
  );
  if (declarations.problems.length > 0) throw new Error(`the test's declarations have problems: ${declarations.problems.map((p) => p.problem).join('; ')}`);
  return declarations;
}

/** Names that say nothing of their BOOP environment, or say the wrong thing: prod-eu and preprod are production, staging development. */
export const DECLARED = declare({ 'dev': undefined, 'prod': undefined, 'staging': 'development', 'preprod': 'production', 'prod-eu': 'production' });

/** Every environment of DECLARED, for test.each: [name, BOOP environment]. */
export const DECLARED_TABLE: readonly (readonly [string, BoopEnvironment])[] = [...DECLARED.environments.values()].map((e) => [e.name, e.boopEnvironment]);

/** dev and prod alone, as a project that declares nothing has them. */
export const BUILT_INS_ONLY = readDeclarations(undefined);

/** An environment of any name a team may give (the built-ins' aside, whose binding is fixed), bound to either BOOP environment. */
export const anyDeclaredEnvironment: fc.Arbitrary<DeclaredEnvironment> = fc.record({
  name: fc.stringMatching(ENVIRONMENT_NAME).filter((name) => name.length <= MAX_ENVIRONMENT_NAME_LENGTH && !Object.hasOwn(BUILT_IN_ENVIRONMENTS, name)),
  boopEnvironment: fc.constantFrom(...BOOP_ENVIRONMENTS),
});

/** The declarations of a project that declares `environment` besides dev and prod. */
export function declaring(environment: DeclaredEnvironment): Declarations {
  return declare({ [environment.name]: environment.boopEnvironment });
}
