/**
 * `rollout plan` against the controller: for every position a stack can be in and every kind of
 * deploy (each guard rule and each weights rule), the plan made from what the CLI reads must say what
 * the deploy then does: accepted exactly when CloudFormation's deploy succeeds, refused with the
 * deploy's own words otherwise.
 */
import { readRiseEvidence } from '../../common/traffic/evidence';
import { DeployPlan, planDeploy, planEvidenceQuery } from '../../common/traffic/plan';
import { parseState, SlotImages } from '../../common/traffic/state';
import { readLiveWeights } from '../../common/traffic/weights';
import { route } from '../../lambda/traffic/route';
import { FakeAws, SETTINGS } from './fake-aws';
import { SimulatedStack, StackParameters } from './stack-deploy';

const HOUR = 3_600_000;
const { steps, bakeTimeHours } = SETTINGS.policy;
const [FIRST, SECOND] = steps;
const V1 = 'registry.example/boop-integration:1.0.0';
const V2 = 'registry.example/boop-integration:2.0.0';
const V3 = 'registry.example/boop-integration:3.0.0';

interface World {
  aws: FakeAws;
  stack: SimulatedStack;
  clock: { now: number };
}

/** How a stack gets to a position: deploys and what happens between them. */
type Position = (world: World, bake: () => void) => Promise<void>;

const POSITIONS: Record<string, Position> = {
  'new stack, both slots on v1': async () => {},
  'v2 released on green at 0 %': async ({ stack }) => {
    await stack.deploy({ images: { blue: V1, green: V2 } });
  },
  'v2 at the second step, mid-bake': async ({ stack }, bake) => {
    await stack.deploy({ images: { blue: V1, green: V2 }, greenPercent: FIRST });
    bake();
    await stack.deploy({ greenPercent: SECOND });
  },
  'v2 at 100 %, bake not over': async ({ stack }) => {
    await stack.deploy({ images: { blue: V1, green: V2 } });
    await stack.deploy({ greenPercent: 100, override: 'straight to 100 for the test' });
  },
  'v2 at 100 %, baked': async ({ stack }, bake) => {
    await stack.deploy({ images: { blue: V1, green: V2 } });
    await stack.deploy({ greenPercent: 100, override: 'straight to 100 for the test' });
    bake();
  },
  'v2 at 100 %, baked, the rollback alarm fired during the bake': async ({ stack, aws, clock }, bake) => {
    await stack.deploy({ images: { blue: V1, green: V2 } });
    await stack.deploy({ greenPercent: 100, override: 'straight to 100 for the test' });
    aws.alarmHistory.push({ at: new Date(clock.now + HOUR), to: 'ALARM' }, { at: new Date(clock.now + 2 * HOUR), to: 'OK' });
    bake();
  },
  'v2 promoted, green still at 100 %': async ({ stack }, bake) => {
    await stack.deploy({ images: { blue: V1, green: V2 } });
    await stack.deploy({ greenPercent: 100, override: 'straight to 100 for the test' });
    bake();
    await stack.deploy({ images: { blue: V2, green: V2 } });
  },
  'v2 rolled back from the first step, not acknowledged': async ({ stack, clock }) => {
    await stack.deploy({ images: { blue: V1, green: V2 }, greenPercent: FIRST });
    await route({ action: 'rollback', reason: 'test', requestedBy: 'arn:aws:iam::111122223333:user/ops' }, stack.deps);
    clock.now += HOUR;
  },
  'green unhealthy at 0 %': async ({ stack, aws }) => {
    await stack.deploy({ images: { blue: V1, green: V2 } });
    aws.greenTargets = ['unhealthy'];
  },
};

/** Each kind of deploy, from where the stack stands. */
const REQUESTS: Record<string, (p: StackParameters) => Partial<StackParameters>> = {
  'GreenPercent=0': () => ({ greenPercent: 0 }),
  'the first step': () => ({ greenPercent: FIRST }),
  'the second step': () => ({ greenPercent: SECOND }),
  '100 %': () => ({ greenPercent: 100 }),
  'a new green image': (p) => ({ images: { ...p.images, green: V3 } }),
  'a new green image with GreenPercent=0': (p) => ({ images: { ...p.images, green: V3 }, greenPercent: 0 }),
  'a new green image with the first step': (p) => ({ images: { ...p.images, green: V3 }, greenPercent: FIRST }),
  "promotion: blue takes green's image": (p) => ({ images: { ...p.images, blue: p.images.green } }),
  'another image on blue': (p) => ({ images: { ...p.images, blue: V3 } }),
  'both images': (p) => ({ images: { blue: p.images.green, green: V3 } }),
  'a new green image with an override': (p) => ({ images: { ...p.images, green: V3 }, override: 'INC-7' }),
  'the second step with an override': () => ({ greenPercent: SECOND, override: 'INC-7' }),
};

