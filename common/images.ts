/**
 * The one rule for a slot's container image, wherever it is judged: the configuration at synth, the
 * image parameters' AllowedPattern and MaxLength in the template (which CloudFormation enforces on
 * every deploy), and `rollout plan --blue-image/--green-image`. Each part of the rule is one regular
 * expression: the pattern is their conjunction, and a refusal names the first part that fails, so
 * what is refused here is exactly what CloudFormation refuses (test/images.test.ts checks both ways).
 * Plain TypeScript, no CDK: the CLI loads it.
 */
import type { Slot } from './slots';

/**
 * ECS takes at most this many characters of an image before any `@digest` (Amazon ECS API reference,
 * ContainerDefinition `image`: "up to 255 characters total", "for images using digests, the 255
 * character limit applies only to the repository URL and image name").
 */
export const IMAGE_NAME_MAX_LENGTH = 255;
/** A digest's hex digits, as ECS takes one (same reference). */
const DIGEST_HEX_DIGITS = 64;
/** A digest as ECS takes one: sha256 and exactly DIGEST_HEX_DIGITS hex digits. */
const DIGEST = `sha256:[a-f0-9]{${DIGEST_HEX_DIGITS}}`;
/** The longest image the rule admits: a name of the longest length, then `@sha256:` and the digest. The parameters' MaxLength. */
export const IMAGE_MAX_LENGTH = IMAGE_NAME_MAX_LENGTH + '@sha256:'.length + DIGEST_HEX_DIGITS;

/** A registry host: DNS labels of letters, digits and inner hyphens, with an optional port. */
const REGISTRY = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?';
/** One path component of a repository: lowercase letters and digits, separated by `.`, `_`, `__` or dashes. */
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const TAG = '[\\w][\\w.-]{0,127}';

/**
 * A container image reference, [registry[:port]/]repository[:tag][@sha256:digest]; group 1 is the
 * repository (registry included), group 2 the tag, group 3 the digest.
 */
const IMAGE_REFERENCE = new RegExp(`^((?:${REGISTRY}/)?${COMPONENT}(?:/${COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`);

/** A private ECR image, account.dkr.ecr.region.amazonaws.com/repository[:tag][@digest]; groups: account, region, repository, tag, digest. */
export const ECR_IMAGE = new RegExp(`^(\\d{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.amazonaws\\.com(?:\\.cn)?/([^:@]+)(?::([^@]+))?(?:@(${DIGEST}))?$`);

/** What a slot's image must satisfy beyond its form. */
export interface ImageRule {
  /** Production: no `:latest` without a digest. */
  readonly production: boolean;
  /** The one repository the slot's image must come from (registry included). @default any repository */
  readonly repository?: string;
}

