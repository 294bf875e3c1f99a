import { Annotations, CfnRule, Fn, Stack } from 'aws-cdk-lib';
import { IMAGE_PARAMETERS } from '../common/names';
import { SLOTS } from '../common/slots';
import { ENVIRONMENTS_CONTEXT_KEY } from './config/load-config';

/**
 * The values cdk.json ships so that `cdk synth` works before anything is set (test/first-deploy
 * checks cdk.json uses exactly these). They synthesize; a deploy with any of them is refused.
 */
export const PLACEHOLDERS = {
  images: ['public.ecr.aws/your-registry/boop-integration:current', 'public.ecr.aws/your-registry/boop-integration:next'],
  vendorId: 'ven_dev_your_vendor_id',
} as const;

/**
 * Refuses, at deploy, the placeholders of cdk.json: CloudFormation checks a template's Rules before it
 * creates a change set, so nothing is created. The images are checked as parameters, so a placeholder
 * given later with --parameters is refused too; the vendor id is synth-time config, checked as written.
 * Synth stays offline and quiet apart from a warning.
 */
export function refusePlaceholders(
  stack: Stack,
  values: { readonly envName: string; readonly vendorId: string; readonly images: Readonly<Record<string, string>> },
): void {
  const where = `cdk.json's ${ENVIRONMENTS_CONTEXT_KEY}.${values.envName} (or your configFile)`;
  const assertions = SLOTS.map((slot) => ({
    assert: Fn.conditionNot(Fn.conditionContains([...PLACEHOLDERS.images], Fn.ref(IMAGE_PARAMETERS[slot]))),
    assertDescription:
      `${IMAGE_PARAMETERS[slot]} is cdk.json's placeholder image: set service.images.${slot} in ${where} before the first deploy, ` +
      `or deploy with --parameters ${IMAGE_PARAMETERS[slot]}=<your image>`,
  }));
  assertions.push({
    assert: Fn.conditionNot(Fn.conditionContains([PLACEHOLDERS.vendorId], values.vendorId)),
    assertDescription: `boop.vendorId is cdk.json's placeholder (${PLACEHOLDERS.vendorId}): set your vendor id from BOOP as boop.vendorId in ${where}, then deploy`,
  });
  new CfnRule(stack, 'PlaceholdersReplaced', { assertions });

  for (const slot of SLOTS) {
    if ((PLACEHOLDERS.images as readonly string[]).includes(values.images[slot]))
      Annotations.of(stack).addWarningV2(
        `boop:placeholder:service.images.${slot}`,
        `service.images.${slot} is cdk.json's placeholder; a deploy is refused until you set it (or pass --parameters ${IMAGE_PARAMETERS[slot]}=<image>)`,
      );
  }
  if (values.vendorId === PLACEHOLDERS.vendorId)
    Annotations.of(stack).addWarningV2(
      'boop:placeholder:boop.vendorId',
      "boop.vendorId is cdk.json's placeholder; a deploy is refused until you set your vendor id from BOOP",
    );
}
