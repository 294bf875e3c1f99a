/**
 * `npm run keys -- <put|check|restart|promote> --env <env>` against an in-memory SSM, stack and ECS
 * (test/keys/key-world.ts, answering the real SDK clients through aws-sdk-client-mock): bad input
 * refused in one line and never written, what check prints (and never prints), restart's refusals
 * and waits, promote's two stages; reading a key from a pipe and a terminal; the configuration.
 * The real command as a child process: keys-process.test.ts. The whole rotation: test/keys/rotation-model.test.ts.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PassThrough } from 'stream';
import { DeleteParameterCommand, DescribeParametersCommand, GetParametersCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { CliError } from '../../cli/errors';
import { projectEnvironments } from '../../cli/environments';
import { failureLine, keySettingsFromConfig, RESTART_POLL_MS } from '../../cli/keys';
import { DEFAULT_RESTART_TIMEOUT_MINUTES, KEYS_COMMANDS, keysCommandUsage, KEYS_USAGE } from '../../cli/keys-args';
import { MAX_PIPED_BYTES, readPiped, readTyped, TerminalInput } from '../../cli/secret-input';
import { API_KEY_PREFIX, AWS_MANAGED_SSM_KEY, putKeyCommand } from '../../common/keys/api-keys';
import type { BoopEnvironment } from '../../common/names';
import { SLOTS } from '../../common/slots';
import { CliRun, fakeKey, KeyWorld } from '../keys/key-world';
import { declare } from './declared-environments';

const CUSTOMER_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/0f0e0d0c-0000-4000-8000-000000000001';

/** A world with the primary put and the stack deployed without a rotation. */
async function deployedWorld(env = 'prod'): Promise<KeyWorld> {
  const world = new KeyWorld({ env });
  expectOk(await world.cli(['put', '--env', env, '--slot', 'primary'], fakeKey(world.boopEnvironment, 'a')));
  expect(world.deploy()).toEqual([]);
  world.advance(3_600_000);
  return world;
}

function expectOk(run: CliRun): void {
  expect(run.error?.message).toBeUndefined();
}

/** Refused with a CliError whose one line matches `message`. */
function expectRefused(run: CliRun, message: RegExp): void {
  expect(run.error).toBeInstanceOf(CliError);
  expect(run.error!.message).toMatch(message);
  expect(failureLine(run.error)).toMatch(/^keys: [^\n]+$/);
}

const putCalls = (world: KeyWorld) => world.mocks.ssm.commandCalls(PutParameterCommand);
const awsCalls = (world: KeyWorld) => world.mocks.ssm.calls().length + world.mocks.ecs.calls().length + world.mocks.cloudformation.calls().length;

/** How a refusal lists the environments of this repository's cdk.json, which the CLI reads unless told otherwise. */
const DECLARED = `declared environments: ${[...projectEnvironments().environments.keys()].join(', ')}`;

describe('the command line', () => {
  test.each([[['--help']], [['-h']], [['help']]])('%j prints the overview, which names every command, and calls nothing', async (argv) => {
    const world = new KeyWorld();
    const run = await world.cli(argv);
    expectOk(run);
    expect(run.output).toBe(KEYS_USAGE);
    for (const command of KEYS_COMMANDS) expect(run.output).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expect(awsCalls(world)).toBe(0);
  });

  test.each(KEYS_COMMANDS)('%s: --help, help <command>, and --help after mistakes print its usage and call nothing', async (command) => {
    const world = new KeyWorld();
    for (const argv of [
      [command, '--help'],
      ['help', command],
      [command, '--env', 'nowhere', '--slot', 'x', '-h'],
    ]) {
      const run = await world.cli(argv);
      expectOk(run);
      expect(run.output).toBe(keysCommandUsage(command));
      expect(run.output.startsWith(`usage: npm run keys -- ${command} --env`)).toBe(true);
    }
    expect(awsCalls(world)).toBe(0);
  });

  test.each([
    [[], /^no command given; the commands are put, check, restart, promote/],
    [['rotate', '--env', 'prod'], /^unknown command "rotate"/],
    [['--env', 'prod', 'check'], /^the command comes first/],
    [['check'], new RegExp(`^--env is required; ${DECLARED}$`)],
    [['check', '--env', 'staging'], new RegExp(`^unknown environment "staging"; ${DECLARED} \\(`)],
    [['check', '--env', 'prod', '--env', 'dev'], /^--env is given more than once; give it once/],
    [['check', '--env', 'prod', '--force'], /^unknown option "--force"; check takes --env, --config-file and --help/],
    [['check', '--env', 'prod', 'now'], /^unexpected argument \(not repeated here: it may be a key\); check takes options only/],
    [['check', '--env'], /^--env needs a value: --env <env>/],
    [['put', '--env', 'prod'], /^put needs --slot primary or secondary/],
    [['put', '--env', 'prod', '--slot', 'tertiary'], /^unknown key slot "tertiary" for put; use --slot primary or secondary/],
    [['put', '--env', 'prod', '--slot', 'blue'], /^unknown key slot "blue" for put/],
    [['restart', '--env', 'prod'], /^restart needs --slot blue or green/],
    [['restart', '--env', 'prod', '--slot', 'primary'], /^unknown slot "primary" for restart; use --slot blue or green/],
    [['restart', '--env', 'prod', '--slot', 'green', '--slot', 'blue'], /^--slot is given more than once/],
    [['restart', '--env', 'prod', '--slot', 'green', '--timeout-minutes', '0'], /^--timeout-minutes takes a whole number of minutes from 1 to \d+/],
    [['restart', '--env', 'prod', '--slot', 'green', '--timeout-minutes', '1.5'], /^--timeout-minutes takes a whole number/],
    [['promote', '--env', 'prod', '--config-file='], /^--config-file needs a path/],
  ])('%j is refused in one line before any AWS call', async (argv, message) => {
    const world = new KeyWorld();
    const run = await world.cli(argv);
    expectRefused(run, message);
    expect(awsCalls(world)).toBe(0);
  });
});

