import { CustomResource, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { KEY_SLOTS, KEY_VARIABLES, keyParameterNames, KeySlot, keySlotsInUse } from '../common/keys/api-keys';
import { environmentNames } from '../common/names';
import { KeyCheckProperties } from '../common/payloads';
import { FUNCTION_DEFAULTS, handlerEntry } from './node-function';

/** The custom resource type of the deploy-time presence check. */
export const KEY_CHECK_RESOURCE_TYPE = 'Custom::BoopApiKeyCheck';
/** The check makes one DescribeParameters call (and one DescribeStacks); its own budget stays below this. */
export const KEY_CHECK_TIMEOUT = Duration.seconds(30);
const KEY_CHECK_MEMORY_MIB = 256;
const KEY_CHECK_LOG_RETENTION = logs.RetentionDays.ONE_YEAR;
/** CloudFormation waits this long for the check's answer before it fails the deploy. */
const KEY_CHECK_SERVICE_TIMEOUT = Duration.minutes(5);

export interface ApiKeysProps {
  /** The environment's name; names the parameters and the function. */
  readonly envName: string;
  /** `boop.keyRotationDate`: from this date the services use the secondary key. @default no rotation: the services get the primary key alone */
  readonly rotationDate?: string;
  /** `boop.apiKeyKmsKeyArn`: the customer-managed key that encrypts the key parameters. @default SSM's AWS-managed key aws/ssm */
  readonly encryptionKeyArn?: string;
  /** What happens to the check's logs when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** What each slot's container receives: the key secrets, and during a rotation the rotation date. */
export interface ContainerKeys {
  /** ECS secrets: BOOP_API_KEY, and during a rotation BOOP_API_KEY_SECONDARY. */
  readonly secrets: Readonly<Record<string, ecs.Secret>>;
  /** Plain variables: BOOP_KEY_ROTATION_DATE during a rotation, so a changed date starts new tasks. */
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * The environment's BOOP API keys (docs/design.md "API keys"): the operator's SecureString
 * parameters (the stack never creates or reads a key), the stack's rotation-date parameter, the
 * ECS secrets that deliver them, and a presence check that every service waits for, so a deploy
 * that would start tasks unable to read their keys fails before any service is touched.
 */
export class ApiKeys extends Construct {
  /** The key parameters, both slots, whether or not a rotation is under way. */
  public readonly keyParameters: Readonly<Record<KeySlot, ssm.IStringParameter>>;
  /** The rotation date, owned by the stack; exists only while a rotation is configured. */
  public readonly rotationDateParameter?: ssm.StringParameter;
  /** The key slots the tasks read now. */
  public readonly slotsInUse: readonly KeySlot[];
  public readonly container: ContainerKeys;
  /** The function behind the presence check. */
  public readonly checkFunction: nodejs.NodejsFunction;
  private readonly props: ApiKeysProps;
  private readonly parameterNames: Readonly<Record<KeySlot, string>>;

  constructor(scope: Construct, id: string, props: ApiKeysProps) {
    super(scope, id);
    this.props = props;
    const names = environmentNames(props.envName);
    const encryptionKey = props.encryptionKeyArn ? kms.Key.fromKeyArn(this, 'EncryptionKey', props.encryptionKeyArn) : undefined;
    this.parameterNames = keyParameterNames(props.envName);
    this.keyParameters = Object.fromEntries(
      KEY_SLOTS.map((slot) => [
        slot,
        ssm.StringParameter.fromSecureStringParameterAttributes(this, `${slot[0].toUpperCase()}${slot.slice(1)}Key`, {
          parameterName: this.parameterNames[slot],
          encryptionKey,
        }),
      ]),
    ) as Record<KeySlot, ssm.IStringParameter>;
    this.slotsInUse = keySlotsInUse(props.rotationDate);

    if (props.rotationDate !== undefined) {
      this.rotationDateParameter = new ssm.StringParameter(this, 'RotationDate', {
        parameterName: names.parameters.keyRotationDate,
        stringValue: props.rotationDate,
        description: `From this date (00:00 UTC) the ${names.prefix} services use the secondary BOOP API key; from boop.keyRotationDate`,
      });
    }
    this.container = {
      secrets: Object.fromEntries(this.slotsInUse.map((slot) => [KEY_VARIABLES[slot], new KeySecret(this.keyParameters[slot], props.encryptionKeyArn)])),
      environment: props.rotationDate !== undefined ? { [KEY_VARIABLES.rotationDate]: props.rotationDate } : {},
    };
    this.checkFunction = this.createCheckFunction(props);
  }

  /**
   * Makes each service wait for the presence check. The check runs again whenever a task definition
   * or a task count changes (when the deploy will start tasks), with the parameters those tasks read.
   */
  guardServices(services: readonly ecs.FargateService[]): CustomResource {
    const parameters = Object.fromEntries(this.slotsInUse.map((slot) => [slot, this.parameterNames[slot]]));
    const check = new CustomResource(this, 'PresenceCheck', {
      serviceToken: this.checkFunction.functionArn,
      resourceType: KEY_CHECK_RESOURCE_TYPE,
      serviceTimeout: KEY_CHECK_SERVICE_TIMEOUT,
      properties: {
        EnvName: this.props.envName,
        Parameters: JSON.stringify(parameters),
        EncryptionKeyArn: this.props.encryptionKeyArn ?? '',
        TaskFingerprint: Fn.join(
          '|',
          services.flatMap((service) => [service.taskDefinition.taskDefinitionArn, String((service.node.defaultChild as ecs.CfnService).desiredCount)]),
        ),
      } satisfies KeyCheckProperties,
    });
    for (const service of services) service.node.addDependency(check);
    return check;
  }

  /** The SSM parameter name of a key slot. */
  parameterNameOf(slot: KeySlot): string {
    return this.parameterNames[slot];
  }

  /**
   * Lets `grantee` read both keys and the rotation date with one GetParameters call, decrypting
   * with the customer key when there is one (aws/ssm needs no grant). Nothing else: no write, no history.
   */
  grantKeyRead(grantee: iam.IGrantable): void {
    const stack = Stack.of(this);
    const names = environmentNames(this.props.envName).parameters;
    const parameterArn = (name: string) => stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: name.replace(/^\//, '') });
    grantGetParameters(grantee, [...KEY_SLOTS.map((slot) => this.parameterNames[slot]), names.keyRotationDate].map(parameterArn), this.props.encryptionKeyArn);
  }

  /** The function answers the check; it may read parameter metadata (never a value) and this stack's status. */
  private createCheckFunction(props: ApiKeysProps): nodejs.NodejsFunction {
    const names = environmentNames(props.envName);
    const stack = Stack.of(this);
    const logGroup = new logs.LogGroup(this, 'CheckLogs', {
      retention: KEY_CHECK_LOG_RETENTION,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const role = new iam.Role(this, 'CheckRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `The ${names.prefix} API-key presence check: reads parameter metadata, never a value`,
    });
    logGroup.grantWrite(role);
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DescribeKeyParametersNeverReadThem',
        // DescribeParameters has no resource-level permissions; it returns names, types and keys, never values.
        actions: ['ssm:DescribeParameters'],
        resources: ['*'],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadThisStackStatusToLetRollbacksThrough',
        actions: ['cloudformation:DescribeStacks'],
        resources: [stack.stackId],
      }),
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ssm:DescribeParameters has no resource-level permissions (AWS requires Resource "*"); it returns parameter metadata only, never a value, and is the one call on "*".',
    });
    return new nodejs.NodejsFunction(this, 'Check', {
      ...FUNCTION_DEFAULTS,
      functionName: names.keyCheck,
      description: 'Deploy-time check that the BOOP API-key parameters the tasks read exist as SecureStrings',
      entry: handlerEntry('key-check'),
      memorySize: KEY_CHECK_MEMORY_MIB,
      timeout: KEY_CHECK_TIMEOUT,
      role,
      logGroup,
    });
  }
}

/**
 * A key parameter as an ECS secret whose grant is exactly what ECS uses to read it at task start:
 * ssm:GetParameters on that parameter, and kms:Decrypt with the customer key when there is one
 * (Amazon ECS Developer Guide, "Pass Systems Manager parameters as environment variables").
 * ecs.Secret.fromSsmParameter would grant the parameter's whole read set, ssm:GetParameterHistory
 * (every past key) and ssm:GetParameter included.
 */
class KeySecret extends ecs.Secret {
  public readonly arn: string;
  public readonly hasField = false;

  constructor(
    parameter: ssm.IStringParameter,
    private readonly encryptionKeyArn: string | undefined,
  ) {
    super();
    this.arn = parameter.parameterArn;
  }

  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return grantGetParameters(grantee, [this.arn], this.encryptionKeyArn);
  }
}

/** The one read a key's reader makes: ssm:GetParameters on these parameters, and kms:Decrypt on the customer key when there is one. */
function grantGetParameters(grantee: iam.IGrantable, parameterArns: string[], encryptionKeyArn: string | undefined): iam.Grant {
  const grant = iam.Grant.addToPrincipal({ grantee, actions: ['ssm:GetParameters'], resourceArns: parameterArns });
  if (encryptionKeyArn) iam.Grant.addToPrincipal({ grantee, actions: ['kms:Decrypt'], resourceArns: [encryptionKeyArn] });
  return grant;
}
