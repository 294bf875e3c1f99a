/**
 * The environments a project has: dev and prod, and each one the team declares in cdk.json's
 * `boop:environments` by its own name, with the BOOP environment it talks to. The app, preflight
 * and the operator CLIs all read them here, so a name nobody declared is refused before anything runs.
 */
import { BOOP_ENVIRONMENTS, BoopEnvironment, BUILT_IN_ENVIRONMENTS, environmentNameProblem } from '../../common/names';
import { show } from './formats';
import { isPlainObject } from './fields';

/** Context key in cdk.json declaring the environments, each with its fields: { "dev": {...}, "staging": { "boopEnvironment": "development", ... } }. */
export const ENVIRONMENTS_CONTEXT_KEY = 'boop:environments';
/** The field of a declaration that binds the environment to a BOOP environment; declared in cdk.json alone. */
export const BOOP_ENVIRONMENT_FIELD = 'boopEnvironment';

/** An environment as declared: the team's name for it and the BOOP environment it talks to. */
export interface DeclaredEnvironment {
  readonly name: string;
  readonly boopEnvironment: BoopEnvironment;
}

/** The declared environments by name (dev and prod always among them), and what is wrong with the declarations. */
export interface Declarations {
  readonly environments: ReadonlyMap<string, DeclaredEnvironment>;
  /** Every problem, each with the name of the declaration it is about ('' for the whole of `boop:environments`). */
  readonly problems: readonly { readonly name: string; readonly problem: string }[];
  /** Where each declaration pins its environment in cdk.json, for the declarations that do. */
  readonly pins: ReadonlyMap<string, { readonly account: string; readonly region: string }>;
}

const BOTH = BOOP_ENVIRONMENTS.join(' or ');

/** Reads cdk.json's `boop:environments`: every environment it declares, and every problem of the declarations at once. */
export function readDeclarations(declarations: unknown): Declarations {
  const environments = new Map<string, DeclaredEnvironment>(
    Object.entries(BUILT_IN_ENVIRONMENTS).map(([name, boopEnvironment]) => [name, { name, boopEnvironment }]),
  );
  const problems: { name: string; problem: string }[] = [];
  const pins = new Map<string, { account: string; region: string }>();
  if (declarations === undefined) return { environments, problems, pins };
  if (!isPlainObject(declarations)) {
    problems.push({
      name: '',
      problem: `context "${ENVIRONMENTS_CONTEXT_KEY}" must be an object keyed by environment name, such as { "dev": {}, "staging": { "${BOOP_ENVIRONMENT_FIELD}": "development" } }`,
    });
    return { environments, problems, pins };
  }
  const at = (name: string) => `cdk.json ${ENVIRONMENTS_CONTEXT_KEY}.${name}`;
  for (const [name, fields] of Object.entries(declarations)) {
    const problem = (text: string) => problems.push({ name, problem: text });
    const nameProblem = environmentNameProblem(name);
    if (nameProblem) {
      problem(`cdk.json ${ENVIRONMENTS_CONTEXT_KEY}: ${nameProblem}; rename the environment`);
      continue;
    }
    // A built-in environment is its own BOOP environment's; anything else says which it talks to.
    const builtIn = Object.hasOwn(BUILT_IN_ENVIRONMENTS, name) ? BUILT_IN_ENVIRONMENTS[name] : undefined;
    const bound = isPlainObject(fields) && Object.hasOwn(fields, BOOP_ENVIRONMENT_FIELD) ? fields[BOOP_ENVIRONMENT_FIELD] : undefined;
    if (bound !== undefined && !(BOOP_ENVIRONMENTS as readonly unknown[]).includes(bound)) {
      problem(`${at(name)}.${BOOP_ENVIRONMENT_FIELD} must be ${BOTH}, got ${show(bound)}`);
    } else if (builtIn !== undefined && bound !== undefined && bound !== builtIn) {
      problem(
        `${at(name)}.${BOOP_ENVIRONMENT_FIELD}: ${name} always talks to BOOP ${builtIn}; declare an environment of your own name for BOOP ${bound as string}`,
      );
    } else if (builtIn === undefined && bound === undefined) {
      problem(`${at(name)}: say which BOOP environment it talks to: "${BOOP_ENVIRONMENT_FIELD}": "development" or "production"`);
    } else {
      environments.set(name, { name, boopEnvironment: builtIn ?? (bound as BoopEnvironment) });
    }
    const [account, region] = isPlainObject(fields) ? [fields.account, fields.region] : [];
    if (typeof account === 'string' && typeof region === 'string') pins.set(name, { account, region });
  }
  return { environments, problems, pins };
}

/** The problems of the declarations that concern `name`: its own and those of the whole list. */
export function problemsOf(declarations: Declarations, name: string): string[] {
  return declarations.problems.filter((p) => p.name === '' || p.name === name).map((p) => p.problem);
}

/**
 * Why `environment`, going to `account` and `region`, may not: another declaration bound to the
 * same BOOP environment is pinned there in cdk.json. Their metrics would mix (the metric contract's
 * Environment dimension is the BOOP environment), so each one's alarms would judge, and roll back
 * on, the other's traffic. Preflight finds the same clash among the stacks really deployed.
 */
export function sharedPlaceProblem(
  environment: DeclaredEnvironment,
  place: { readonly account?: string; readonly region?: string },
  declarations: Declarations,
): string | undefined {
  if (place.account === undefined || place.region === undefined) return undefined;
  const sharing = [...declarations.pins]
    .filter(([name, pin]) => name !== environment.name && pin.account === place.account && pin.region === place.region)
    .filter(([name]) => declarations.environments.get(name)?.boopEnvironment === environment.boopEnvironment)
    .map(([name]) => name);
  if (sharing.length === 0) return undefined;
  return `account and region: ${sharing.join(' and ')} ${sharing.length === 1 ? 'is' : 'are'} pinned to account ${place.account} and region ${place.region} too, against BOOP ${environment.boopEnvironment}; their metrics would mix with ${environment.name}'s (each one's alarms would judge and roll back on the other's traffic), so pin ${environment.name} or ${sharing.join(' and ')} to another account or region`;
}

/** The refusal of a name nobody declared, listing those declared. */
export function unknownEnvironment(name: unknown, environments: ReadonlyMap<string, DeclaredEnvironment>, option: string): string {
  return `unknown environment ${typeof name === 'string' ? `"${name}"` : show(name)} given with ${option}; declared environments: ${[...environments.keys()].join(', ')} (declare others in cdk.json's ${ENVIRONMENTS_CONTEXT_KEY} with their "${BOOP_ENVIRONMENT_FIELD}")`;
}