describe('put refuses, and writes nothing', () => {
  const key = fakeKey('production', 'x');
  const hidden = key.slice(API_KEY_PREFIX.production.length);

  test.each([
    ['as a positional argument', ['put', '--env', 'prod', '--slot', 'primary', key]],
    ['as --value', ['put', '--env', 'prod', '--slot', 'primary', `--value=${key}`]],
    ['as --key', ['put', '--env', 'prod', '--slot', 'primary', '--key', key]],
    ['before the command', [key, 'put', '--env', 'prod', '--slot', 'primary']],
    ['to another command', ['check', '--env', 'prod', key]],
    ['without its prefix, as a positional', ['put', '--env', 'prod', '--slot', 'primary', hidden]],
    ['without its prefix, to another command', ['check', '--env', 'prod', hidden]],
    ['without its prefix, as --env', ['check', '--env', hidden]],
    ['without its prefix, as an unknown option', ['put', '--env', 'prod', '--slot', 'primary', `--value=${hidden}`]],
  ])('a key given %s is refused without repeating it', async (how, argv) => {
    const world = new KeyWorld();
    const run = await world.cli(argv, fakeKey('production', 'y'));
    // Wherever put could have taken it, or a word holds a key's prefix, the refusal says to pipe it and to treat it as exposed.
    if (argv[0] === 'put' || !how.startsWith('without'))
      expectRefused(run, /a key is never a command-line argument: put reads it from stdin.*treat it as exposed/);
    else expectRefused(run, /not repeated here: it may be a key/);
    expect(run.error!.message).not.toContain(hidden);
    expect(run.output).toBe('');
    expect(awsCalls(world)).toBe(0);
  });

  test('the put command it suggests is exact when --env and --slot were readable', async () => {
    const run = await new KeyWorld().cli(['put', '--env', 'dev', '--slot', 'secondary', 'oops']);
    expectRefused(run, new RegExp(`e\\.g\\. ${putKeyCommand('dev', 'secondary').replace(/[-]/g, '\\-')} < key-file`));
  });

  test.each([
    // Read before cdk.json is: any name of an environment's form it would repeat anyway.
    ['an environment name', 'prod-eu', true],
    ['a word of letters longer than a repeated word may be', 'x'.repeat(24), false],
    ['a word with digits, as a key has', 'ab12cd34ef56', false],
    ['a word in capitals, which no environment name has', 'Staging', false],
  ])('a stray put argument with %s as --env: the suggestion repeats it only if it cannot be a key', async (_case, env, repeated) => {
    const world = new KeyWorld();
    const run = await world.cli(['put', '--env', env, '--slot', 'secondary', 'oops']);
    expectRefused(run, /^a key is never a command-line argument/);
    expect(run.error!.message.includes(env)).toBe(repeated);
    expect(run.error!.message).toContain(repeated ? putKeyCommand(env, 'secondary') : 'npm run keys -- put --env <env> --slot <primary|secondary>');
    expect(awsCalls(world)).toBe(0);
  });

  test.each([
    ['empty', '', /the key is empty/],
    ['whitespace only', ' \t ', /the key is empty/],
    ['a key with a space inside', `${fakeKey('production', 'x')} ${'y'.repeat(4)}`, /^character 33 of the key is whitespace/],
    ['two lines', `${fakeKey('production', 'x')}\n${fakeKey('production', 'y')}`, /^character 33 of the key is whitespace/],
    ["the other environment's key", fakeKey('development', 'x'), /production BOOP takes .* keys/],
    ['no BOOP prefix at all', 'x'.repeat(32), /does not start with/],
    ['only the prefix', API_KEY_PREFIX.production, /only its prefix/],
  ])('%s, in one line ending "nothing was written"', async (_what, value, message) => {
    const world = await deployedWorld('prod');
    const before = putCalls(world).length;
    const parameters = JSON.stringify([...world.parameters]);
    const run = await world.cli(['put', '--env', 'prod', '--slot', 'secondary'], value);
    expectRefused(run, message);
    expect(run.error!.message).toMatch(/nothing was written$/);
    if (value.length > 8) expect(run.error!.message).not.toContain(value.slice(8));
    expect(putCalls(world)).toHaveLength(before);
    expect(JSON.stringify([...world.parameters])).toBe(parameters);
  });

  test('a dev key in dev is fine, and a production key there is refused', async () => {
    const world = new KeyWorld({ env: 'dev' });
    expectRefused(await world.cli(['put', '--env', 'dev', '--slot', 'primary'], fakeKey('production', 'x')), /development BOOP takes/);
    expect(putCalls(world)).toHaveLength(0);
    expectOk(await world.cli(['put', '--env', 'dev', '--slot', 'primary'], fakeKey('development', 'x')));
    expect(world.parameters.get(world.keyName('primary'))?.value).toBe(fakeKey('development', 'x'));
  });
});

