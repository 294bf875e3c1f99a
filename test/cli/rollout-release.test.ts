/**
 * The rollout CLI's release commands against mocked AWS clients: `plan` (a deploy judged on what is
 * live, changing nothing), `promote` from every position (printed, or run with --yes through a fake
 * runner), and what `status` shows of images, tasks, targets and releases. Steps and bake come from
 * the configured production rollout; only three outputs are written out whole.
 */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { CliError } from '../../cli/errors';
import { CommandRunner, failureLine, runOnTerminal, runRolloutCli } from '../../cli/rollout';
import { ROLLOUT_OVERRIDE_CONTEXT } from '../../cli/rollout-args';
import { readRolloutOverride, ROLLOUT_OVERRIDE_CONTEXT_KEY } from '../../lib/app';
import { IMAGE_PARAMETERS } from '../../common/names';
import { STACK_OUTPUTS } from '../../common/payloads';
import { TrafficState } from '../../common/traffic/state';
import { SETTINGS } from '../traffic/fake-aws';
import { callNames, describedStack, NOW, outputs, service, setup, Setup, Stand, standAt } from './rollout-setup';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const POLICY = SETTINGS.policy;
const FIRST = POLICY.steps[0];
const BAKE = POLICY.bakeTimeHours * HOUR;
/** How long after a step's start the next one was taken in these histories: the bake, and an hour. */
const STEP_GAP = BAKE + HOUR;
const REGISTRY = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/boop-integration';
const V1 = `${REGISTRY}:3.0.0`;
const V2 = `${REGISTRY}:3.1.0`;
const V3 = `${REGISTRY}:3.2.0`;

/** Whether the app takes the reason of `-c rolloutOverride`. */
function readOverride(reason: string): boolean {
  try {
    return readRolloutOverride(reason) !== undefined;
  } catch {
    return false;
  }
}

const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();

/** V1 promoted to blue weeks ago; V2 released on green and taken through the steps up to `share`, the last one `sinceMs` ago. */
function releasing(share: number, sinceMs = STEP_GAP): TrafficState {
  const reached = POLICY.steps.filter((step) => step <= share);
  const steps = reached.map((percent, i) => ({ percent, at: ago(sinceMs + (reached.length - 1 - i) * STEP_GAP) }));
  const releasedAt = ago(sinceMs + reached.length * STEP_GAP);
  return {
    version: 1,
    intent: share,
    greenPercent: share,
    stepStartedAt: steps.length > 0 ? steps[steps.length - 1].at : releasedAt,
    changes: [],
    listenerArn: SETTINGS.listenerArn,
    images: { blue: V1, green: V2 },
    releases: [
      { image: V2, releasedAt, steps },
      { image: V1, releasedAt: ago(30 * DAY), steps: POLICY.steps.map((percent, i) => ({ percent, at: ago((29 - i) * DAY) })), promotedAt: ago(20 * DAY) },
    ],
  };
}

/** After the promotion of V2: blue runs it too, green serves `share`. */
function promoted(share: number): TrafficState {
  const state = releasing(100, 2 * DAY);
  return {
    ...state,
    intent: share,
    greenPercent: share,
    stepStartedAt: share === 100 ? state.stepStartedAt : ago(HOUR),
    images: { blue: V2, green: V2 },
    releases: state.releases!.map((r) => (r.image === V2 ? { ...r, promotedAt: ago(DAY) } : r)),
  };
}

/** A command line's run: what it printed, and its failure (undefined when it succeeded). */
async function run(world: Setup, argv: readonly string[], runner?: CommandRunner) {
  const error = await runRolloutCli(argv, world.clients, world.io, runner).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { lines: world.lines, text: world.lines.join('\n'), error };
}

function at(stand: Stand): Setup {
  const world = setup();
  standAt(world, stand);
  return world;
}

/** Every call a read: plan and promote without --yes change nothing. */
function expectOnlyReads(world: Setup): void {
  const names = callNames(world);
  expect(names.length).toBeGreaterThan(0);
  for (const name of names) expect(name).toMatch(/^(Describe|Get|List)\w+Command$/);
}

