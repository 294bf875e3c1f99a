/**
 * The operator CLIs and the environments cdk.json declares (cli/environments.ts): every command of
 * `npm run rollout` and `npm run keys` refuses an environment nobody declared, naming those declared,
 * before any AWS call; and each of production's confirmations (the drill's --production-drill, no
 * rehearsal, production's image rule, sk_live_ keys) follows the BOOP environment an environment is
 * declared to talk to, whatever it is called: a table of telling names, then generated ones.
 */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeListenersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import fc from 'fast-check';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { projectEnvironments } from '../../cli/environments';
import { CliError } from '../../cli/errors';
import { KEYS_COMMANDS, KeysCommand, parseKeysArgs } from '../../cli/keys-args';
import { runRolloutCli } from '../../cli/rollout';
import { Command, COMMANDS, drillAlarmName, parseRolloutArgs } from '../../cli/rollout-args';
import { imageProblem } from '../../common/images';
import { API_KEY_PREFIX, KeySlot } from '../../common/keys/api-keys';
import { BoopEnvironment, BUILT_IN_ENVIRONMENTS, CONFIRM_PRODUCTION_PARAMETER, GREEN_PERCENT_PARAMETER } from '../../common/names';
import { STACK_OUTPUTS } from '../../common/payloads';
import { DeclaredEnvironment, Declarations, readDeclarations } from '../../lib/config/environments';
import { fakeKey, KeyWorld } from '../keys/key-world';
import { numRuns } from '../support/properties';
import { anyDeclaredEnvironment, BUILT_INS_ONLY, DECLARED, DECLARED_TABLE, declaring } from './declared-environments';
import { describedStack, listenerAt, setup } from './rollout-setup';

const OTHER: Readonly<Record<BoopEnvironment, BoopEnvironment>> = { development: 'production', production: 'development' };

/** An image production's rule refuses and development's takes: the form is fine, the tag moves. */
const LATEST = 'registry.example/boop-integration:latest';

/** What each rollout command needs besides --env, so that the environment is the one thing wrong. */
const ROLLOUT_OPTIONS: Readonly<Record<Command, readonly string[]>> = {
  status: [],
  plan: ['--green-percent', '0'],
  promote: [],
  rollback: ['--reason', 'INC-1'],
  pause: ['--reason', 'INC-1'],
  resume: [],
  drill: ['--production-drill'],
  rehearse: [],
};

/** What each keys command needs besides --env. */
const KEYS_OPTIONS: Readonly<Record<KeysCommand, readonly string[]>> = {
  put: ['--slot', 'primary'],
  check: [],
  restart: ['--slot', 'green'],
  promote: [],
};

/** Names a project has not declared, with what it has: one that shares prod's alarm prefix, and a BOOP environment's own name. */
const UNDECLARED: readonly (readonly [string, Declarations])[] = [
  ['staging', BUILT_INS_ONLY],
  ['prod-eu', BUILT_INS_ONLY],
  ['production', DECLARED],
];

/** The refusal of `name`, listing every environment `declarations` has. */
function undeclared(name: string, declarations: Declarations): RegExp {
  const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
  return new RegExp(`^unknown environment "${escaped(name)}"; declared environments: ${escaped([...declarations.environments.keys()].join(', '))} \\(`);
}