describe('put writes', () => {
  test('a SecureString, overwriting, with the AWS-managed key named and a description; it never prints the value', async () => {
    const world = new KeyWorld();
    const key = fakeKey('production', 'k');
    const run = await world.cli(['put', '--env', 'prod', '--slot', 'primary'], key);
    expectOk(run);
    const input = putCalls(world)[0].args[0].input;
    expect(input).toMatchObject({ Name: world.keyName('primary'), Value: key, Type: 'SecureString', Overwrite: true, KeyId: AWS_MANAGED_SSM_KEY });
    expect(input.Description).toMatch(/BOOP API key \(primary\)/);
    expect(input.Description).not.toContain(key);
    expect(run.output).not.toContain(key.slice(8));
    expect(run.output).toMatch(/wrote the primary key to \/boop\/prod\/api-key\/primary \(SecureString, encrypted with alias\/aws\/ssm, version 1\)/);
  });

  test('with the configured customer key', async () => {
    const world = new KeyWorld();
    world.config = { encryptionKeyArn: CUSTOMER_KEY };
    expectOk(await world.cli(['put', '--env', 'prod', '--slot', 'primary'], fakeKey('production', 'k')));
    expect(putCalls(world)[0].args[0].input.KeyId).toBe(CUSTOMER_KEY);
    expect(world.parameters.get(world.keyName('primary'))?.keyId).toBe(CUSTOMER_KEY);
  });

  test('a String parameter of that name becomes a SecureString, also where SSM will not change the type in place', async () => {
    for (const typeChangeRefused of [false, true]) {
      const world = new KeyWorld({ typeChangeRefused });
      world.putOutOfBand(world.keyName('primary'), 'String', fakeKey('production', 'o'));
      const run = await world.cli(['put', '--env', 'prod', '--slot', 'primary'], fakeKey('production', 'n'));
      expectOk(run);
      expect(world.parameters.get(world.keyName('primary'))).toMatchObject({ type: 'SecureString', value: fakeKey('production', 'n') });
      expect(world.mocks.ssm.commandCalls(DeleteParameterCommand)).toHaveLength(typeChangeRefused ? 1 : 0);
    }
  });

  test.each([
    ['primary, before the first deploy', 'primary', false, undefined, /^next: deploy the stack.*npx cdk deploy -c env=prod$/m],
    ['primary, deployed', 'primary', true, undefined, /^next: running tasks read keys only when they start; restart green, check it, then restart blue/m],
    ['secondary, no date configured', 'secondary', true, undefined, /^next: set boop\.keyRotationDate .* then deploy/m],
    ['secondary, date configured, not deployed', 'secondary', true, '2026-12-24', /^next: deploy boop\.keyRotationDate 2026-12-24/m],
  ] as const)('then says what is next: %s', async (_case, slot, deploy, rotationDate, next) => {
    const world = new KeyWorld();
    world.putOutOfBand(world.keyName('primary'), 'SecureString', fakeKey('production', 'a'));
    if (deploy) expect(world.deploy()).toEqual([]);
    world.config = { rotationDate };
    const run = await world.cli(['put', '--env', 'prod', '--slot', slot], fakeKey('production', 'b'));
    expectOk(run);
    expect(run.output).toMatch(next);
  });

  test('a secondary put during a deployed rotation: restart, green first', async () => {
    const world = await deployedWorld();
    expectOk(await world.cli(['put', '--env', 'prod', '--slot', 'secondary'], fakeKey('production', 'b')));
    world.config = { rotationDate: '2026-12-24' };
    expect(world.deploy()).toEqual([]);
    const run = await world.cli(['put', '--env', 'prod', '--slot', 'secondary'], fakeKey('production', 'c'));
    expect(run.output).toMatch(/restart --env prod --slot green; npm run keys -- check --env prod; npm run keys -- restart --env prod --slot blue/);
  });
});

