/**
 * The API keys as the stack delivers them: which ECS secrets and variables each slot's container
 * gets with and without a rotation, the rotation-date parameter the stack owns, the presence check
 * every service waits for, and who may read the keys, proven by policy evaluation.
 */
import { KEY_SLOTS, KEY_VARIABLES, keyParameterNames, KeySlot, keySlotsInUse } from '../../common/keys/api-keys';
import { environmentNames } from '../../common/names';
import { KeyCheckProperties } from '../../common/payloads';
import { SLOTS } from '../../common/slots';
import { worstCaseKeyCheckMs } from '../../lambda/key-check/check';
import { KEY_CHECK_RESOURCE_TYPE } from '../../lib/api-keys';
import { ACCOUNT, DeployedTemplate, PARTITION, REGION } from '../support/deployed-template';
import { evaluate, identityPoliciesOf, Verdict } from '../support/resource-policies';
import { logicalIdOf, resourcesOfType } from '../support/resources';
import { build, Built } from '../support/synth';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROTATION_DATE = '2026-12-01';
const CUSTOMER_KEY = `arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:key/0f1e2d3c-4b5a-4968-8776-655443322110`;
const OTHER_KEY = `arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:key/11111111-2222-4333-8444-555555555555`;

/** A KMS key's default key policy: the account's IAM policies decide who may use it (AWS KMS Developer Guide, "Default key policy"). */
const DEFAULT_KEY_POLICY = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:${PARTITION}:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
  ],
};

/** Every SSM call that returns a parameter's value (GetParameterHistory returns every past one). */
const VALUE_READS = ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParameterHistory', 'ssm:GetParametersByPath'] as const;

const parameterArn = (name: string) => `arn:${PARTITION}:ssm:${REGION}:${ACCOUNT}:parameter${name}`;
const keyParameterName = (env: string, slot: KeySlot) => keyParameterNames(env)[slot];

interface Variant {
  readonly title: string;
  readonly env: 'dev' | 'prod';
  readonly rotationDate?: string;
  readonly encryptionKeyArn?: string;
}

const VARIANTS: Variant[] = [
  { title: 'dev, no rotation', env: 'dev' },
  { title: 'prod, no rotation', env: 'prod' },
  { title: 'prod, rotating, customer key', env: 'prod', rotationDate: ROTATION_DATE, encryptionKeyArn: CUSTOMER_KEY },
  { title: 'dev, rotating', env: 'dev', rotationDate: ROTATION_DATE },
];

const builds = new Map<Variant, Built>();
function built(variant: Variant): Built {
  if (!builds.has(variant)) {
    builds.set(
      variant,
      build(variant.env, {
        // Empty means none: the example prod config may not carry a rotation.
        'boop.keyRotationDate': variant.rotationDate ?? '',
        ...(variant.encryptionKeyArn ? { 'boop.apiKeyKmsKeyArn': variant.encryptionKeyArn } : {}),
      }),
    );
  }
  return builds.get(variant)!;
}

function container(b: Built, slot: string): Json {
  const taskId = logicalIdOf(b.stack, b.stack.service.services[slot as 'blue'].taskDefinition);
  return b.resources[taskId].Properties.ContainerDefinitions[0];
}

test("the check's AWS budget and every try of its answer fit inside the deployed function's timeout", () => {
  const b = built(VARIANTS[0]);
  const checkFunction = b.resources[logicalIdOf(b.stack, b.stack.apiKeys.checkFunction)];
  expect(worstCaseKeyCheckMs()).toBeLessThan(checkFunction.Properties.Timeout * 1000);
});

