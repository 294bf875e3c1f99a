/**
 * One rule for an image, wherever it is judged (common/images.ts): what the configuration, the CLI
 * and `rollout plan` refuse is exactly what the template's image parameters refuse, their patterns
 * evaluated as CloudFormation evaluates them (the whole value must match) and their MaxLength
 * enforced. Property tests over generated images and rules, with a fixed seed; the template's own
 * parameters are read from a synthesized stack.
 */
import fc from 'fast-check';
import { numRuns } from './support/properties';
import { parseRolloutArgs, SHOWN_CHARACTERS } from '../cli/rollout-args';
import { IMAGE_MAX_LENGTH, IMAGE_NAME_MAX_LENGTH, imageParameterConstraint, imageProblem, ImageRule, imageRules, parseImageRules } from '../common/images';
import { IMAGE_PARAMETERS } from '../common/names';
import { Slot, SLOTS } from '../common/slots';
import { Json, prodExample } from './support/context';
import { build } from './support/synth';
import { anyDeclaredEnvironment, declaring, DECLARED } from './cli/declared-environments';

const ECR_REPOSITORY = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/boop-integration';
const DIGEST = `sha256:${'ab12'.repeat(16)}`;

/** A parameter's pattern as CloudFormation applies it: the whole value must match (AWS CloudFormation User Guide, "Parameters", AllowedPattern). */
function cloudFormationAccepts(parameter: { AllowedPattern: string; MaxLength?: number }, value: string): boolean {
  return (parameter.MaxLength === undefined || value.length <= parameter.MaxLength) && new RegExp(`^(?:${parameter.AllowedPattern})$`).test(value);
}

/** Repositories an image may name, valid or not. */
const repository = fc.oneof(
  fc.constantFrom(ECR_REPOSITORY, 'public.ecr.aws/acme/boop-integration', 'registry.example:5000/team/boop', 'boop', 'Reg.Example/boop', 'a/b__c/d-e'),
  fc.stringMatching(/^[a-z0-9]{1,8}(?:[._-][a-z0-9]{1,8}){0,3}(?:\/[a-z0-9]{1,40}){0,8}$/),
  // Names past ECS's length, valid in form.
  fc.integer({ min: IMAGE_NAME_MAX_LENGTH - 3, max: IMAGE_NAME_MAX_LENGTH + 40 }).map((length) => `${ECR_REPOSITORY}/${'x'.repeat(length)}`.slice(0, length)),
  fc.string({ maxLength: 20, unit: fc.constantFrom(...'aZ0./:@-_ \u0430\n'.split('')) }),
);
const tag = fc.constantFrom('', ':latest', ':3.0.0', ':v1_rc-2', `:${'t'.repeat(128)}`, `:${'t'.repeat(129)}`, ':-bad', ':', ':LATEST', ':latest\n');
const digest = fc.constantFrom('', `@${DIGEST}`, `@${DIGEST.slice(0, -1)}`, '@sha512:00', `@${DIGEST.toUpperCase()}`);
const image = fc.tuple(repository, tag, digest).map(([name, t, d]) => `${name}${t}${d}`);
const rule: fc.Arbitrary<ImageRule> = fc.record(
  { production: fc.boolean(), repository: fc.constantFrom(ECR_REPOSITORY, 'public.ecr.aws/acme/boop-integration', 'boop') },
  { requiredKeys: ['production'] },
);