describe('check', () => {
  test('before the stack is deployed: the parameters alone, in a table', async () => {
    const world = new KeyWorld();
    world.config = { rotationDate: '2026-12-24' };
    const run = await world.cli(['check', '--env', 'prod']);
    expectOk(run);
    expect(run.output).toMatch(/BoopIntegration-prod, not deployed/);
    expect(run.output).toMatch(/^ {2}parameter {2,}exists {2}type {2,}encrypted with {2}last change$/m);
    expect(run.output).toMatch(/^ {2}\/boop\/prod\/api-key\/primary {2,}no {2,}- /m);
    expect(run.output).toMatch(/rotation date +2026-12-24 configured \(not deployed\)/);
    expect(run.output).toMatch(
      /next deploy +refused by the key check: the primary API key parameter .* does not exist; put it with: npm run keys -- put --env prod --slot primary; the secondary/,
    );
    expect(run.output).toMatch(/services +not deployed/);
    expect(world.mocks.ecs.calls()).toHaveLength(0);
  });

  test('prints no value: not the keys, not even when SSM would decrypt them', async () => {
    const world = await deployedWorld();
    const secondary = fakeKey('production', 'b');
    expectOk(await world.cli(['put', '--env', 'prod', '--slot', 'secondary'], secondary));
    const run = await world.cli(['check', '--env', 'prod']);
    expectOk(run);
    for (const key of [fakeKey('production', 'a'), secondary]) expect(run.output).not.toContain(key.slice(8));
    // It never asks SSM for a decrypted value.
    expect(world.mocks.ssm.commandCalls(GetParametersCommand)).toHaveLength(0);
    expect(world.mocks.ssm.calls().every((call) => !(call.args[0].input as { WithDecryption?: boolean }).WithDecryption)).toBe(true);
    expect(run.output).toMatch(/^ {2}\/boop\/prod\/api-key\/secondary {2,}yes {2,}SecureString {2}alias\/aws\/ssm {3}\d{4}-\d\d-\d\dT[\d:]+Z \(version 1\)$/m);
  });

  test('the deployed and the configured rotation date, when they differ: deploy to apply', async () => {
    const world = await deployedWorld();
    expectOk(await world.cli(['put', '--env', 'prod', '--slot', 'secondary'], fakeKey('production', 'b')));
    world.config = { rotationDate: '2026-12-24' };
    expect(world.deploy()).toEqual([]);
    world.config = { rotationDate: '2027-01-10' };
    const run = await world.cli(['check', '--env', 'prod']);
    expect(run.output).toMatch(/rotation date +2026-12-24 \(deployed\); configured: 2027-01-10 \(deploy to apply\)/);
    expect(run.output).toMatch(/key in use +primary \(the secondary from 2026-12-24T00:00:00Z\)/);
    world.config = {};
    expect((await world.cli(['check', '--env', 'prod'])).output).toMatch(/rotation date +2026-12-24 \(deployed\); configured: none \(deploy to apply\)/);
  });

  test('rotation not ready: the date is near and the secondary is missing', async () => {
    const world = await deployedWorld();
    world.config = { rotationDate: '2026-11-25' };
    const run = await world.cli(['check', '--env', 'prod']);
    expect(run.output).toMatch(
      /rotation ready +NO: the secondary API key parameter \/boop\/prod\/api-key\/secondary does not exist; put it with: .* \(before 2026-11-25, in 4 days\)/,
    );
  });

  test('tasks started before a key they read changed are stale until restarted, counted per slot', async () => {
    const world = await deployedWorld();
    expectOk(await world.cli(['put', '--env', 'prod', '--slot', 'primary'], fakeKey('production', 'c')));
    const run = await world.cli(['check', '--env', 'prod']);
    for (const slot of SLOTS) {
      expect(run.output).toMatch(
        new RegExp(
          `${slot} keys +STALE until restarted: 2 of 2 running tasks started before a key they read changed \\(primary changed [\\dT:Z-]+: 2 tasks\\); restart: npm run keys -- restart --env prod --slot ${slot}`,
        ),
      );
    }
    world.advance(60_000);
    expectOk(await world.cli(['restart', '--env', 'prod', '--slot', 'green']));
    const after = await world.cli(['check', '--env', 'prod']);
    expect(after.output).toMatch(/green keys +current/);
    expect(after.output).toMatch(/blue keys +STALE/);
  });

  test('a key parameter deleted behind its back: which slot cannot start tasks, and the command that fixes it', async () => {
    const world = await deployedWorld();
    world.parameters.delete(world.keyName('primary'));
    const run = await world.cli(['check', '--env', 'prod']);
    expectOk(run);
    for (const slot of SLOTS) {
      expect(run.output).toMatch(
        new RegExp(
          `${slot} new tasks +CANNOT START: the primary API key parameter /boop/prod/api-key/primary does not exist; put it with: npm run keys -- put --env prod --slot primary`,
        ),
      );
    }
  });

  test('a deployed environment whose configuration has problems elsewhere can still put a key (a leaked key cannot wait)', async () => {
    const world = await deployedWorld();
    world.configProblem = 'the configuration of prod has a problem: service.images.green: missing';
    const put = await world.cli(['put', '--env', 'prod', '--slot', 'primary'], fakeKey('production', 'n'));
    expectOk(put);
    expect(putCalls(world).at(-1)?.args[0].input).toMatchObject({ Name: world.keyName('primary'), KeyId: AWS_MANAGED_SSM_KEY });
  });

  test('before the first deploy, a configuration with problems stops put, which writes nothing', async () => {
    const world = new KeyWorld({ env: 'prod' });
    world.configProblem = 'the configuration of prod has a problem: service.images.green: missing';
    const put = await world.cli(['put', '--env', 'prod', '--slot', 'primary'], fakeKey('production', 'n'));
    expect(put.error?.message).toMatch(/service\.images\.green: missing/);
    expect(putCalls(world)).toHaveLength(0);
  });

  test('a configured KMS key other than the deployed one: new tasks still start, the next deploy would be refused, and put refuses', async () => {
    const world = await deployedWorld();
    world.config = { encryptionKeyArn: CUSTOMER_KEY };
    const run = await world.cli(['check', '--env', 'prod']);
    expect(run.output).toMatch(/blue new tasks +can start/);
    expect(run.output).toMatch(
      /next deploy +refused by the key check: the primary API key parameter .* is encrypted with alias\/aws\/ssm, not the configured KMS key/,
    );
    const writesBefore = putCalls(world).length;
    const put = await world.cli(['put', '--env', 'prod', '--slot', 'primary'], fakeKey('production', 'n'));
    expect(put.error?.message).toMatch(
      /may decrypt only with alias\/aws\/ssm; changing the key of a deployed environment is not supported yet.*nothing was written/,
    );
    expect(putCalls(world)).toHaveLength(writesBefore);
  });
});