/** One part of the rule: a regular expression matched from the start of the value, and what a value failing it is told. */
interface RulePart {
  readonly pattern: string;
  /** The refusal, in words that follow the field's name ("service.images.green: <refusal>"). */
  readonly refusal: (image: string) => string;
  /** The same, as CloudFormation's ConstraintDescription lists it. */
  readonly description: string;
  /** The one part that consumes the value (the reference's form); every other part is a lookahead. */
  readonly consumes?: boolean;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function ruleParts(rule: ImageRule): RulePart[] {
  const parts: RulePart[] = [
    {
      pattern: IMAGE_REFERENCE.source.slice(1, -1).replace(/\((?!\?)/g, '(?:') + '$',
      refusal: () => 'must be a container image reference (registry/repository:tag or @sha256:digest)',
      description: 'a container image reference (registry/repository:tag or @sha256:digest)',
      consumes: true,
    },
    {
      pattern: `(?=[^@]{1,${IMAGE_NAME_MAX_LENGTH}}(?:@|$))`,
      refusal: (image) => `must be at most ${IMAGE_NAME_MAX_LENGTH} characters before any @digest (ECS's limit), got ${image.split('@')[0].length}`,
      description: `at most ${IMAGE_NAME_MAX_LENGTH} characters before any @digest (ECS's limit)`,
    },
    {
      // A colon after the last slash: the tag's, or the digest's "sha256:" (a registry port is always followed by a slash).
      pattern: '(?=.*:[^/]*$)',
      refusal: () => 'needs a tag or digest: pin one (:<tag> or @sha256:<digest>) so each slot runs what you deployed',
      description: 'with a tag or digest',
    },
  ];
  if (rule.production) {
    parts.push({
      pattern: '(?!.*:latest$)',
      refusal: () => '"latest" moves under you; pin a version tag or digest in production',
      description: 'not :latest without a digest in production ("latest" moves under you; pin a version)',
    });
  }
  if (rule.repository !== undefined) {
    const why = rule.production
      ? "the one repository of both slots in production, so a promotion can copy green's image to blue"
      : 'the one repository the task execution role may pull from';
    parts.push({
      pattern: `(?=${escape(rule.repository)}[:@])`,
      refusal: () => `must come from ${rule.repository}, ${why}`,
      description: `from ${rule.repository} only, ${why}`,
    });
  }
  return parts;
}

/**
 * Why `image` breaks the rule, or undefined when it does not: the first part it fails, in words.
 * Never more than IMAGE_MAX_LENGTH characters pass.
 */
export function imageProblem(image: string, rule: ImageRule): string | undefined {
  // The parts that are lookaheads test from the start; the reference's own part ends with $, so each test is a whole-value test.
  const failed = ruleParts(rule).find((part) => !new RegExp(`^${part.pattern}`).test(image));
  return failed?.refusal(image);
}

/** What CloudFormation checks an image parameter's value against, and what it says when the value fails. */
export interface ImageParameterConstraint {
  /** A regular expression, the same in Java (CloudFormation's) and JavaScript, matched against the whole value. */
  readonly allowedPattern: string;
  readonly maxLength: number;
  readonly constraintDescription: string;
}

/** The rule as a CloudFormation parameter's constraints: every part, in one pattern. */
export function imageParameterConstraint(rule: ImageRule): ImageParameterConstraint {
  const parts = ruleParts(rule);
  // Lookaheads all test from the start, so the one consuming part goes last.
  const ordered = [...parts.filter((part) => !part.consumes), ...parts.filter((part) => part.consumes)];
  return {
    allowedPattern: `^${ordered.map((part) => part.pattern).join('')}`,
    maxLength: IMAGE_MAX_LENGTH,
    constraintDescription: `must be ${parts.map((part) => part.description).join('; ')}`,
  };
}

/** An image's repository (registry included): everything before its tag or digest; undefined when it is not an image reference. */
function imageRepository(image: string): string | undefined {
  return IMAGE_REFERENCE.exec(image)?.[1];
}

/**
 * Each slot's rule, from the configured images (the parameters' first values): in production both
 * slots are pinned to blue's repository (the configuration refuses two); elsewhere a slot is pinned
 * to its own repository when that is a private ECR one, the only one its execution role may pull from.
 */
export function imageRules(configImages: Readonly<Record<Slot, string>>, production: boolean): Record<Slot, ImageRule> {
  const rule = (slot: Slot): ImageRule => {
    const pinned = production ? configImages.blue : ECR_IMAGE.test(configImages[slot]) ? configImages[slot] : undefined;
    const repository = pinned === undefined ? undefined : imageRepository(pinned);
    return repository === undefined ? { production } : { production, repository };
  };
  return { blue: rule('blue'), green: rule('green') };
}

/** The stack's ImageRules output: each slot's rule, so `rollout plan` judges an image as the deployed parameter will. */
export function imageRulesOutput(rules: Readonly<Record<Slot, ImageRule>>): string {
  return JSON.stringify(rules);
}

/** Each slot's rule from the ImageRules output; undefined when the output is absent (a stack of an earlier version) or not what the stack writes. */
export function parseImageRules(output: string | undefined): Record<Slot, ImageRule> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(output ?? '');
  } catch {
    return undefined;
  }
  const isRule = (value: unknown): value is ImageRule =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ImageRule).production === 'boolean' &&
    ['undefined', 'string'].includes(typeof (value as ImageRule).repository);
  const rules = parsed as Record<Slot, unknown> | null;
  return typeof rules === 'object' && rules !== null && isRule(rules.blue) && isRule(rules.green)
    ? { blue: { ...rules.blue }, green: { ...rules.green } }
    : undefined;
}