describe('the rule and the parameter pattern are one', () => {
  test('an image is refused by imageProblem exactly when CloudFormation refuses it, and nothing longer than MaxLength passes', () => {
    fc.assert(
      fc.property(rule, image, (r, value) => {
        const { allowedPattern, maxLength } = imageParameterConstraint(r);
        const refused = imageProblem(value, r) !== undefined;
        expect([value, refused]).toEqual([value, !cloudFormationAccepts({ AllowedPattern: allowedPattern, MaxLength: maxLength }, value)]);
        if (!refused) expect(value.split('@')[0].length).toBeLessThanOrEqual(IMAGE_NAME_MAX_LENGTH);
        if (!refused) expect(value.length).toBeLessThanOrEqual(IMAGE_MAX_LENGTH);
      }),
      { numRuns: numRuns(2000) },
    );
  });

  test("in production both slots' rules admit each other's images, so a promotion passes blue's pattern", () => {
    fc.assert(
      fc.property(
        // Blue's configured image is one production takes.
        tag.filter((t) => imageProblem(`${ECR_REPOSITORY}${t}`, { production: true }) === undefined),
        tag,
        (blueTag, greenTag) => {
          const rules = imageRules({ blue: `${ECR_REPOSITORY}${blueTag}`, green: `${ECR_REPOSITORY}:3.0.0` }, true);
          const green = `${ECR_REPOSITORY}${greenTag}`;
          // Blue's rule takes any image of the repository that production takes at all, and none of another.
          expect(imageProblem(green, rules.blue)).toBe(imageProblem(green, { production: true }));
          expect(imageProblem(`public.ecr.aws/acme/other${greenTag}`, rules.blue)).toBeDefined();
        },
      ),
      { numRuns: numRuns(100) },
    );
  });

  test.each([
    ['latest in production', `${ECR_REPOSITORY}:latest`, { production: true }, /^"latest" moves under you/],
    ['another repository', 'public.ecr.aws/acme/other:1.0.0', { production: true, repository: ECR_REPOSITORY }, /^must come from 111122223333/],
    ["the repository's prefix", `${ECR_REPOSITORY}-fork:1.0.0`, { production: false, repository: ECR_REPOSITORY }, /^must come from /],
    ['no tag or digest', ECR_REPOSITORY, { production: false }, /^needs a tag or digest/],
    [
      'a name past 255 characters',
      `registry.example/${'a'.repeat(IMAGE_NAME_MAX_LENGTH)}:1`,
      { production: false },
      new RegExp(`^must be at most ${IMAGE_NAME_MAX_LENGTH} characters`),
    ],
    ['a tag past 128 characters', `boop:${'t'.repeat(129)}`, { production: false }, /^must be a container image reference/],
    ['a trailing newline', 'boop:1.0.0\n', { production: false }, /^must be a container image reference/],
  ])('%s is refused by the rule and by the pattern', (_what, value, r: ImageRule, expected) => {
    expect(imageProblem(value, r)).toMatch(expected);
    const { allowedPattern, maxLength } = imageParameterConstraint(r);
    expect(cloudFormationAccepts({ AllowedPattern: allowedPattern, MaxLength: maxLength }, value)).toBe(false);
  });

  test('the stack output carries each rule as it is, and anything else reads as no output', () => {
    const rules = imageRules({ blue: `${ECR_REPOSITORY}:1`, green: 'boop:2' }, false);
    expect(parseImageRules(JSON.stringify(rules))).toEqual(rules);
    for (const output of [undefined, 'unknown', '{}', '{"blue":{"production":"yes"},"green":{"production":true}}'])
      expect(parseImageRules(output)).toBeUndefined();
  });
});

describe("the template's image parameters", () => {
  const prod = build('prod');
  const parameters = prod.template.toJSON().Parameters as Record<string, { AllowedPattern: string; MaxLength: number; Default: string }>;
  const images = (prodExample().service as Json).images as Record<Slot, string>;

  test.each(SLOTS)('%s: pattern and MaxLength are the rule of the configured images', (slot) => {
    const { allowedPattern, maxLength } = imageParameterConstraint(imageRules(images, true)[slot]);
    expect(parameters[IMAGE_PARAMETERS[slot]]).toEqual(
      expect.objectContaining({ AllowedPattern: allowedPattern, MaxLength: maxLength, Default: images[slot] }),
    );
  });

  test("in production each parameter takes the other slot's image (promotion) and refuses another repository, latest and an overlong name", () => {
    for (const slot of SLOTS) {
      const parameter = parameters[IMAGE_PARAMETERS[slot]];
      for (const other of SLOTS) expect(cloudFormationAccepts(parameter, images[other])).toBe(true);
      expect(cloudFormationAccepts(parameter, `${ECR_REPOSITORY}@${DIGEST}`)).toBe(true);
      for (const refused of [
        `${ECR_REPOSITORY}:latest`,
        'public.ecr.aws/acme/boop-integration:3.0.0',
        `${ECR_REPOSITORY}/${'x'.repeat(IMAGE_NAME_MAX_LENGTH)}:1`,
      ]) {
        expect([refused, cloudFormationAccepts(parameter, refused)]).toEqual([refused, false]);
      }
    }
  });
});

describe('the CLI judges by the same rule', () => {
  // Production's rule in every environment declared to talk to BOOP production, whatever its name.
  const environment = fc.oneof(
    fc.constantFrom(...DECLARED.environments.values()).map((declared) => ({ declared, declarations: DECLARED })),
    anyDeclaredEnvironment.map((declared) => ({ declared, declarations: declaring(declared) })),
  );

  test('rollout plan refuses, naming the option, every image the rule refuses regardless of the stack', () => {
    fc.assert(
      fc.property(environment, fc.constantFrom(...SLOTS), image, ({ declared, declarations }, slot, value) => {
        fc.pre(value.trim() === value && value !== '');
        const expected = imageProblem(value, { production: declared.boopEnvironment === 'production' });
        const argv = ['plan', '--env', declared.name, '--green-percent', '0', `--${slot}-image=${value}`];
        let refusal: string | undefined;
        try {
          parseRolloutArgs(argv, () => declarations);
        } catch (error) {
          refusal = (error as Error).message;
        }
        const shown = JSON.stringify(value.length > SHOWN_CHARACTERS ? `${value.slice(0, SHOWN_CHARACTERS)}…` : value);
        expect(refusal).toBe(
          expected === undefined ? undefined : `--${slot}-image ${shown}: ${expected}; CloudFormation would refuse it as ${IMAGE_PARAMETERS[slot]}`,
        );
      }),
      { numRuns: numRuns(500) },
    );
  });
});