describe('a deployed stack bound otherwise than cdk.json says (a stale checkout, an edited binding): put and promote write nothing', () => {
  const otherThan = (boopEnvironment: BoopEnvironment): BoopEnvironment => (boopEnvironment === 'production' ? 'development' : 'production');

  /** staging deployed bound to `deployedAs`, its primary key in place and a rotation past its date; then cdk.json binds it the other way. */
  async function rebound(deployedAs: BoopEnvironment): Promise<KeyWorld> {
    const world = new KeyWorld({ env: 'staging', environments: declare({ staging: deployedAs }) });
    expectOk(await world.cli(['put', '--env', 'staging', '--slot', 'primary'], fakeKey(deployedAs, 'a')));
    expectOk(await world.cli(['put', '--env', 'staging', '--slot', 'secondary'], fakeKey(deployedAs, 'b')));
    world.config = { rotationDate: '2026-11-25' };
    expect(world.deploy()).toEqual([]);
    world.advance(5 * 24 * 3_600_000);
    world.environments = declare({ staging: otherThan(deployedAs) });
    return world;
  }

  /** What the refusal says: both bindings, and how to set cdk.json right or rebind on purpose. */
  function expectBindingRefusal(run: CliRun, command: string, deployedAs: BoopEnvironment): void {
    expectRefused(run, new RegExp(`^${command} refused, nothing was written: `));
    expect(run.error!.message).toBe(
      `${command} refused, nothing was written: stack BoopIntegration-staging is bound to BOOP ${deployedAs} (it has ${deployedAs === 'production' ? 'the' : 'no'} ConfirmProduction parameter) ` +
        `but cdk.json binds staging to BOOP ${otherThan(deployedAs)}, which judged the key; ` +
        `set cdk.json's boop:environments.staging.boopEnvironment to "${deployedAs}" as the deployed stack is, or, to rebind staging on purpose, see "Stack" in docs/preflight.md`,
    );
  }

  test.each(['production', 'development'] as const)('deployed bound to %s: put of a key of the other binding is refused', async (deployedAs) => {
    const world = await rebound(deployedAs);
    const writes = putCalls(world).length;
    const parameters = JSON.stringify([...world.parameters]);
    const run = await world.cli(['put', '--env', 'staging', '--slot', 'primary'], fakeKey(otherThan(deployedAs), 'n'));
    expectBindingRefusal(run, 'put', deployedAs);
    expect(putCalls(world)).toHaveLength(writes);
    expect(JSON.stringify([...world.parameters])).toBe(parameters);
  });

  test.each(['production', 'development'] as const)('deployed bound to %s: promote is refused before it reads a key', async (deployedAs) => {
    const world = await rebound(deployedAs);
    const writes = putCalls(world).length;
    const parameters = JSON.stringify([...world.parameters]);
    const run = await world.cli(['promote', '--env', 'staging']);
    expectBindingRefusal(run, 'promote', deployedAs);
    expect(putCalls(world)).toHaveLength(writes);
    expect(world.mocks.ssm.commandCalls(DeleteParameterCommand)).toHaveLength(0);
    expect(world.mocks.ssm.commandCalls(GetParametersCommand)).toHaveLength(0);
    expect(JSON.stringify([...world.parameters])).toBe(parameters);
  });

  test.each(['production', 'development'] as const)('deployed bound to %s: with cdk.json set as the stack is, put and promote go on', async (deployedAs) => {
    const world = await rebound(deployedAs);
    world.environments = declare({ staging: deployedAs });
    expectOk(await world.cli(['put', '--env', 'staging', '--slot', 'secondary'], fakeKey(deployedAs, 'c')));
    expectOk(await world.cli(['promote', '--env', 'staging']));
    expect(world.parameters.get(world.keyName('primary'))?.value).toBe(fakeKey(deployedAs, 'c'));
  });

  test.each(['production', 'development'] as const)('not deployed yet: cdk.json alone decides (%s)', async (declared) => {
    const world = new KeyWorld({ env: 'staging', environments: declare({ staging: declared }) });
    world.deployedBinding = otherThan(declared);
    expectOk(await world.cli(['put', '--env', 'staging', '--slot', 'primary'], fakeKey(declared, 'a')));
    expect(world.parameters.get(world.keyName('primary'))?.value).toBe(fakeKey(declared, 'a'));
  });
});

