/**
 * Traps a first deploy meets that no other test sees (issue 22): placeholders that would deploy, and
 * tags some regions' CloudFormation refuses. `npm run test:aws` lints the same templates per region.
 */
import { IMAGE_PARAMETERS } from '../common/names';
import { SLOTS } from '../common/slots';
import { GREEN_CAPACITY_TAG } from '../common/traffic/green-capacity';
import { LOAD_BALANCER_DNS_OUTPUT } from '../lib/blue-green/host-name';
import { ENVIRONMENT_TAG, UNTAGGABLE_RESOURCE_TYPES } from '../lib/environment-tag';
import { PLACEHOLDERS } from '../lib/placeholders';
import { refusals } from './support/cfn-rules';
import { cdkJsonContext } from './support/context';
import { Cfn, logicalIdOf, resourcesOfType } from './support/resources';
import { build, Built } from './support/synth';

const REAL_DEV = {
  boop: { vendorId: 'ven_dev_acme_42' },
  service: { images: { blue: 'public.ecr.aws/acme/boop-integration:1.4.0', green: 'public.ecr.aws/acme/boop-integration:1.5.0' } },
};

let dev: Built;
let prod: Built;
let realDev: Built;
let zoned: Built;
const ZONE = { id: 'Z0123456789ABCDEFGHIJ', name: 'example.com' };
beforeAll(() => {
  dev = build('dev');
  prod = build('prod');
  realDev = build('dev', { 'boop:environments': { dev: REAL_DEV, prod: {} } });
  zoned = build('prod', { 'loadBalancer.hostedZone': JSON.stringify(ZONE) });
});

const shipped = () => (cdkJsonContext()['boop:environments'] as Cfn).dev;

describe("cdk.json's placeholders synthesize, and CloudFormation refuses them before creating anything", () => {
  test('every placeholder value cdk.json ships is one the template refuses (the two lists agree)', () => {
    const { boop, service } = shipped();
    expect(new Set(SLOTS.map((slot) => service.images[slot]))).toEqual(new Set(PLACEHOLDERS.images));
    expect(boop.vendorId).toBe(PLACEHOLDERS.vendorId);
  });

  test("a first deploy of cdk.json's dev values is refused, naming each field to set and how", () => {
    const said = refusals(dev.template.toJSON());
    expect(said).toHaveLength(SLOTS.length + 1);
    for (const slot of SLOTS)
      expect(said).toContainEqual(expect.stringMatching(new RegExp(`set service\\.images\\.${slot} .*--parameters ${IMAGE_PARAMETERS[slot]}=`)));
    expect(said).toContainEqual(
      expect.stringMatching(/^PlaceholdersReplaced: boop\.vendorId is cdk\.json's placeholder .*as boop\.vendorId in cdk\.json's boop:environments\.dev /),
    );
  });

  test('images given with --parameters clear the image refusals; the vendor id, synth-time config, is still refused', () => {
    const given = { [IMAGE_PARAMETERS.blue]: REAL_DEV.service.images.blue, [IMAGE_PARAMETERS.green]: REAL_DEV.service.images.green };
    expect(refusals(dev.template.toJSON(), given)).toEqual([expect.stringMatching(/boop\.vendorId/)]);
  });

  test('real-looking values deploy; a placeholder image passed later with --parameters is refused, in either slot', () => {
    expect(refusals(realDev.template.toJSON())).toEqual([]);
    for (const slot of SLOTS)
      for (const placeholder of PLACEHOLDERS.images)
        expect(refusals(realDev.template.toJSON(), { [IMAGE_PARAMETERS[slot]]: placeholder })).toEqual([
          expect.stringContaining(`set service.images.${slot} `),
        ]);
  });

  test('the production example deploys once confirmed (the evaluator would catch a rule it refuses)', () => {
    expect(refusals(prod.template.toJSON(), { ConfirmProduction: 'true' })).toEqual([]);
    expect(refusals(prod.template.toJSON())).toEqual([expect.stringContaining('ConfirmProduction')]);
  });

  test('synth warns about each placeholder, and only then', () => {
    const warnings = (built: Built) =>
      built.app
        .synth()
        .getStackArtifact(built.stack.artifactId)
        .messages.map((m) => String(m.entry.data));
    expect(warnings(dev).filter((w) => w.includes('placeholder'))).toHaveLength(SLOTS.length + 1);
    expect(warnings(realDev).filter((w) => w.includes('placeholder'))).toEqual([]);
  });
});

describe('tags: only where every supported region accepts them', () => {
  const tagged = (built: Built) => Object.entries(built.resources).filter(([, r]) => r.Properties?.Tags !== undefined);

  test.each(['dev', 'prod'] as const)('%s: no resource of an untaggable type carries the environment tag; every other taggable one does', (env) => {
    const built = env === 'dev' ? dev : prod;
    for (const [id, resource] of tagged(built)) {
      const keys = (resource.Properties.Tags as Cfn[]).map((t) => t.Key);
      const untaggable = (UNTAGGABLE_RESOURCE_TYPES as readonly string[]).includes(resource.Type);
      expect({ id, environmentTag: keys.includes(ENVIRONMENT_TAG) }).toEqual({ id, environmentTag: !untaggable });
      // The one exception, green's capacity tag: its IAM identity (docs/design.md "Regions", an open question).
      if (untaggable) expect({ id, keys }).toEqual({ id, keys: [GREEN_CAPACITY_TAG] });
    }
  });

  test('the list is minimal: each excluded type is one the stack creates', () => {
    const types = new Set([...Object.values(dev.resources), ...Object.values(prod.resources)].map((r) => r.Type));
    for (const type of UNTAGGABLE_RESOURCE_TYPES) expect({ type, used: types.has(type) }).toEqual({ type, used: true });
  });
});

describe('loadBalancer.hostName leads to the load balancer', () => {
  const dnsName = (built: Built) => ({ 'Fn::GetAtt': [logicalIdOf(built.stack, built.stack.service.loadBalancer), 'DNSName'] });

  test.each(['dev', 'prod'] as const)("%s: the load balancer's DNS name is an output; without a hosted zone the stack makes no record", (env) => {
    const built = env === 'dev' ? dev : prod;
    expect(built.template.toJSON().Outputs[LOAD_BALANCER_DNS_OUTPUT].Value).toEqual(dnsName(built));
    expect(resourcesOfType(built, 'AWS::Route53::RecordSet')).toEqual([]);
  });

  test('with loadBalancer.hostedZone, one alias A record for hostName in that zone, to the load balancer', () => {
    const records = resourcesOfType(zoned, 'AWS::Route53::RecordSet').map(([, r]) => r.Properties);
    expect(records).toEqual([
      expect.objectContaining({
        Name: `${zoned.config.loadBalancer.hostName}.`,
        Type: 'A',
        HostedZoneId: ZONE.id,
        AliasTarget: expect.objectContaining({ DNSName: { 'Fn::Join': ['', ['dualstack.', dnsName(zoned)]] } }),
      }),
    ]);
    expect(zoned.template.toJSON().Outputs[LOAD_BALANCER_DNS_OUTPUT].Description).toContain(`alias record for it in ${ZONE.name}`);
  });
});