const deploy = (...parameters: string[]) => ['npx', 'cdk', 'deploy', '-c', 'env=prod', ...parameters.flatMap((p) => ['--parameters', p])];

describe('plan', () => {
  test('a new green image while green serves traffic is refused, word for word as the deploy would be, and exits 1', async () => {
    const world = at({ share: 25, state: releasing(25) });
    const { lines, error } = await run(world, ['plan', '--env', 'prod', '--green-percent', '25', '--green-image', V3]);
    expect(lines).toEqual(REFUSED_PLAN);
    expect(error).toBeInstanceOf(CliError);
    expect(failureLine(error)).toBe('rollout: plan: the deploy would be refused; the plan on stdout says why and what to do instead');
    expectOnlyReads(world);
  });

  test.each([
    [
      'from another repository',
      'public.ecr.aws/acme/boop-integration:3.2.0',
      /must come from 111122223333\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/boop-integration/,
    ],
    ['latest', `${REGISTRY}:latest`, /"latest" moves under you/],
  ])("an image %s is refused as the stack's GreenImage parameter would refuse it, before any plan", async (_what, image, why) => {
    const world = at({ share: 0, state: releasing(0) });
    const { lines, error } = await run(world, ['plan', '--env', 'prod', '--green-percent', '0', '--green-image', image]);
    expect(failureLine(error)).toMatch(new RegExp(`^rollout: --green-image "${image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}": `));
    expect(failureLine(error)).toMatch(why);
    expect(failureLine(error)).toMatch(/; CloudFormation would refuse it as GreenImage$/);
    expect(lines).toEqual([]);
    for (const name of callNames(world)) expect(name).toMatch(/^(Describe|Get|List)\w+Command$/);
  });

  test('the same image with GreenPercent=0 is accepted: green drops to 0 % first, then ECS replaces its tasks', async () => {
    const world = at({ share: 25, state: releasing(25) });
    const { lines, error } = await run(world, ['plan', '--env', 'prod', '--green-percent', '0', '--green-image', V3]);
    expect(error).toBeUndefined();
    expect(lines).toEqual(ACCEPTED_PLAN);
    expectOnlyReads(world);
  });

  test('a promotion before the bake at 100 % is over is refused with the time it is allowed from', async () => {
    const state = releasing(100, 3 * HOUR);
    const world = at({ share: 100, state });
    const { text, error } = await run(world, ['plan', '--env', 'prod', '--green-percent', '100', '--blue-image', V2]);
    expect(error).toBeInstanceOf(CliError);
    const allowedFrom = new Date(Date.parse(state.stepStartedAt) + BAKE).toISOString();
    expect(text).toMatch(new RegExp(`^  why +${IMAGE_PARAMETERS.blue}=\\S+ refused: .*allowed from ${allowedFrom}\\. `, 'm'));
    expectOnlyReads(world);
  });

  test('a promotion after a clean bake at 100 % is accepted: blue takes green’s image', async () => {
    const world = at({ share: 100, state: releasing(100) });
    const { text, error } = await run(world, ['plan', '--env', 'prod', '--green-percent', '100', '--blue-image', V2]);
    expect(error).toBeUndefined();
    expect(text).toMatch(/^ {2}verdict +accepted$/m);
    expect(text).toContain(`ECS replaces blue's tasks: ${V1} → ${V2}`);
    expect(text).toMatch(
      new RegExp(`^ {2}command +npx cdk deploy -c env=prod --parameters ${IMAGE_PARAMETERS.blue}=\\S+:3\\.1\\.0 --parameters GreenPercent=100$`, 'm'),
    );
    expectOnlyReads(world);
  });

  test('a promotion while the rollback alarm entered ALARM during the bake is refused', async () => {
    const state = releasing(100);
    const world = at({ share: 100, state, rollbackAlarmFiredAt: ago(HOUR) });
    const { text, error } = await run(world, ['plan', '--env', 'prod', '--green-percent', '100', '--blue-image', V2]);
    expect(error).toBeInstanceOf(CliError);
    expect(text).toMatch(/^ {2}why +BlueImage=\S+ refused: the rollback alarm entered ALARM during the bake at 100 %/m);
  });

  test('with --override the refused image change is planned through, and the command carries the reason', async () => {
    const world = at({ share: 25, state: releasing(25) });
    const { text, error } = await run(world, ['plan', '--env', 'prod', '--green-percent', '25', '--green-image', V3, '--override', 'INC-9 "card" fix']);
    expect(error).toBeUndefined();
    expect(text).toMatch(/^ {2}verdict +accepted$/m);
    expect(text).toContain('the bake starts again');
    expect(text).toMatch(
      /^ {2}command +npx cdk deploy -c env=prod -c rolloutOverride="INC-9 \\"card\\" fix" --parameters GreenImage=\S+ --parameters GreenPercent=25$/m,
    );
    expectOnlyReads(world);
  });

  test('a stack whose release guard is off lets the image change through; one without the output is judged guarded', async () => {
    const argv = ['plan', '--env', 'prod', '--green-percent', '25', '--green-image', V3];
    const off = await run(at({ share: 25, state: releasing(25), releaseGuard: 'false' }), argv);
    expect(off.error).toBeUndefined();
    expect(off.text).toMatch(/^ {2}verdict +accepted$/m);
    for (const releaseGuard of ['true', undefined] as const) {
      const on = await run(at({ share: 25, state: releasing(25), releaseGuard }), argv);
      expect(on.error).toBeInstanceOf(CliError);
    }
  });

  test('the command names an image only when it changes, and always the GreenPercent', async () => {
    const world = at({ share: 25, state: releasing(25) });
    const { text, error } = await run(world, ['plan', '--env', 'prod', '--green-percent', '50', '--green-image', V2, '--blue-image', V1]);
    expect(text).toMatch(/^ {2}command +npx cdk deploy -c env=prod --parameters GreenPercent=50$/m);
    // From 25 % after a clean bake, the next step is allowed.
    expect(error).toBeUndefined();
  });

  test('--override takes what -c rolloutOverride takes, and names it as the app reads it', async () => {
    expect(ROLLOUT_OVERRIDE_CONTEXT).toBe(ROLLOUT_OVERRIDE_CONTEXT_KEY);
    // The longest reason the app takes, found by asking it; one character more is refused by both.
    let longest = 'x';
    while (readOverride(`${longest}x`) && longest.length < 10_000) longest += 'x';
    const plan = (reason: string) => ['plan', '--env', 'prod', '--green-percent', '0', '--override', reason];
    const world = at({ share: 0, state: releasing(0) });
    expect((await run(world, plan(longest))).error).toBeUndefined();
    expect((await run(world, plan(`${longest}x`))).error).toBeInstanceOf(CliError);
  });

  test('a stack without the image parameters says to deploy this version first', async () => {
    const world = setup();
    const { error } = await run(world, ['plan', '--env', 'prod', '--green-percent', '0']);
    expect(failureLine(error)).toMatch(/^rollout: stack BoopIntegration-prod has no BlueImage and GreenImage parameters yet.*npx cdk deploy -c env=prod$/);
  });
});

