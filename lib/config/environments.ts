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
  readonly problems: readonly string[];
}

const BOTH = BOOP_ENVIRONMENTS.join(' or ');

/** Reads cdk.json's `boop:environments`: every environment it declares, and every problem of the declarations at once. */
export function readDeclarations(declarations: unknown): Declarations {
  const environments = new Map<string, DeclaredEnvironment>(
    Object.entries(BUILT_IN_ENVIRONMENTS).map(([name, boopEnvironment]) => [name, { name, boopEnvironment }]),
  );
  const problems: string[] = [];
  if (declarations === undefined) return { environments, problems };
  if (!isPlainObject(declarations)) {
    problems.push(
      `context "${ENVIRONMENTS_CONTEXT_KEY}" must be an object keyed by environment name, such as { "dev": {}, "staging": { "${BOOP_ENVIRONMENT_FIELD}": "development" } }`,
    );
    return { environments, problems };
  }
  const at = (name: string) => `cdk.json ${ENVIRONMENTS_CONTEXT_KEY}.${name}`;
  for (const [name, fields] of Object.entries(declarations)) {
    const nameProblem = environmentNameProblem(name);
    if (nameProblem) {
      problems.push(`cdk.json ${ENVIRONMENTS_CONTEXT_KEY}: ${nameProblem}; rename the environment`);
      continue;
    }
    // A built-in environment is its own BOOP environment's; anything else says which it talks to.
    const builtIn = Object.hasOwn(BUILT_IN_ENVIRONMENTS, name) ? BUILT_IN_ENVIRONMENTS[name] : undefined;
    const bound = isPlainObject(fields) && Object.hasOwn(fields, BOOP_ENVIRONMENT_FIELD) ? fields[BOOP_ENVIRONMENT_FIELD] : undefined;
    if (bound !== undefined && !(BOOP_ENVIRONMENTS as readonly unknown[]).includes(bound)) {
      problems.push(`${at(name)}.${BOOP_ENVIRONMENT_FIELD} must be ${BOTH}, got ${show(bound)}`);
    } else if (builtIn !== undefined && bound !== undefined && bound !== builtIn) {
      problems.push(
        `${at(name)}.${BOOP_ENVIRONMENT_FIELD}: ${name} always talks to BOOP ${builtIn}; declare an environment of your own name for BOOP ${bound as string}`,
      );
    } else if (builtIn === undefined && bound === undefined) {
      problems.push(`${at(name)}: say which BOOP environment it talks to: "${BOOP_ENVIRONMENT_FIELD}": "development" or "production"`);
    } else {
      environments.set(name, { name, boopEnvironment: builtIn ?? (bound as BoopEnvironment) });
    }
  }
  problems.push(...sharedMetrics(declarations, environments));
  return { environments, problems };
}

/**
 * Two environments pinned to one account and region and bound to one BOOP environment would publish
 * the same metrics (the metric contract's Environment dimension is the BOOP environment): each one's
 * alarms would judge, and roll back on, the other's traffic.
 */
function sharedMetrics(declarations: Record<string, unknown>, environments: ReadonlyMap<string, DeclaredEnvironment>): string[] {
  const byPlace = new Map<string, string[]>();
  for (const { name, boopEnvironment } of environments.values()) {
    const fields = Object.hasOwn(declarations, name) ? declarations[name] : undefined;
    const [account, region] = isPlainObject(fields) ? [fields.account, fields.region] : [];
    if (typeof account !== 'string' || typeof region !== 'string') continue;
    const place = `account ${account} and region ${region}, both against BOOP ${boopEnvironment}`;
    byPlace.set(place, [...(byPlace.get(place) ?? []), name]);
  }
  return [...byPlace].flatMap(([place, names]) =>
    names.length < 2
      ? []
      : [
          `cdk.json ${ENVIRONMENTS_CONTEXT_KEY}: ${names.join(' and ')} are pinned to ${place}; their metrics would mix (each one's alarms would judge and roll back on the other's traffic), so pin one to another account or region`,
        ],
  );
}

/** The declared environment of this name, if any (`-c env=` or `--env` gave it). */
export function declaredEnvironment(name: unknown, environments: ReadonlyMap<string, DeclaredEnvironment>): DeclaredEnvironment | undefined {
  return typeof name === 'string' ? environments.get(name) : undefined;
}

/** The refusal of a name nobody declared, listing those declared. */
export function unknownEnvironment(name: unknown, environments: ReadonlyMap<string, DeclaredEnvironment>, option: string): string {
  return `unknown environment ${typeof name === 'string' ? `"${name}"` : show(name)} given with ${option}; declared environments: ${[...environments.keys()].join(', ')} (declare others in cdk.json's ${ENVIRONMENTS_CONTEXT_KEY} with their "${BOOP_ENVIRONMENT_FIELD}")`;
}
