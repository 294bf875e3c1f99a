import { CfnParameter, Stack } from 'aws-cdk-lib';
import { imageParameterConstraint, imageRules } from '../common/images';
import { IMAGE_PARAMETERS } from '../common/names';
import { Slot } from '../common/slots';
import { bySlot } from './blue-green/slot';
import { EnvironmentConfig, isProduction } from './config/environment-config';

/**
 * Each slot's image as a stack parameter, so a deploy that names no image keeps the one the slot
 * runs (`cdk deploy` keeps a parameter's previous value, as with GreenPercent). The configured image
 * is only the default, which CloudFormation uses on the parameter's first deploy.
 */
export function imageParameters(stack: Stack, config: EnvironmentConfig): Record<Slot, CfnParameter> {
  const rules = imageRules(config.service.images, isProduction(config));
  return bySlot((slot) => {
    const name = IMAGE_PARAMETERS[slot];
    const configImage = config.service.images[slot];
    const { allowedPattern, maxLength, constraintDescription } = imageParameterConstraint(rules[slot]);
    return new CfnParameter(stack, name, {
      type: 'String',
      default: configImage,
      allowedPattern,
      maxLength,
      constraintDescription,
      description:
        `The ${slot} slot's container image. service.images.${slot} of the configuration is its value on the first deploy only: ` +
        `a deploy that names none keeps the previous value. Change it with --parameters ${name}=<image>.`,
    });
  });
}