describe.each(VARIANTS)('$title', (variant) => {
  const inUse = keySlotsInUse(variant.rotationDate);

  test.each(SLOTS)('the %s container gets exactly the keys in use as ECS secrets, and the rotation date only while rotating', (slot) => {
    const b = built(variant);
    const t = new DeployedTemplate(b.template.toJSON());
    const c = container(b, slot);
    const secrets = Object.fromEntries((c.Secrets ?? []).map((s: Json) => [s.Name, t.resolve(s.ValueFrom)]));
    expect(secrets).toEqual(Object.fromEntries(inUse.map((key) => [KEY_VARIABLES[key], parameterArn(keyParameterName(variant.env, key))])));
    const environment = Object.fromEntries(c.Environment.map((e: Json) => [e.Name, e.Value]));
    expect(environment[KEY_VARIABLES.rotationDate]).toBe(variant.rotationDate);
    // No key variable is ever plain environment.
    expect(Object.keys(environment)).not.toEqual(expect.arrayContaining([KEY_VARIABLES.primary]));
    expect(Object.keys(environment)).not.toContain(KEY_VARIABLES.secondary);
  });

  test('the stack owns the rotation-date parameter only while rotating, and never creates a key parameter', () => {
    const b = built(variant);
    const names = environmentNames(variant.env).parameters;
    const parameters = resourcesOfType(b, 'AWS::SSM::Parameter').map(([, p]) => p.Properties);
    expect(parameters.filter((p) => p.Name === names.keyRotationDate)).toEqual(
      variant.rotationDate ? [expect.objectContaining({ Type: 'String', Value: variant.rotationDate })] : [],
    );
    expect(parameters.map((p) => p.Name)).not.toEqual(expect.arrayContaining([names.primaryApiKey]));
    expect(parameters.map((p) => p.Name)).not.toContain(names.secondaryApiKey);
  });

  test('every service waits for the presence check, which judges the parameters in use and re-runs with any task definition', () => {
    const b = built(variant);
    const [[checkId, check]] = resourcesOfType(b, KEY_CHECK_RESOURCE_TYPE);
    const properties = check.Properties as Record<keyof KeyCheckProperties, Json>;
    expect(properties.EnvName).toBe(variant.env);
    expect(JSON.parse(properties.Parameters)).toEqual(Object.fromEntries(inUse.map((key) => [key, keyParameterName(variant.env, key)])));
    expect(properties.EncryptionKeyArn).toBe(variant.encryptionKeyArn ?? '');
    const fingerprint = JSON.stringify(properties.TaskFingerprint);
    for (const slot of SLOTS) {
      const service = b.stack.service.services[slot];
      expect(b.resources[logicalIdOf(b.stack, service)].DependsOn).toContain(checkId);
      expect(fingerprint).toContain(JSON.stringify({ Ref: logicalIdOf(b.stack, service.taskDefinition) }));
    }
  });

  describe('who may read the keys (policy evaluation)', () => {
    const other = variant.env === 'prod' ? 'dev' : 'prod';
    const request = async (t: DeployedTemplate, roleId: string, action: string, resource: string): Promise<Verdict> =>
      evaluate({
        principal: t.getAtt(roleId, 'Arn'),
        action,
        resource,
        context: {},
        identityPolicies: identityPoliciesOf(t, roleId),
        resourcePolicy: action.startsWith('kms:') ? DEFAULT_KEY_POLICY : undefined,
      });
    const executionRoles = (b: Built) =>
      Object.fromEntries(SLOTS.map((slot) => [slot, logicalIdOf(b.stack, b.stack.service.services[slot].taskDefinition.executionRole!)]));
    const healthCheckRole = (b: Built) => logicalIdOf(b.stack, b.stack.healthCheck.function.role!);

    test.each(SLOTS)("the %s execution role reads its environment's keys in use and nothing else", async (slot) => {
      const b = built(variant);
      const t = new DeployedTemplate(b.template.toJSON());
      const role = executionRoles(b)[slot];
      for (const key of KEY_SLOTS) {
        const own = parameterArn(keyParameterName(variant.env, key));
        // ECS reads a secret with GetParameters at task start; no other read, history above all (every past key), is granted.
        for (const action of VALUE_READS) {
          const allowed = action === 'ssm:GetParameters' && inUse.includes(key);
          expect([key, action, await request(t, role, action, own)]).toEqual([key, action, allowed ? 'Allowed' : 'ImplicitlyDenied']);
        }
        expect(await request(t, role, 'ssm:GetParameters', parameterArn(keyParameterName(other, key)))).not.toBe('Allowed');
        expect(await request(t, role, 'ssm:PutParameter', own)).not.toBe('Allowed');
      }
      expect(await request(t, role, 'ssm:GetParameters', parameterArn(environmentNames(variant.env).parameters.trafficState))).not.toBe('Allowed');
      // The AWS-managed aws/ssm key needs no grant; a customer key is granted alone.
      expect(await request(t, role, 'kms:Decrypt', CUSTOMER_KEY)).toBe(variant.encryptionKeyArn ? 'Allowed' : 'ImplicitlyDenied');
      expect(await request(t, role, 'kms:Decrypt', OTHER_KEY)).not.toBe('Allowed');
    });

    test("the health check's role reads its environment's keys and rotation date with GetParameters, and nothing else", async () => {
      const b = built(variant);
      const t = new DeployedTemplate(b.template.toJSON());
      const role = healthCheckRole(b);
      const names = environmentNames(variant.env).parameters;
      for (const name of [...KEY_SLOTS.map((key) => keyParameterName(variant.env, key)), names.keyRotationDate]) {
        for (const action of VALUE_READS) {
          expect([name, action, await request(t, role, action, parameterArn(name))]).toEqual([
            name,
            action,
            action === 'ssm:GetParameters' ? 'Allowed' : 'ImplicitlyDenied',
          ]);
        }
        expect(await request(t, role, 'ssm:PutParameter', parameterArn(name))).not.toBe('Allowed');
      }
      for (const key of KEY_SLOTS) expect(await request(t, role, 'ssm:GetParameters', parameterArn(keyParameterName(other, key)))).not.toBe('Allowed');
      expect(await request(t, role, 'kms:Decrypt', CUSTOMER_KEY)).toBe(variant.encryptionKeyArn ? 'Allowed' : 'ImplicitlyDenied');
      expect(await request(t, role, 'kms:Decrypt', OTHER_KEY)).not.toBe('Allowed');
    });

    test("the key check's role reads parameter metadata only: DescribeParameters, never a value", async () => {
      const b = built(variant);
      const t = new DeployedTemplate(b.template.toJSON());
      const role = logicalIdOf(b.stack, b.stack.apiKeys.checkFunction.role!);
      for (const key of KEY_SLOTS) {
        const own = parameterArn(keyParameterName(variant.env, key));
        for (const action of VALUE_READS) expect([key, action, await request(t, role, action, own)]).toEqual([key, action, 'ImplicitlyDenied']);
      }
      // DescribeParameters has no resource-level permissions: it is evaluated on "*".
      expect(await request(t, role, 'ssm:DescribeParameters', '*')).toBe('Allowed');
      expect(await request(t, role, 'kms:Decrypt', CUSTOMER_KEY)).toBe('ImplicitlyDenied');
    });

    test('no other role may read a key parameter', async () => {
      const b = built(variant);
      const t = new DeployedTemplate(b.template.toJSON());
      const readers = new Set([...Object.values(executionRoles(b)), healthCheckRole(b)]);
      const others = resourcesOfType(b, 'AWS::IAM::Role')
        .map(([id]) => id)
        .filter((id) => !readers.has(id));
      expect(others.length).toBeGreaterThan(2);
      for (const roleId of others) {
        for (const key of KEY_SLOTS) {
          for (const action of VALUE_READS) {
            expect([roleId, action, await request(t, roleId, action, parameterArn(keyParameterName(variant.env, key)))]).toEqual([
              roleId,
              action,
              'ImplicitlyDenied',
            ]);
          }
        }
      }
    });
  });
});
