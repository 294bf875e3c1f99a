import { CfnParameter, CfnRule, Fn, RemovalPolicy, Stack, StackProps, Tags } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { BlueGreenService } from './blue-green-service';
import { boopEnvironment, EnvironmentConfig, isProduction } from './config/environment-config';
import { CONFIRM_PRODUCTION_VALUE } from './guides';

/** The CloudFormation parameter that confirms a production deploy (migration guide: CONFIRM_PRODUCTION). */
export const CONFIRM_PRODUCTION_PARAMETER = 'ConfirmProduction';

export interface BoopIntegrationStackProps extends StackProps {
  /** The validated configuration of the environment this stack runs. */
  readonly config: EnvironmentConfig;
}

/** One environment's BOOP integration: blue/green services behind weighted routing. */
export class BoopIntegrationStack extends Stack {
  public readonly service: BlueGreenService;

  constructor(scope: Construct, id: string, props: BoopIntegrationStackProps) {
    super(scope, id, props);
    const { config } = props;
    Tags.of(this).add('boop:environment', config.envName);

    if (isProduction(config)) requireProductionConfirmation(this);

    this.service = new BlueGreenService(this, 'BlueGreen', {
      envName: config.envName,
      boopEnvironment: boopEnvironment(config),
      boop: config.boop,
      service: config.service,
      loadBalancer: config.loadBalancer,
      network: config.network,
      // Production keeps its logs when the stack goes; a dev sandbox cleans up after itself.
      removalPolicy: isProduction(config) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
  }
}

/**
 * A production deploy must say `--parameters ConfirmProduction=true` once: CloudFormation refuses
 * the change set otherwise. `cdk deploy` keeps a parameter's previous value, so later deploys of an
 * already-confirmed stack need nothing, while synth and diff never need it.
 */
function requireProductionConfirmation(stack: Stack): void {
  const confirmation = new CfnParameter(stack, CONFIRM_PRODUCTION_PARAMETER, {
    type: 'String',
    description: `Deploying to PRODUCTION BOOP. Set to "${CONFIRM_PRODUCTION_VALUE}" to confirm (the migration guide's CONFIRM_PRODUCTION).`,
    allowedValues: [CONFIRM_PRODUCTION_VALUE],
    constraintDescription: `this stack runs against production BOOP; confirm with --parameters ${CONFIRM_PRODUCTION_PARAMETER}=${CONFIRM_PRODUCTION_VALUE}`,
  });
  new CfnRule(stack, 'ProductionConfirmed', {
    assertions: [
      {
        assert: Fn.conditionEquals(confirmation.valueAsString, CONFIRM_PRODUCTION_VALUE),
        assertDescription: `Production deploys need --parameters ${CONFIRM_PRODUCTION_PARAMETER}=${CONFIRM_PRODUCTION_VALUE}`,
      },
    ],
  });
}
