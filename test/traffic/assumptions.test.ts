/**
 * When an AWS behaviour the controller relies on does not hold, it fails closed and the refusal says
 * which (docs/design.md, the "What this relies on that no test here reaches" tables): each
 * assumption is broken here alone, through the fake AWS, and what the user sees names its id, the
 * design's section and the rehearsal.
 */
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { GREEN_PERCENT_PARAMETER, IMAGE_PARAMETERS, RELEASE_RESOURCE_TYPE } from '../../common/names';
import { ASSUMPTION_IDS, ASSUMPTIONS, AssumptionId, assumptionPointer } from '../../common/assumptions';
import { judgeAgainstStack } from '../../lambda/traffic/deploy-event';
import { route } from '../../lambda/traffic/route';
import { customResourceEvent, ResponseServer } from './cloudformation';
import { FakeAws, GREEN_SERVICE, SETTINGS } from './fake-aws';
import { numRuns } from '../support/properties';
import { scalableTargetId } from '../../common/traffic/green-capacity';
import { headings } from '../support/markdown';

const DESIGN_DOC_TEXT = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'design.md'), 'utf8');
const FIRST_STEP = String(SETTINGS.policy.steps[0]);
const V1 = 'registry.example/boop-integration:1.0.0';
const V2 = 'registry.example/boop-integration:2.0.0';

const sectionOf = (id: AssumptionId): string => ASSUMPTIONS.find((a) => a.id === id)!.section;

/** What a refusal caused by a failing assumption must say, on one line. */
function namesAssumption(id: AssumptionId): RegExp {
  const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(
    `^[^\\n]*assumption ${id} may not hold[^\\n]*docs/design\\.md "${escaped(sectionOf(id))}"[^\\n]*npm run rollout -- rehearse --env <a non-production env>[^\\n]*$`,
  );
}

describe('the assumptions, defined once', () => {
  test.each([...ASSUMPTION_IDS])('%s points at a section of docs/design.md whose table names it', (id) => {
    const section = sectionOf(id);
    expect(headings(DESIGN_DOC_TEXT).map((heading) => heading.text)).toContain(section);
    const start = DESIGN_DOC_TEXT.indexOf(`\n## ${section}\n`);
    const end = DESIGN_DOC_TEXT.indexOf('\n## ', start + 1);
    expect(DESIGN_DOC_TEXT.slice(start, end)).toMatch(new RegExp(`^\\|[^\\n]*\`${id}\``, 'm'));
  });

  test.each([...ASSUMPTION_IDS])('the pointer for %s is one line naming it, its section and the rehearsal', (id) => {
    expect(assumptionPointer(id)).toMatch(namesAssumption(id));
  });
});

const server = new ResponseServer();
beforeAll(() => server.start());
afterAll(() => server.stop());

let aws: FakeAws;
let deps: Parameters<typeof route>[1];
beforeEach(() => {
  aws = new FakeAws();
  server.received.length = 0;
  deps = aws.routeDeps(aws.controller(), server.respond);
});

const weights = (greenPercent: string, override = '') => ({ GreenPercent: greenPercent, ListenerFingerprint: 'f1', RolloutOverride: override });

/** A deploy event of the weights mid-update, the stack reporting `reported` (the update's values when the assumption holds). */
function weightsEvent(asked: Record<string, string>, old: Record<string, string>, reported = asked): CloudFormationCustomResourceEvent {
  aws.stack = { status: 'UPDATE_IN_PROGRESS', greenPercent: reported.GreenPercent, rolloutOverride: reported.RolloutOverride ?? '' };
  return customResourceEvent('Update', asked, old);
}

/** Expects a deploy refused as not CloudFormation's own, naming `id` in the answer, the log and the page, with nothing moved. */
function expectRefusedNaming(id: AssumptionId, answered: boolean): void {
  expect(aws.calls).not.toContain('ModifyListener');
  expect(aws.metrics).toContainEqual({ name: 'RefusedEvents', value: 1 });
  expect(aws.logs).toContainEqual(
    expect.objectContaining({ level: 'error', extra: expect.objectContaining({ why: expect.stringMatching(namesAssumption(id)) }) }),
  );
  expect(aws.published).toEqual([expect.objectContaining({ message: expect.stringContaining(`assumption ${id} may not hold`) })]);
  expect(server.received.map((r) => r.body)).toEqual(
    answered ? [expect.objectContaining({ Status: 'FAILED', Reason: expect.stringMatching(namesAssumption(id)) })] : [],
  );
}