/** A runner that records each command and answers with the next exit code (0 when none is left). */
function fakeRunner(exitCodes: readonly number[] = []) {
  const ran: (readonly string[])[] = [];
  const runner: CommandRunner = async (argv) => {
    ran.push(argv);
    return exitCodes[ran.length - 1] ?? 0;
  };
  return { runner, ran };
}

describe('promote', () => {
  const argv = ['promote', '--env', 'prod'];

  test('green at 100 % after a clean bake, blue on the previous release: blue takes green’s image, then GreenPercent=0', async () => {
    const world = at({ share: 100, state: releasing(100) });
    const { runner, ran } = fakeRunner();
    const { lines, error } = await run(world, argv, runner);
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      `BOOP prod (BoopIntegration-prod): green has served ${V2} at 100 % through a clean bake; promote it to blue`,
      `  1. npx cdk deploy -c env=prod --parameters BlueImage=${V2}`,
      "     blue, the known-good, takes green's image (blue serves nothing meanwhile)",
      '  2. npx cdk deploy -c env=prod --parameters GreenPercent=0',
      '     all traffic to blue, the same code; green is free for the next release',
      'Run them in this order, or let the CLI run them: npm run rollout -- promote --env prod --yes',
    ]);
    expect(ran).toEqual([]);
    expectOnlyReads(world);
  });

  test('--yes runs the commands in order through the runner', async () => {
    const world = at({ share: 100, state: releasing(100) });
    const { runner, ran } = fakeRunner();
    const { text, error } = await run(world, [...argv, '--yes'], runner);
    expect(error).toBeUndefined();
    expect(ran).toEqual([deploy(`${IMAGE_PARAMETERS.blue}=${V2}`), deploy('GreenPercent=0')]);
    expect(text).toMatch(new RegExp(`^promoted: blue runs \\S+:3\\.1\\.0 and serves all traffic; green is free for the next release: `, 'm'));
  });

  test.each([
    [1, 'command 1 of 2 failed (exit code 1): npx cdk deploy -c env=prod --parameters BlueImage=', '; the commands after it did not run'],
    [2, 'command 2 of 2 failed (exit code 1): npx cdk deploy -c env=prod --parameters GreenPercent=0', ''],
  ])('--yes stops at the first command that fails (command %i), naming it', async (failing, named, rest) => {
    const world = at({ share: 100, state: releasing(100) });
    const { runner, ran } = fakeRunner(failing === 1 ? [1] : [0, 1]);
    const { error } = await run(world, [...argv, '--yes'], runner);
    expect(ran).toHaveLength(failing);
    const line = failureLine(error);
    expect(line).toContain(named);
    expect(line).toMatch(new RegExp(`${rest}\\. Fix what it printed, then run npm run rollout -- promote --env prod again$`));
  });

  test('blue already runs green’s image with green at 100 %: only GreenPercent=0', async () => {
    const world = at({ share: 100, state: promoted(100) });
    const { runner, ran } = fakeRunner();
    const { lines, error } = await run(world, [...argv, '--yes'], runner);
    expect(error).toBeUndefined();
    expect(lines[0]).toBe(`BOOP prod (BoopIntegration-prod): blue already runs green's ${V2}; green serves 100 %`);
    expect(ran).toEqual([deploy('GreenPercent=0')]);
  });

  test('promoted and green at 0 %: green is free for the next release, nothing to run', async () => {
    const world = at({ share: 0, state: promoted(0) });
    const { runner, ran } = fakeRunner();
    const { lines, error } = await run(world, [...argv, '--yes'], runner);
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      `BOOP prod (BoopIntegration-prod): promoted; blue, the known-good, runs ${V2} and serves all traffic`,
      `Nothing to run: green is free for the next release: npx cdk deploy -c env=prod --parameters GreenImage=<next image> --parameters GreenPercent=0, then the steps from GreenPercent=${FIRST}.`,
    ]);
    expect(ran).toEqual([]);
    expectOnlyReads(world);
  });

  test.each([
    ['green below 100 %', { share: 50, state: releasing(50) }, /a promotion needs green at 100 % and blue serving nothing, and green serves 50 %/],
    ['the bake at 100 % not over', { share: 100, state: releasing(100, 3 * HOUR) }, /the bake at 100 % .* is not over; the promotion is allowed from /],
    ['the rollback alarm in ALARM', { share: 100, state: releasing(100), rollbackAlarm: 'ALARM' as const }, /the rollback alarm is in ALARM now/],
    // promote proposes only what the guard would accept, on a stack without it too.
    ['green below 100 %, release guard off', { share: 25, state: releasing(25), releaseGuard: 'false' as const }, /and green serves 25 %/],
  ])('not ready (%s): the refusal of the promotion deploy, nothing run, exit 1', async (_, stand, reason) => {
    const world = at(stand);
    const { runner, ran } = fakeRunner();
    const { lines, error } = await run(world, [...argv, '--yes'], runner);
    expect(lines[0]).toBe(`BOOP prod (BoopIntegration-prod): not ready to promote green's ${V2} to blue`);
    expect(lines.find((line) => line.startsWith('  why '))).toMatch(reason);
    expect(failureLine(error)).toBe('rollout: promote: not ready; the reason and what to do first are printed on stdout');
    expect(ran).toEqual([]);
    expectOnlyReads(world);
  });
});