describe('restart', () => {
  test('starts new tasks of that slot alone, waits until it is steady, and says what is next', async () => {
    const world = await deployedWorld();
    const blueTasks = world.services.blue.tasks;
    const started = world.now;
    const run = await world.cli(['restart', '--env', 'prod', '--slot', 'green']);
    expectOk(run);
    expect(world.mocks.ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: world.outputs.clusterName, service: world.outputs.greenServiceName, forceNewDeployment: true },
    ]);
    expect(world.services.blue.tasks).toBe(blueTasks);
    for (const task of world.services.green.tasks) expect(task.startedAt.getTime()).toBeGreaterThanOrEqual(started.getTime());
    expect(run.output).toMatch(/green is steady after [\d.]+ min: 2 of 2 tasks/);
    expect(run.output).toMatch(/next: check green, then restart blue/);
  });

  test('refused, restarting nothing, when the new tasks could not read their keys', async () => {
    const world = await deployedWorld();
    expectOk(await world.cli(['put', '--env', 'prod', '--slot', 'secondary'], fakeKey('production', 'b')));
    world.config = { rotationDate: '2026-12-24' };
    expect(world.deploy()).toEqual([]);
    world.parameters.delete(world.keyName('secondary'));
    const run = await world.cli(['restart', '--env', 'prod', '--slot', 'blue']);
    expectRefused(
      run,
      /^restart of blue refused, nothing was restarted: its new tasks \(boop-prod-blue:2\) could not start: the secondary API key parameter .* does not exist; put it with: npm run keys -- put --env prod --slot secondary$/,
    );
    expect(world.mocks.ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  test('a failed rollout is one line, and the old tasks stay', async () => {
    const world = await deployedWorld();
    const tasks = world.services.green.tasks;
    world.ecsFault = 'fail';
    const run = await world.cli(['restart', '--env', 'prod', '--slot', 'green']);
    expectRefused(run, /^the restart of green failed: ECS deployment circuit breaker: tasks failed to start; ECS keeps \(or rolls back to\) the tasks it had/);
    expect(world.services.green.tasks).toBe(tasks);
  });

  test('gives up after the timeout (default or --timeout-minutes), saying ECS carries on', async () => {
    for (const [argv, minutes] of [
      [[], DEFAULT_RESTART_TIMEOUT_MINUTES],
      [['--timeout-minutes', '3'], 3],
    ] as const) {
      const world = await deployedWorld();
      world.ecsFault = 'stall';
      const started = world.now.getTime();
      const run = await world.cli(['restart', '--env', 'prod', '--slot', 'blue', ...argv]);
      expectRefused(run, new RegExp(`^blue is not steady after ${minutes} min \\(2 deployments, the restart's IN_PROGRESS, 2 of 2 running\\); ECS carries on`));
      const waited = world.now.getTime() - started;
      expect(waited).toBeGreaterThanOrEqual(minutes * 60_000);
      expect(waited).toBeLessThan(minutes * 60_000 + 2 * RESTART_POLL_MS);
    }
  });

  test('needs the deployed stack', async () => {
    const world = new KeyWorld();
    expectRefused(await world.cli(['restart', '--env', 'prod', '--slot', 'blue']), /stack BoopIntegration-prod is not deployed .*npx cdk deploy -c env=prod/);
  });
});

describe('promote', () => {
  /** Deployed, secondary put, rotation date 2026-11-25 deployed. */
  async function rotating(): Promise<KeyWorld> {
    const world = await deployedWorld();
    expectOk(await world.cli(['put', '--env', 'prod', '--slot', 'secondary'], fakeKey('production', 'b')));
    world.config = { rotationDate: '2026-11-25' };
    expect(world.deploy()).toEqual([]);
    return world;
  }

  test('refuses before the rotation date, and without one deployed, changing nothing', async () => {
    const world = await deployedWorld();
    expectOk(await world.cli(['put', '--env', 'prod', '--slot', 'secondary'], fakeKey('production', 'b')));
    expectRefused(await world.cli(['promote', '--env', 'prod']), /^promote refused, nothing changed: no rotation date is deployed/);
    world.config = { rotationDate: '2026-11-25' };
    expect(world.deploy()).toEqual([]);
    expectRefused(
      await world.cli(['promote', '--env', 'prod']),
      /^promote refused, nothing changed: the rotation date 2026-11-25 has not come.* promote from 2026-11-25T00:00:00Z$/,
    );
    expect(putCalls(world).filter((c) => c.args[0].input.Name === world.keyName('primary'))).toHaveLength(1);
    expect(world.parameters.get(world.keyName('primary'))?.value).toBe(fakeKey('production', 'a'));
  });

  test('from the date: copies the secondary into the primary, keeps the secondary, and says what to change next', async () => {
    const world = await rotating();
    world.advance(5 * 24 * 3_600_000);
    const run = await world.cli(['promote', '--env', 'prod']);
    expectOk(run);
    expect(world.parameters.get(world.keyName('primary'))).toMatchObject({
      type: 'SecureString',
      value: fakeKey('production', 'b'),
      keyId: AWS_MANAGED_SSM_KEY,
    });
    expect(world.parameters.get(world.keyName('secondary'))?.value).toBe(fakeKey('production', 'b'));
    expect(run.output).not.toContain(fakeKey('production', 'b').slice(8));
    expect(run.output).toMatch(/remove boop\.keyRotationDate from cdk\.json's boop:environments\.prod, then deploy/);
    expect(run.output).toMatch(/promote again, which deletes the secondary/);
  });

  test('twice in a row changes nothing the second time; the secondary stays while the rotation is deployed', async () => {
    const world = await rotating();
    world.advance(5 * 24 * 3_600_000);
    expectOk(await world.cli(['promote', '--env', 'prod']));
    const writes = putCalls(world).length;
    const primary = world.parameters.get(world.keyName('primary'));
    const again = await world.cli(['promote', '--env', 'prod']);
    expectOk(again);
    expect(putCalls(world)).toHaveLength(writes);
    expect(world.parameters.get(world.keyName('primary'))).toBe(primary);
    expect(world.mocks.ssm.commandCalls(DeleteParameterCommand)).toHaveLength(0);
    expect(again.output).toMatch(/nothing was changed\. Left to do:/);
    expect(again.output).toMatch(/1\. remove boop\.keyRotationDate \(2026-11-25\)/);
    expect(again.output).toMatch(/2\. deploy without boop\.keyRotationDate/);
    expect(again.output).toMatch(/blue's boop-prod-blue:2 still reads the secondary/);
  });

  test('after the date is removed and deployed: deletes the secondary, but not while a deployment still starts tasks that read it', async () => {
    const world = await rotating();
    world.advance(5 * 24 * 3_600_000);
    expectOk(await world.cli(['promote', '--env', 'prod']));
    world.config = {};
    // The deploy is still rolling out: the previous task definitions, which read the secondary, are live.
    world.ecsFault = 'stall';
    expect(world.deploy()).toEqual([]);
    const inFlight = await world.cli(['promote', '--env', 'prod']);
    expectOk(inFlight);
    expect(inFlight.output).toMatch(/green's boop-prod-green:2 still reads the secondary/);
    expect(world.parameters.has(world.keyName('secondary'))).toBe(true);

    world.ecsFault = undefined;
    world.advance(60_000);
    const done = await world.cli(['promote', '--env', 'prod']);
    expectOk(done);
    expect(done.output).toMatch(/deleted \/boop\/prod\/api-key\/secondary, which no task reads/);
    expect(world.parameters.has(world.keyName('secondary'))).toBe(false);
    for (const slot of SLOTS) expect(world.canStart(slot)).toBe(true);

    const third = await world.cli(['promote', '--env', 'prod']);
    expectOk(third);
    expect(third.output).toMatch(/no secondary key, so nothing to promote/);
  });
});

describe('failures are one line', () => {
  test('missing credentials', async () => {
    const world = new KeyWorld();
    world.mocks.ssm
      .on(DescribeParametersCommand)
      .rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    const run = await world.cli(['check', '--env', 'prod']);
    expect(failureLine(run.error)).toMatch(/^keys: no AWS credentials found; set AWS_PROFILE/);
  });
});

describe('the configuration', () => {
  function folder(cdkJson: unknown, files: Record<string, unknown> = {}): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keys-config-'));
    if (cdkJson !== undefined) fs.writeFileSync(path.join(dir, 'cdk.json'), typeof cdkJson === 'string' ? cdkJson : JSON.stringify(cdkJson));
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), JSON.stringify(content));
    return dir;
  }
  const devSettings = {
    boop: { vendorId: 'ven_dev_example', keyRotationDate: '2026-12-24', apiKeyKmsKeyArn: CUSTOMER_KEY },
    service: { images: { blue: 'public.ecr.aws/example/app:1', green: 'public.ecr.aws/example/app:2' } },
  };

  test("is read like the app's: cdk.json's boop:environments, then --config-file", () => {
    const dir = folder({ context: { 'boop:environments': { dev: devSettings } } }, { 'later.json': { boop: { keyRotationDate: '2027-01-02' } } });
    expect(keySettingsFromConfig('dev', undefined, dir)).toEqual({ rotationDate: '2026-12-24', encryptionKeyArn: CUSTOMER_KEY });
    expect(keySettingsFromConfig('dev', 'later.json', dir)).toEqual({ rotationDate: '2027-01-02', encryptionKeyArn: CUSTOMER_KEY });
  });

  test.each([
    ['no cdk.json', undefined, undefined, /^no cdk\.json in .*; run npm run keys in the boop-deploy folder/],
    ['cdk.json not JSON', '{', undefined, /^cdk\.json in .* is not valid JSON/],
    [
      'a configuration problem',
      { context: { 'boop:environments': { dev: { boop: { keyRotationDate: '2026-02-31' } } } } },
      undefined,
      /^the configuration of dev has \d+ problems, so its key settings cannot be read: .*boop\.keyRotationDate: must be a calendar date/,
    ],
    ['a missing config file', { context: {} }, 'missing.json', /config file missing\.json cannot be read .*pass --config-file <path>\)$/],
  ])('%s is one CliError', (_case, cdkJson, configFile, message) => {
    const dir = folder(cdkJson);
    let thrown: unknown;
    try {
      keySettingsFromConfig('dev', configFile, dir);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CliError);
    expect(failureLine(thrown)).toMatch(/^keys: [^\n]+$/);
    expect((thrown as Error).message).toMatch(message);
  });
});

