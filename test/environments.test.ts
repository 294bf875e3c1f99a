/**
 * An environment's stack is its name and its binding, nothing else: dev's and prod's templates are
 * the ones deployed stacks have (test/fixtures/templates, so an update replaces nothing), an
 * environment declared under another name gets its binding's template with only the name changed,
 * and a production safety default set aside is recorded.
 */
import * as fs from 'fs';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { BUILT_IN_ENVIRONMENTS } from '../common/names';
import { PRODUCTION_WAIVERS_OUTPUT } from '../common/payloads';
import { ENVIRONMENTS_CONTEXT_KEY } from '../lib/config/environments';
import { PRODUCTION_ROLLOUT } from '../lib/guides';
import { environmentContext, Json } from './support/context';
import { build, Built } from './support/synth';
import { snapshotFile, withoutAssetHashes } from './support/template-snapshots';

/** The built-in environment's stack built again under `name`, bound to the same BOOP environment, from the same settings and `fields`. */
function buildAs(builtIn: 'dev' | 'prod', name: string, fields: Json = {}): Built {
  const context = environmentContext(builtIn);
  const environments = { ...(context[ENVIRONMENTS_CONTEXT_KEY] as Json) };
  environments[name] = { ...((environments[builtIn] as Json | undefined) ?? {}), ...fields, boopEnvironment: BUILT_IN_ENVIRONMENTS[builtIn] };
  return build(builtIn, { [ENVIRONMENTS_CONTEXT_KEY]: environments, env: name });
}

/** A template without what CDK derives from the stack's name by hashing (ids of generated resources) or from the code (asset hashes). */
function withoutDerivedHashes(template: Json, envName: string): Json {
  const derived = new RegExp(`"[^"]*BoopIntegration${envName.replace(/-/g, '')}[^"]*"`, 'g');
  return JSON.parse(JSON.stringify(withoutAssetHashes(template)).replace(derived, (id) => id.replace(/[0-9A-F]{4,}/g, '<hash>'))) as Json;
}

/** A template with every spelling of environment `from`'s name (common/names.ts's, CDK's path, the tag and the messages') changed to `to`. */
function renamed(template: Json, from: string, to: string): Json {
  const spellings: [RegExp, string][] = [
    [new RegExp(`boop-${from}\\b`, 'g'), `boop-${to}`],
    [new RegExp(`/boop/${from}/`, 'g'), `/boop/${to}/`],
    [new RegExp(`BoopIntegration-${from}\\b`, 'g'), `BoopIntegration-${to}`],
    [new RegExp(`BoopIntegration${from}`, 'g'), `BoopIntegration${to.replace(/-/g, '')}`],
    [new RegExp(`environments\\.${from}\\b`, 'g'), `environments.${to}`],
    [new RegExp(`"${from}"`, 'g'), `"${to}"`],
    [new RegExp(`BOOP ${from} `, 'g'), `BOOP ${to} `],
    [new RegExp(`\\(${from}\\)`, 'g'), `(${to})`],
  ];
  return JSON.parse(spellings.reduce((text, [spelling, name]) => text.replace(spelling, name), JSON.stringify(template))) as Json;
}

const builtIn = { dev: build('dev').template.toJSON() as Json, prod: build('prod').template.toJSON() as Json };

test.each(['dev', 'prod'] as const)('the %s template is the deployed one, asset hashes aside (npm run snapshots after a change meant to alter it)', (env) => {
  expect(withoutAssetHashes(builtIn[env])).toEqual(JSON.parse(fs.readFileSync(snapshotFile(env), 'utf8')));
});

// Names that mislead: a rule that guessed the binding from the name would differ here.
test.each([
  ['dev', 'prod-sandbox'],
  ['prod', 'live'],
] as const)('an environment bound like %s, named %s, gets that template with only its name changed', (like, name) => {
  const declared = withoutDerivedHashes(buildAs(like, name).template.toJSON() as Json, name);
  expect(declared).toEqual(renamed(withoutDerivedHashes(builtIn[like], like), like, name));
});

describe('a production safety default set aside', () => {
  const REASON = 'pre-production, no customer traffic';
  const waived = buildAs('prod', 'preprod', { rollout: { bakeTimeHours: 0 }, productionWaivers: { bakeBelowGuide: REASON } });

  test('is an output rollout status reads, with its reason', () => {
    const outputs = waived.template.toJSON().Outputs as Record<string, { Value: string }>;
    expect(JSON.parse(outputs[PRODUCTION_WAIVERS_OUTPUT].Value)).toEqual({ bakeBelowGuide: REASON });
  });

  test('is a synth warning naming it, its reason and what it sets aside', () => {
    Annotations.fromStack(waived.stack).hasWarning(
      '*',
      Match.stringLikeRegexp(`preprod talks to BOOP production and sets aside the ${PRODUCTION_ROLLOUT.bakeTimeHours} h bake.*${REASON}`),
    );
  });

  test('leaves no trace where none is set aside', () => {
    expect(Object.keys(builtIn.prod.Outputs as Json)).not.toContain(PRODUCTION_WAIVERS_OUTPUT);
  });
});