describe('an environment nobody declared is refused, naming those declared, before any AWS call', () => {
  const rolloutCases = UNDECLARED.flatMap(([name, declarations]) => COMMANDS.map((command) => [command, name, declarations] as const));
  test.each(rolloutCases)('rollout %s --env %s', async (command, name, declarations) => {
    const { clients, mocks, io, lines } = setup();
    const runner = jest.fn();
    const error = await runRolloutCli([command, '--env', name, ...ROLLOUT_OPTIONS[command]], clients, io, runner, {
      interrupted: () => false,
      environments: () => declarations,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toMatch(undeclared(name, declarations));
    expect(lines).toEqual([]);
    expect(runner).not.toHaveBeenCalled();
    for (const mock of Object.values(mocks)) expect(mock.calls()).toHaveLength(0);
  });

  const keysCases = UNDECLARED.flatMap(([name, declarations]) => KEYS_COMMANDS.map((command) => [command, name, declarations] as const));
  test.each(keysCases)('keys %s --env %s', async (command, name, declarations) => {
    const world = new KeyWorld({ env: name, environments: declarations });
    const run = await world.cli([command, '--env', name, ...KEYS_OPTIONS[command]], fakeKey('production', 'u'));
    expect(run.error).toBeInstanceOf(CliError);
    expect(run.error!.message).toMatch(undeclared(name, declarations));
    expect(run.output).toBe('');
    for (const mock of Object.values(world.mocks)) expect(mock.calls()).toHaveLength(0);
  });
});

/** The rollout command line, read with `declarations`: the refusal's message, or undefined when it is read. */
function refusal(argv: readonly string[], declarations: Declarations): string | undefined {
  try {
    parseRolloutArgs(argv, () => declarations);
    return undefined;
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    return error.message;
  }
}

describe("rollout: production's confirmations follow the BOOP environment, not the name", () => {
  test.each(DECLARED_TABLE)('drill --env %s (BOOP %s)', async (name, boopEnvironment) => {
    const { clients, mocks, io } = setup();
    const options = { environments: () => DECLARED };
    const unconfirmed = runRolloutCli(['drill', '--env', name], clients, io, jest.fn(), options);
    if (boopEnvironment === 'production') {
      await expect(unconfirmed).rejects.toThrow(new CliError('a drill rolls production traffic back to blue; to do that on purpose, add --production-drill'));
      for (const mock of Object.values(mocks)) expect(mock.calls()).toHaveLength(0);
    } else {
      mocks.elb.on(DescribeListenersCommand).resolvesOnce(listenerAt(5)).resolves(listenerAt(0));
      await unconfirmed;
      expect(mocks.cloudwatch.commandCalls(SetAlarmStateCommand).map((call) => call.args[0].input.AlarmName)).toEqual([drillAlarmName(name)]);
    }
    // With the flag, the drill runs on its own environment's alarm wherever it is.
    const confirmed = setup();
    confirmed.mocks.elb.on(DescribeListenersCommand).resolvesOnce(listenerAt(5)).resolves(listenerAt(0));
    await runRolloutCli(['drill', '--env', name, '--production-drill'], confirmed.clients, confirmed.io, jest.fn(), options);
    expect(confirmed.mocks.cloudwatch.commandCalls(SetAlarmStateCommand).map((call) => call.args[0].input.AlarmName)).toEqual([drillAlarmName(name)]);
  });

  test.each(DECLARED_TABLE)('rehearse --env %s (BOOP %s): refused before any AWS call exactly when production-bound', async (name, boopEnvironment) => {
    if (boopEnvironment === 'production') {
      const { clients, mocks, io } = setup();
      const runner = jest.fn();
      await expect(runRolloutCli(['rehearse', '--env', name], clients, io, runner, { interrupted: () => false, environments: () => DECLARED })).rejects.toThrow(
        new CliError(
          `the rehearsal moves traffic and stops green on purpose, so it never runs in production (${name} talks to BOOP production); rehearse in an environment bound to BOOP development`,
        ),
      );
      for (const mock of Object.values(mocks)) expect(mock.calls()).toHaveLength(0);
      expect(runner).not.toHaveBeenCalled();
    } else {
      expect(parseRolloutArgs(['rehearse', '--env', name], () => DECLARED)).toMatchObject({ command: 'rehearse', env: name, boopEnvironment });
    }
  });

  test.each(DECLARED_TABLE)('plan --env %s (BOOP %s): production refuses an image that moves under you', (name, boopEnvironment) => {
    const production = imageProblem(LATEST, { production: true });
    expect(production).toBeDefined();
    expect(imageProblem(LATEST, { production: false })).toBeUndefined();
    expect(refusal(['plan', '--env', name, '--green-percent', '0', '--green-image', LATEST], DECLARED)).toBe(
      boopEnvironment === 'production' ? `--green-image "${LATEST}": ${production}; CloudFormation would refuse it as GreenImage` : undefined,
    );
  });

  test('every rule, for any name a team gives an environment bound to either BOOP environment', () => {
    fc.assert(
      fc.property(anyDeclaredEnvironment, ({ name, boopEnvironment }) => {
        const declarations = declaring({ name, boopEnvironment });
        const production = boopEnvironment === 'production';
        const refused = (argv: readonly string[]) => refusal([argv[0], '--env', name, ...argv.slice(1)], declarations) !== undefined;
        expect({
          name,
          drill: refused(['drill']),
          rehearse: refused(['rehearse']),
          latest: refused(['plan', '--green-percent', '0', '--blue-image', LATEST]),
        }).toEqual({ name, drill: production, rehearse: production, latest: production });
        // What production is asked for is enough; nothing else is refused in either.
        expect({ name, drill: refused(['drill', '--production-drill']), plan: refused(['plan', '--green-percent', '0']) }).toEqual({
          name,
          drill: false,
          plan: false,
        });
        expect(parseRolloutArgs(['status', '--env', name], () => declarations)).toMatchObject({ env: name, boopEnvironment });
      }),
      { numRuns: numRuns(200) },
    );
  });

  test('a plan on a stack without image rules judges by production where the stack was deployed as production, whatever cdk.json now binds', async () => {
    const { clients, mocks, io } = setup();
    const stack = describedStack({ [GREEN_PERCENT_PARAMETER]: '0', [CONFIRM_PRODUCTION_PARAMETER]: 'true' });
    // A stack of an earlier version: no ImageRules output.
    stack.Stacks[0].Outputs = stack.Stacks[0].Outputs.filter((output) => output.OutputKey !== STACK_OUTPUTS.imageRules);
    mocks.cloudformation.on(DescribeStacksCommand).resolves(stack);
    const error = await runRolloutCli(['plan', '--env', 'staging', '--green-percent', '0', '--green-image', LATEST], clients, io, jest.fn(), {
      environments: () => DECLARED,
    }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      `--green-image "${LATEST}": ${imageProblem(LATEST, { production: true })}; CloudFormation would refuse it as GreenImage`,
    );
    expect(mocks.cloudformation.calls()).toHaveLength(1);
    expect(mocks.elb.calls()).toHaveLength(0);
  });
});

describe("keys: an environment takes its BOOP environment's keys, whatever its name", () => {
  /** A world of `environment`, declared in `declarations`, with its stack deployed on its own primary key. */
  async function deployed(environment: DeclaredEnvironment, declarations: Declarations): Promise<KeyWorld> {
    const world = new KeyWorld({ env: environment.name, environments: declarations });
    const put = await world.cli(['put', '--env', environment.name, '--slot', 'primary'], fakeKey(environment.boopEnvironment, 'a'));
    expect(put.error?.message).toBeUndefined();
    expect(world.deploy()).toEqual([]);
    return world;
  }

  /** put of `key` into `slot`: refused with the prefix rule's message, or written. */
  async function putKey(world: KeyWorld, slot: KeySlot, key: string) {
    const before = world.mocks.ssm.calls().length;
    const run = await world.cli(['put', '--env', world.env, '--slot', slot], key);
    return { run, written: world.parameters.get(world.keyName(slot))?.value === key, ssmCalls: world.mocks.ssm.calls().length - before };
  }

  test.each(DECLARED_TABLE)('put --env %s (BOOP %s): its own keys only', async (name, boopEnvironment) => {
    const world = await deployed({ name, boopEnvironment }, DECLARED);
    const foreign = await putKey(world, 'secondary', fakeKey(OTHER[boopEnvironment], 'b'));
    expect(foreign.run.error?.message).toMatch(
      new RegExp(
        `^${boopEnvironment} BOOP takes ${API_KEY_PREFIX[boopEnvironment]}… keys, this is a ${API_KEY_PREFIX[OTHER[boopEnvironment]]}… key; .*nothing was written$`,
      ),
    );
    expect(foreign).toMatchObject({ written: false, ssmCalls: 0 });
    const own = await putKey(world, 'secondary', fakeKey(boopEnvironment, 'b'));
    expect(own.run.error?.message).toBeUndefined();
    expect(own.written).toBe(true);
  });

  test.each(DECLARED_TABLE)(
    'promote --env %s (BOOP %s): a secondary of the other BOOP environment never becomes the primary',
    async (name, boopEnvironment) => {
      const world = await deployed({ name, boopEnvironment }, DECLARED);
      // Written behind the CLI's back (the console), as put would refuse it.
      world.putOutOfBand(world.keyName('secondary'), 'SecureString', fakeKey(OTHER[boopEnvironment], 'b'));
      world.config = { rotationDate: '2026-11-25' };
      expect(world.deploy()).toEqual([]);
      world.advance(5 * 24 * 3_600_000);
      const run = await world.cli(['promote', '--env', name]);
      expect(run.error?.message).toMatch(
        new RegExp(
          `^promote refused, nothing changed: the secondary key cannot be the primary: ${boopEnvironment} BOOP takes ${API_KEY_PREFIX[boopEnvironment]}… keys`,
        ),
      );
      expect(world.parameters.get(world.keyName('primary'))?.value).toBe(fakeKey(boopEnvironment, 'a'));
    },
  );

  test('for any name a team gives an environment bound to either BOOP environment', async () => {
    await fc.assert(
      fc.asyncProperty(anyDeclaredEnvironment, async (environment) => {
        const world = new KeyWorld({ env: environment.name, environments: declaring(environment) });
        const foreign = await putKey(world, 'primary', fakeKey(OTHER[environment.boopEnvironment], 'f'));
        expect({ name: environment.name, refused: foreign.run.error instanceof CliError, written: foreign.written, ssmCalls: foreign.ssmCalls }).toEqual({
          name: environment.name,
          refused: true,
          written: false,
          ssmCalls: 0,
        });
        const own = await putKey(world, 'primary', fakeKey(environment.boopEnvironment, 'o'));
        expect({ name: environment.name, error: own.run.error?.message, written: own.written }).toEqual({
          name: environment.name,
          error: undefined,
          written: true,
        });
      }),
      { numRuns: numRuns(40) },
    );
  });
});

describe('what cdk.json cannot hold up', () => {
  const UNREADABLE = () => {
    throw new CliError('cdk.json in /work is not valid JSON (at line 3, column 7); fix it, then run the command again');
  };
  const withProblems = readDeclarations({ staging: { boopEnvironment: 'development' }, broken: {}, Bad: { boopEnvironment: 'production' } });

  // The rehearsal is refused in prod, by its binding; that refusal needs no cdk.json either.
  test.each(
    COMMANDS.flatMap((command) => (['dev', 'prod'] as const).map((env) => [command, env] as const)).filter(
      ([command, env]) => !(command === 'rehearse' && env === 'prod'),
    ),
  )('rollout %s --env %s needs no cdk.json: dev and prod are bound for good', (command, env) => {
    const args = parseRolloutArgs([command, '--env', env, ...ROLLOUT_OPTIONS[command]], UNREADABLE);
    expect(args).toMatchObject({ env, boopEnvironment: BUILT_IN_ENVIRONMENTS[env] });
  });

  test.each(KEYS_COMMANDS)('keys %s --env prod needs no cdk.json', (command) => {
    expect(parseKeysArgs([command, '--env', 'prod', ...KEYS_OPTIONS[command]], UNREADABLE)).toMatchObject({ env: 'prod', boopEnvironment: 'production' });
  });

  test('a rollback of an environment of your own name goes on without a readable cdk.json, with production confirmations; nothing else does', () => {
    expect(parseRolloutArgs(['rollback', '--env', 'prod-eu', '--reason', 'INC-1'], UNREADABLE)).toMatchObject({
      env: 'prod-eu',
      boopEnvironment: 'production',
    });
    for (const command of COMMANDS.filter((c) => c !== 'rollback')) {
      expect(() => parseRolloutArgs([command, '--env', 'prod-eu', ...ROLLOUT_OPTIONS[command]], UNREADABLE)).toThrow(/cdk\.json in .* is not valid JSON/);
    }
    expect(() => parseRolloutArgs(['rollback', '--env', 'Prod EU', '--reason', 'INC-1'], UNREADABLE)).toThrow(/cdk\.json in .* is not valid JSON/);
  });

  test("a problem in another environment's declaration stops no command on this one, and is named for its own", () => {
    expect(withProblems.problems.length).toBeGreaterThan(0);
    for (const command of COMMANDS) {
      expect(parseRolloutArgs([command, '--env', 'staging', ...ROLLOUT_OPTIONS[command]], () => withProblems)).toMatchObject({ env: 'staging' });
    }
    expect(parseKeysArgs(['check', '--env', 'staging'], () => withProblems)).toMatchObject({ env: 'staging' });
    expect(() => parseRolloutArgs(['status', '--env', 'broken'], () => withProblems)).toThrow(
      /^unknown environment "broken"; declared environments: dev, prod, staging .*; cdk\.json boop:environments\.broken: say which BOOP environment it talks to/,
    );
  });
});

describe('a cdk.json that is not JSON is refused without quoting it (a value there could be one not to print)', () => {
  const VALUE = 'https://events.example.com/integration/not-a-real-key-0123/enqueue';
  const refusal = (text: string): Error => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-json-'));
    try {
      fs.writeFileSync(path.join(folder, 'cdk.json'), text);
      projectEnvironments(folder);
      throw new Error('cdk.json was read');
    } catch (caught) {
      return caught as Error;
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  };

  test.each([
    ['an unquoted value', `{\n  "context": {\n    "url": ${VALUE}\n  }\n}\n`, /is not valid JSON; fix it/],
    ['a comma too many, with where it is', `{\n  "context": {\n    "url": "${VALUE}",\n  }\n}\n`, /is not valid JSON \(at line 4, column 3\); fix it/],
  ])('%s', (_title, text, expected) => {
    const error = refusal(text);
    expect(error).toBeInstanceOf(CliError);
    expect(error.message).toMatch(expected);
    expect(error.message).not.toMatch(/events|integration|0123/);
  });
});
