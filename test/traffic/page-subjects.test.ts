/**
 * The controller's pages reach SNS for any environment: a Subject SNS accepts is under 100 characters
 * with no line break or control character (SNS API Reference, Publish), which the in-memory SNS
 * (fake-aws.ts) enforces as SNS does. The helper bounds any text; every subject the controller
 * builds names the longest environment whole, and the refusal and rollback pages get through.
 */
import fc from 'fast-check';
import { ENVIRONMENT_NAME, MAX_ENVIRONMENT_NAME_LENGTH } from '../../common/names';
import { SNS_SUBJECT_MAX_LENGTH, snsSubject, SUBJECT_ELLIPSIS } from '../../lambda/support/sns-subject';
import { PAGE_SUBJECTS } from '../../lambda/traffic/controller';
import { route } from '../../lambda/traffic/route';
import { customResourceEvent } from './cloudformation';
import { FakeAws, rollbackAlarmEvent, SETTINGS } from './fake-aws';

/** Printable ASCII only: no line break, no control character, one character however SNS counts. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** An environment name of the longest length allowed. */
const LONGEST_NAME = `long-${'x'.repeat(MAX_ENVIRONMENT_NAME_LENGTH - 'long-'.length)}`;

/** Environment names as common/names.ts allows them, the longest among them. */
const environmentName = fc.oneof(
  fc.constant(LONGEST_NAME),
  fc.stringMatching(ENVIRONMENT_NAME).filter((name) => name.length <= MAX_ENVIRONMENT_NAME_LENGTH),
);

describe('snsSubject', () => {
  test('any text becomes a subject within the limit, of printable ASCII; printable text that fits is kept as it is, longer text is its start and an ellipsis', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ maxLength: 300 })), (text) => {
        const subject = snsSubject(text);
        expect(subject.length).toBeLessThanOrEqual(SNS_SUBJECT_MAX_LENGTH);
        expect(subject).toMatch(PRINTABLE_ASCII);
        if (PRINTABLE_ASCII.test(text)) {
          expect(subject).toBe(
            text.length <= SNS_SUBJECT_MAX_LENGTH ? text : `${text.slice(0, SNS_SUBJECT_MAX_LENGTH - SUBJECT_ELLIPSIS.length)}${SUBJECT_ELLIPSIS}`,
          );
        }
      }),
    );
  });

  test('at the limit a subject is whole; one character more and it is cut to the limit, ending in the ellipsis', () => {
    const fits = 'a'.repeat(SNS_SUBJECT_MAX_LENGTH);
    expect(snsSubject(fits)).toBe(fits);
    const over = snsSubject(`${fits}b`);
    expect(over).toHaveLength(SNS_SUBJECT_MAX_LENGTH);
    expect(over.endsWith(SUBJECT_ELLIPSIS)).toBe(true);
    expect(fits.startsWith(over.slice(0, -SUBJECT_ELLIPSIS.length))).toBe(true);
  });

  test('a line break is a space, and a character outside ASCII is one "?"', () => {
    expect(snsSubject('BOOP dev:\r\ngreen\trolled back')).toBe('BOOP dev: green rolled back');
    expect(snsSubject('BOOP dev: gr\u00fcn \u{1f680}')).toBe('BOOP dev: gr?n ?');
  });
});

describe("the controller's subjects", () => {
  test.each(Object.keys(PAGE_SUBJECTS) as (keyof typeof PAGE_SUBJECTS)[])(
    '%s: for any environment name, the longest included, within the limit and naming the environment whole',
    (page) => {
      fc.assert(
        fc.property(environmentName, (name) => {
          // The largest share a subject can name: every subject's longest form.
          const subject = PAGE_SUBJECTS[page](name, 100);
          expect(subject.length).toBeLessThanOrEqual(SNS_SUBJECT_MAX_LENGTH);
          expect(subject.startsWith(`BOOP ${name}: `)).toBe(true);
        }),
      );
    },
  );
});

describe('the pages reach SNS', () => {
  /** The controller of an environment named `envName`, answering events as the function does. */
  function controllerOf(envName: string) {
    const aws = new FakeAws();
    const deps = aws.routeDeps(
      aws.controller(() => new Date(), { ...SETTINGS, envName }),
      async () => undefined,
    );
    return { aws, deps };
  }

  /** A deploy event whose answer URL is not CloudFormation's: refused and paged. */
  const forgedEvent = () => ({
    ...customResourceEvent('Update', { GreenPercent: '50' }, { GreenPercent: '0' }),
    ResponseURL: 'https://attacker.example/collect',
  });

  /** Green rises to the first step, then the rollback alarm fires: rolled back and paged. */
  async function rollBack({ aws, deps }: ReturnType<typeof controllerOf>) {
    aws.stack = { status: 'UPDATE_IN_PROGRESS', greenPercent: String(SETTINGS.policy.steps[0]), rolloutOverride: '' };
    await deps.controller.applyDeploy({ intent: SETTINGS.policy.steps[0] }, 'CloudFormation stack test');
    await route(rollbackAlarmEvent(new Date(), 'Threshold Crossed'), deps);
    expect(aws.live().blueAlone).toBe(true);
  }

  test('with the longest environment name: the refusal and the rollback are paged, the name whole in each subject', async () => {
    const refused = controllerOf(LONGEST_NAME);
    await expect(route(forgedEvent(), refused.deps)).resolves.toHaveProperty('refused');
    const rolledBack = controllerOf(LONGEST_NAME);
    await rollBack(rolledBack);
    for (const { aws } of [refused, rolledBack]) {
      expect(aws.published).toHaveLength(1);
      expect(aws.published[0].subject).toMatch(new RegExp(`^BOOP ${LONGEST_NAME}: `));
      expect(aws.metrics).not.toContainEqual({ name: 'ControllerErrors', value: 1 });
    }
  });

  test('with a name longer than any environment may have, each subject is cut to the limit and still paged', async () => {
    const name = 'x'.repeat(2 * SNS_SUBJECT_MAX_LENGTH);
    const refused = controllerOf(name);
    await route(forgedEvent(), refused.deps);
    const rolledBack = controllerOf(name);
    await rollBack(rolledBack);
    for (const { aws } of [refused, rolledBack]) {
      expect(aws.published).toHaveLength(1);
      expect(aws.published[0].subject).toHaveLength(SNS_SUBJECT_MAX_LENGTH);
      expect(aws.published[0].subject!.endsWith(SUBJECT_ELLIPSIS)).toBe(true);
    }
  });
});