describe('status', () => {
  test("shows each slot's image, tasks and healthy targets, the known-good, green's release and the past ones", async () => {
    const world = at({ share: 25, state: releasing(25, 3 * HOUR), greenHealthy: 1 });
    const { lines } = await run(world, ['status', '--env', 'prod']);
    expect(lines).toEqual(STATUS);
  });

  test.each([
    ['a trusted host with its reason', "proxy.acme.example:8443, app.boop.it; proxy.acme.example:8443 is a trusted host, not BOOP's: our egress proxy"],
    ['a stack without the output', undefined],
  ])('says where the keys go: %s', async (_what, hosts) => {
    const world = at({ share: 25, state: releasing(25, 3 * HOUR), greenHealthy: 1 });
    const parameters = { GreenPercent: '25', [IMAGE_PARAMETERS.blue]: V1, [IMAGE_PARAMETERS.green]: V2 };
    const stack = describedStack(parameters, hosts === undefined ? {} : { [STACK_OUTPUTS.boopHosts]: hosts });
    if (hosts === undefined) stack.Stacks[0].Outputs = stack.Stacks[0].Outputs.filter((o) => o.OutputKey !== STACK_OUTPUTS.boopHosts);
    world.mocks.cloudformation.on(DescribeStacksCommand).resolves(stack);
    const { lines, error } = await run(world, ['status', '--env', 'prod']);
    expect(error).toBeUndefined();
    expect(lines[lines.length - 1]).toBe(
      `  keys go to       ${hosts ?? 'unknown: the stack predates this output; deploy this version of boop-deploy to see it'}`,
    );
  });

  test('after a rollback that emptied green: its tasks at 0, the release rolled back, when green was scaled to zero', async () => {
    const base = releasing(25);
    const rolledBackAt = ago(2 * HOUR);
    const state: TrafficState = {
      ...base,
      greenPercent: 0,
      stepStartedAt: rolledBackAt,
      releases: base.releases!.map((r) => (r.image === V2 ? { ...r, rolledBackAt } : r)),
      lastRollback: {
        trigger: outputs.rollbackAlarmName,
        why: 'PAYMENT_ERROR_RATE-green',
        by: 'automatic rollback (EventBridge)',
        fromGreenPercent: 25,
        at: rolledBackAt,
        triggeredAt: rolledBackAt,
        greenScaledToZeroAt: ago(HOUR),
      },
    };
    const world = at({ share: 0, state, greenHealthy: 0 });
    world.mocks.ecs.on(DescribeServicesCommand).resolves({ services: [service('blue', 2, 2), service('green', 0, 0)] });
    const { text } = await run(world, ['status', '--env', 'prod']);
    expect(text).toMatch(/^ {2}green tasks +0 running \/ 0 desired · targets 0 \/ 2 healthy$/m);
    expect(text).toMatch(new RegExp(`^ {19}rolled back ${rolledBackAt}$`, 'm'));
    expect(text).toMatch(/^ {2}last rollback +.*NOT acknowledged$/m);
    expect(text).toMatch(
      new RegExp(`^ {2}green emptied +green's service scaled to 0 tasks at ${ago(HOUR)}; GreenPercent=0 acknowledges and restores its tasks$`, 'm'),
    );
  });

  test("warns when the record's images differ from the stack parameters", async () => {
    const world = at({ share: 0, state: releasing(0), images: { blue: V1, green: V3 } });
    const { text } = await run(world, ['status', '--env', 'prod']);
    expect(text).toMatch(
      /^ {2}warning +the record says green runs \S+:3\.1\.0 but the stack parameter GreenImage holds \S+:3\.2\.0; the release guard judges/m,
    );
    expect(text).not.toMatch(/warning +the record says blue/);
  });

  test('a stack of an earlier version, without image parameters: the images are unknown, the rest is shown', async () => {
    const world = setup();
    standAt(world, { share: 0, state: releasing(0) });
    world.mocks.cloudformation.on(DescribeStacksCommand).resolves(describedStack({ GreenPercent: '0' }));
    const { text, error } = await run(world, ['status', '--env', 'prod']);
    expect(error).toBeUndefined();
    expect(text).toMatch(/^ {2}blue image +unknown: the stack has no BlueImage parameter yet$/m);
    expect(text).toMatch(/^ {2}blue tasks +2 running \/ 2 desired · targets 2 \/ 2 healthy$/m);
  });
});