async function at(position: Position): Promise<World> {
  const aws = new FakeAws();
  const clock = { now: Date.parse('2026-11-21T09:00:00.000Z') };
  const stack = new SimulatedStack(aws, () => new Date(clock.now), { greenPercent: 0, images: { blue: V1, green: V1 }, override: '' });
  await stack.create();
  await position({ aws, stack, clock }, () => {
    clock.now += bakeTimeHours * HOUR + 60_000;
  });
  return { aws, stack, clock };
}

/** The plan as `rollout plan` makes it: from the record, the listener and the evidence read now. */
async function plan(world: World, request: StackParameters): Promise<DeployPlan> {
  const { aws, clock } = world;
  const now = new Date(clock.now);
  const stored = parseState(aws.parameters.get(SETTINGS.stateParameterName), now);
  const live = readLiveWeights({ DefaultActions: aws.defaultActions }, SETTINGS.targetGroups);
  const sources = { greenTargetGroupArn: SETTINGS.targetGroups.green, rollbackAlarmName: SETTINGS.rollbackAlarmName };
  const evidence = await readRiseEvidence(aws.clients, sources, planEvidenceQuery(stored), now);
  const images: SlotImages = request.images;
  return planDeploy(
    {
      stored,
      live,
      listenerArn: SETTINGS.listenerArn,
      request: { images, intent: request.greenPercent, overrideReason: request.override || undefined },
      guarded: SETTINGS.releaseGuard,
      now,
      evidence,
    },
    SETTINGS.policy,
  );
}

const cases = Object.keys(POSITIONS).flatMap((position) => Object.keys(REQUESTS).map((request) => [position, request] as const));

test.each(cases)('%s, then %s: the plan says what the deploy does', async (positionName, requestName) => {
  const world = await at(POSITIONS[positionName]);
  const current = world.stack.parameters;
  const asked = { ...current, override: '', ...REQUESTS[requestName](current) };
  const callsBefore = world.aws.calls.length;
  const planned = await plan(world, asked);
  // A plan only reads.
  expect(world.aws.calls.slice(callsBefore).filter((call) => !call.startsWith('Describe'))).toEqual([]);

  const result = await world.stack.deploy(asked);
  if (!result.release && !result.weights) return; // nothing changed, so CloudFormation runs nothing
  const replacesUnhealthyGreen = world.aws.greenTargets.every((state) => state !== 'healthy') && asked.images.green !== current.images.green;
  if (replacesUnhealthyGreen && asked.greenPercent > 0) {
    // The plan cannot know how tasks that do not exist yet will do: it makes the rise conditional on their health, which the deploy then requires.
    expect(planned.steps[planned.steps.length - 1]).toContain("once green's new tasks pass their health check");
    expect(result.reason).toContain('green has no healthy target');
    return;
  }
  expect({ accepted: planned.accepted, refusal: planned.refusal }).toEqual({
    accepted: result.status === 'SUCCESS',
    refusal: result.status === 'FAILED' ? result.reason : undefined,
  });
});

test('a plan of a new green image while green serves traffic lists the lowering, the replacement and the weights in order', async () => {
  const world = await at(POSITIONS['v2 at the second step, mid-bake']);
  const planned = await plan(world, { ...world.stack.parameters, images: { blue: V1, green: V3 }, greenPercent: 0, override: '' });
  expect(planned).toEqual({
    accepted: true,
    steps: [
      `green ${SECOND} % → 0 %, before its tasks are replaced`,
      `ECS replaces green's tasks: ${V2} → ${V3} (a new release: its rollout starts at the first step)`,
      'GreenPercent=0: green stays at 0 %',
    ],
  });
});