describe('describe-stacks-mid-update: DescribeStacks answers the previous values during the update', () => {
  test('a rise is refused, naming it, and moves nothing', async () => {
    await route(weightsEvent(weights(FIRST_STEP), weights('0'), weights('0')), deps);
    expectRefusedNaming('describe-stacks-mid-update', true);
    expect(aws.live().green).toBe(0);
  });

  test('any mirrored parameter reported stale refuses the event naming it; reported as asked, it never does', () => {
    const parameter = fc.constantFrom(GREEN_PERCENT_PARAMETER, IMAGE_PARAMETERS.blue, IMAGE_PARAMETERS.green);
    const value = (name: string) => (name === GREEN_PERCENT_PARAMETER ? fc.integer({ min: 0, max: 100 }).map(String) : fc.constantFrom(V1, V2, `${V2}-rc`));
    const update = parameter.chain((name) => fc.tuple(fc.constant(name), value(name), value(name)));
    fc.assert(
      fc.property(update, fc.boolean(), ([name, asked, previous], stale) => {
        const properties = { GreenPercent: '0', BlueImage: V1, GreenImage: V1, [name]: asked };
        const event = { ...customResourceEvent('Update', properties, {}), ResourceType: RELEASE_RESOURCE_TYPE };
        const reported = { ...properties, ...(stale ? { [name]: previous } : {}) };
        const verdict = judgeAgainstStack(event, { status: 'UPDATE_IN_PROGRESS', parameters: reported });
        if (stale && previous !== asked) {
          expect(verdict).toMatchObject({ honoured: false, why: expect.stringMatching(namesAssumption('describe-stacks-mid-update')) });
        } else expect(verdict).toEqual({ honoured: true, origin: 'user-deploy' });
      }),
      { numRuns: numRuns(200) },
    );
  });
});

describe('get-template-mid-update: GetTemplate answers the previous template during the update', () => {
  test.each(['', 'INC-7 an older override'])(
    "an override deploy is refused, naming it, when the template read has the previous deploy's override (%j)",
    async (previous) => {
      await route(weightsEvent(weights('50', 'INC-9 hotfix'), weights('0'), weights('50', previous)), deps);
      expectRefusedNaming('get-template-mid-update', true);
    },
  );
});

describe("response-url-host: CloudFormation's answer URL has a host form the controller does not know", () => {
  test.each([
    ['dual-stack', (url: URL) => url.hostname.replace('.s3.', '.s3.dualstack.')],
    ['FIPS', (url: URL) => url.hostname.replace('.s3.', '.s3-fips.')],
  ])('a %s host is refused without an answer; the log and the page name it', async (_name, host) => {
    const event = weightsEvent(weights(FIRST_STEP), weights('0'));
    const url = new URL(event.ResponseURL);
    url.hostname = host(url);
    await route({ ...event, ResponseURL: url.toString() }, deps);
    expectRefusedNaming('response-url-host', false);
  });
});

describe("green-capacity-tag-condition: IAM does not let the controller re-pin green's capacity", () => {
  /** IAM not seeing green's tag: every re-pin is denied. */
  function denyCapacity(): void {
    const id = scalableTargetId(GREEN_SERVICE);
    aws.scalableTargets.set(id, { ...aws.scalableTargets.get(id)!, tags: {} });
  }

  async function rolledBackAtFirstStep(): Promise<void> {
    await route(weightsEvent(weights(FIRST_STEP), weights('0')), deps);
    denyCapacity();
    await deps.controller.rollback({ trigger: 'manual', triggeredAt: new Date(), why: 'drill', by: 'test' });
  }

  test('a rollback still puts blue alone; the log names it; the acknowledgement fails naming it', async () => {
    await rolledBackAtFirstStep();
    expect(aws.live()).toEqual({ green: 0, blueAlone: true, sticky: false });
    expect(aws.logs).toContainEqual(
      expect.objectContaining({ level: 'error', extra: { error: expect.stringMatching(namesAssumption('green-capacity-tag-condition')) } }),
    );

    server.received.length = 0;
    await route(weightsEvent(weights('0'), weights(FIRST_STEP)), deps);
    expect(server.last()).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(namesAssumption('green-capacity-tag-condition')) });
  });

  test('with rollout.scaleGreenToZeroOnRollback off, the trade it documents, the acknowledgement goes through', async () => {
    deps = aws.routeDeps(aws.controller(undefined, { ...SETTINGS, scaleGreenToZero: false }), server.respond);
    await rolledBackAtFirstStep();
    server.received.length = 0;
    await route(weightsEvent(weights('0'), weights(FIRST_STEP)), deps);
    expect(server.last()).toMatchObject({ Status: 'SUCCESS' });
    expect(aws.registrations).toEqual([]);
  });
});

describe("rollback-update-events: CloudFormation's rollback sends properties that are not the previous deploy's", () => {
  test('the rollback is answered FAILED naming it; the same properties in a deploy of the user are refused without it', async () => {
    const unreadable = { ListenerFingerprint: 'f1', RolloutOverride: '' };
    aws.stack = { status: 'UPDATE_ROLLBACK_IN_PROGRESS', greenPercent: FIRST_STEP, rolloutOverride: '' };
    await route(customResourceEvent('Update', unreadable, weights(FIRST_STEP)), deps);
    expect(server.last()).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(namesAssumption('rollback-update-events')) });

    // The stack reports what the event carries, so only the request's own check speaks.
    aws.stack = { status: 'UPDATE_IN_PROGRESS', greenPercent: String(undefined), rolloutOverride: '' };
    await route(customResourceEvent('Update', unreadable, weights('0')), deps);
    expect(server.last()).toMatchObject({ Status: 'FAILED', Reason: expect.not.stringContaining('assumption') });
    expect(aws.calls).not.toContain('ModifyListener');
  });
});