describe('the runner on the terminal', () => {
  test('resolves with the exit code of the command it runs, without a shell', async () => {
    await expect(runOnTerminal([process.execPath, '-e', 'process.exit(3)'])).resolves.toBe(3);
    // Without a shell, `;` is an argument like any other, not a second command.
    await expect(runOnTerminal([process.execPath, '-e', 'process.exit(process.argv[1] === "; exit 7" ? 0 : 1)', '; exit 7'])).resolves.toBe(0);
  });

  test('a program that cannot start is a one-line error naming it', async () => {
    const error = await runOnTerminal(['boop-deploy-no-such-program']).catch((e: unknown) => e);
    expect(failureLine(error)).toMatch(/^rollout: could not start boop-deploy-no-such-program \(ENOENT\); check that Node's npx is on PATH$/);
  });
});

/** `plan --green-percent 25 --green-image <3.2.0>` with green at 25 %. */
const REFUSED_PLAN = [
  "BOOP prod (BoopIntegration-prod): plan, judged by the traffic controller's policy on what is live now; nothing changes",
  '  live weights     blue 75 % · green 25 %',
  `  images           blue ${V1}`,
  `                   green ${V2}`,
  '  verdict          refused',
  `  why              GreenImage=${V3} refused: green serves 25 %, and its image changes only while it serves 0 %, so new code reaches users only through the steps. Deploy it with --parameters GreenImage=${V3} --parameters GreenPercent=0 (green drops to 0 % first, then ECS replaces its tasks), then start the rollout at GreenPercent=5. For an emergency fix, -c rolloutOverride="<reason>" lets one deploy through.`,
  '  steps            1. the release guard refuses the deploy before ECS touches a service; nothing changes',
  `  command          npx cdk deploy -c env=prod --parameters GreenImage=${V3} --parameters GreenPercent=25`,
];

/** `plan --green-percent 0 --green-image <3.2.0>` with green at 25 %. */
const ACCEPTED_PLAN = [
  "BOOP prod (BoopIntegration-prod): plan, judged by the traffic controller's policy on what is live now; nothing changes",
  '  live weights     blue 75 % · green 25 %',
  `  images           blue ${V1}`,
  `                   green ${V2}`,
  '  verdict          accepted',
  '  steps            1. green 25 % → 0 %, before its tasks are replaced',
  `                   2. ECS replaces green's tasks: ${V2} → ${V3} (a new release: its rollout starts at the first step)`,
  '                   3. GreenPercent=0: green stays at 0 %',
  `  command          npx cdk deploy -c env=prod --parameters GreenImage=${V3} --parameters GreenPercent=0`,
];

/** `status` with green at 25 % for 3 h, one of its two targets healthy. */
const STATUS = [
  'BOOP prod (BoopIntegration-prod)',
  '  live weights     blue 75 % · green 25 %, stickiness on',
  '  intent           GreenPercent = 25 (stack parameter)',
  '  step             25 % (steps 5, 25, 50, 100), since 2026-11-21T09:00:00.000Z, 3 h 0 min of 24 h bake',
  '  next step        50 % allowed from 2026-11-22T09:00:00.000Z (in 21 h 0 min)',
  `  blue image       ${V1} (the known-good)`,
  `  green image      ${V2}`,
  '  blue tasks       2 running / 2 desired · targets 2 / 2 healthy',
  '  green tasks      2 running / 2 desired · targets 1 / 2 healthy',
  '  green release    released 2026-11-19T07:00:00.000Z',
  '                   5 % from 2026-11-20T08:00:00.000Z',
  '                   25 % from 2026-11-21T09:00:00.000Z',
  `  past releases    ${V1}: up to 100 %, promoted 2026-11-01T12:00:00.000Z`,
  '  alarms in ALARM  none',
  '  last rollback    none',
  '  keys go to       app.boop.it',
];
