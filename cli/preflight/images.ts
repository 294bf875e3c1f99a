/**
 * Whether both slots' images exist and neither is a placeholder; and the vendor id is not one. The
 * images checked are the deployed stack's (a deploy that names none keeps them), else the
 * configuration's. Private ECR images are looked up; other registries cannot be asked from here.
 */
import { DescribeImagesCommand } from '@aws-sdk/client-ecr';
import { ECR_IMAGE } from '../../common/images';
import { PLACEHOLDERS } from '../../lib/placeholders';
import { ACCESS_DENIED_NAMES } from '../errors';
import { Slot, SLOTS } from '../../common/slots';
import { blocker, CheckResult, errorName, passed, PreflightCheck, PreflightContext, unchecked, warning } from './check';

export const vendorIdCheck: PreflightCheck = {
  name: 'vendor id',
  service: 'none',
  permissions: [],
  run: async ({ facts }) =>
    facts.config.boop.vendorId === PLACEHOLDERS.vendorId
      ? blocker(`boop.vendorId is cdk.json's placeholder ${PLACEHOLDERS.vendorId}`, `set boop.vendorId in ${facts.configSource} to your vendor id from BOOP`)
      : passed(`boop.vendorId is set (${facts.config.boop.vendorId})`),
};

export const imagesCheck: PreflightCheck = {
  name: 'image',
  service: 'ECR',
  permissions: ['ecr:DescribeImages', 'cloudformation:DescribeStacks'],
  run: async (context, signal) => {
    const stack = await context.stack();
    const results: CheckResult[] = [];
    for (const slot of SLOTS) {
      const deployed = stack?.images[slot];
      const image = deployed ?? context.facts.config.service.images[slot];
      const where = deployed ? "the deployed stack's" : `service.images.${slot}`;
      results.push(await imageResult(context, signal, slot, image, where));
    }
    return results;
  },
};

async function imageResult(context: PreflightContext, signal: AbortSignal, slot: Slot, image: string, where: string): Promise<CheckResult> {
  const field = `service.images.${slot}`;
  const label = `${slot} ${image} (${where})`;
  if ((PLACEHOLDERS.images as readonly string[]).includes(image)) {
    return blocker(
      `${label} is cdk.json's placeholder`,
      `set ${field} in ${context.facts.configSource} to your image, e.g. <account>.dkr.ecr.<region>.amazonaws.com/boop-integration:<version>`,
    );
  }
  const ecr = ECR_IMAGE.exec(image);
  if (!ecr)
    return warning(`${label} is not in a private ECR registry, which is all preflight can ask`, `check that ECS can pull it: docker manifest inspect ${image}`);
  const [, registryId, region, repositoryName, tag, digest] = ecr;
  const imageId = digest ? { imageDigest: digest } : { imageTag: tag ?? 'latest' };
  try {
    await context.clients.ecr(region).send(new DescribeImagesCommand({ registryId, repositoryName, imageIds: [imageId] }), { abortSignal: signal });
  } catch (error) {
    const name = errorName(error);
    const push = `push it: docker push ${image} (or set ${field} to an image that exists)`;
    if (name === 'RepositoryNotFoundException')
      return blocker(
        `${label}: repository ${repositoryName} does not exist in ${registryId} ${region}`,
        `create it (aws ecr create-repository --repository-name ${repositoryName} --region ${region}), then ${push}`,
      );
    if (name === 'ImageNotFoundException') return blocker(`${label} is not in repository ${repositoryName}`, push);
    if (registryId !== context.caller.account && ACCESS_DENIED_NAMES.includes(name ?? '')) {
      return unchecked(
        `${label}: the registry is account ${registryId}'s, which does not let ${context.caller.account} read it (the tasks' execution role may still pull it)`,
      );
    }
    throw error;
  }
  return passed(`${label} exists`);
}