describe('reading the key', () => {
  const key = fakeKey('production', 'p');

  test.each([
    ['no newline', key, key],
    ['one \\n', `${key}\n`, key],
    ['one \\r\\n', `${key}\r\n`, key],
    ['two newlines: one is kept, and the key check refuses it', `${key}\n\n`, `${key}\n`],
    ['nothing', '', ''],
  ])('from a pipe, %s', async (_case, piped, value) => {
    const input = new PassThrough();
    input.end(piped);
    await expect(readPiped(input)).resolves.toBe(value);
  });

  test('from a pipe, more than a key could be is refused without reading it all', async () => {
    const input = new PassThrough();
    input.end('x'.repeat(MAX_PIPED_BYTES + 1));
    await expect(readPiped(input)).rejects.toThrow(/stdin holds more than \d+ KiB, which is not a key/);
  });

  /** A terminal: raw mode switchable, keys arrive as data. */
  function terminal() {
    const input = new PassThrough() as PassThrough & TerminalInput & { rawModes: boolean[] };
    Object.assign(input, { isTTY: true, rawModes: [] as boolean[] });
    input.setRawMode = (mode: boolean) => input.rawModes.push(mode);
    const prompts = new PassThrough();
    let shown = '';
    prompts.on('data', (chunk) => (shown += chunk.toString()));
    return { input, prompts, shown: () => shown };
  }

  test('on a terminal: raw mode while typing, nothing echoed, backspace deletes, Enter ends', async () => {
    const { input, prompts, shown } = terminal();
    const typed = readTyped(input, prompts, 'key: ');
    input.write(key.slice(0, 10));
    input.write('zz\u007f\u007f');
    input.write(`${key.slice(10)}\r`);
    await expect(typed).resolves.toBe(key);
    expect(input.rawModes).toEqual([true, false]);
    expect(shown()).toBe('key: \n');
  });

  test('on a terminal: a paste with its newline in one chunk', async () => {
    const { input, prompts } = terminal();
    const typed = readTyped(input, prompts, '');
    input.write(`${key}\n`);
    await expect(typed).resolves.toBe(key);
  });

  test('on a terminal: Ctrl-C cancels, and nothing typed is kept', async () => {
    const { input, prompts, shown } = terminal();
    const typed = readTyped(input, prompts, 'key: ');
    input.write(`${key.slice(0, 12)}\u0003`);
    await expect(typed).rejects.toThrow(new CliError('cancelled (Ctrl-C); nothing was written'));
    expect(input.rawModes).toEqual([true, false]);
    expect(shown()).not.toContain(key.slice(8, 12));
  });
});
