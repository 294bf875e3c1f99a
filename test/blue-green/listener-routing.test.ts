/**
 * Who can pick a slot with X-Boop-Slot: the synthesized listener's rules evaluated the way the ALB
 * applies them (test/support/alb-listener.ts), with the NAT gateways' Elastic IPs fixed to test
 * addresses. From the stack's NAT addresses and the configured tester CIDRs the header reaches the
 * slot; from anywhere else it is ignored and the request follows the template's weights.
 */
import { SAFE_WEIGHTS } from '../../lib/blue-green/listeners';
import { SLOT_HEADER } from '../../common/slots';
import { SLOTS } from '../../common/slots';
import { MAX_TESTER_CIDRS } from '../../lib/config/formats';
import { AlbListener, onlyTo, sharesOf } from '../support/alb-listener';
import { DeployedTemplate } from '../support/deployed-template';
import { logicalIdOf, referencedId, resourcesOfType } from '../support/resources';
import { build, Built } from '../support/synth';

/** ALB listener-rule limits (AWS "Condition types for listener rules", "Quotas for your Application Load Balancers"): facts about AWS, not configuration. */
const ALB_LIMITS = { sourceIpConditionsPerRule: 1, valuesPerCondition: 3, valuesPerRule: 5, rulesPerLoadBalancer: 100, highestPriority: 50000 };

/** What the NAT gateways' Elastic IPs resolve to here (TEST-NET-2). */
const NAT_TEST_ADDRESSES = ['198.51.100.10', '198.51.100.20'];
/** Tester networks configured with -c loadBalancer.testerCidrs. */
const TESTER_CIDRS = ['203.0.113.0/28', '2001:db8:1234::/48'];
/** Addresses inside TESTER_CIDRS, at both ends of each. */
const TESTER_ADDRESSES = ['203.0.113.0', '203.0.113.15', '2001:db8:1234::1', '2001:db8:1234:ffff:ffff:ffff:ffff:ffff'];
/** The neighbours of TESTER_CIDRS: one address before and one after each. */
const JUST_OUTSIDE_TESTERS = ['203.0.112.255', '203.0.113.16', '2001:db8:1233:ffff:ffff:ffff:ffff:ffff', '2001:db8:1235::'];
/** Somebody on the internet (TEST-NET-1). */
const UNLISTED = '192.0.2.33';
/** Spellings the ALB treats as the same header and value. */
const SPELLINGS = (slot: string) => [{ [SLOT_HEADER]: slot }, { [SLOT_HEADER.toLowerCase()]: slot.toUpperCase() }];

/** The weighted listener as deployed, each NAT gateway's Elastic IP at one of the test addresses. */
function weightedListener(built: Built): AlbListener {
  const eips = resourcesOfType(built, 'AWS::EC2::NatGateway').map(([, nat]) => referencedId(nat.Properties.AllocationId)!);
  expect(eips.length).toBeGreaterThan(0);
  expect(eips.length).toBeLessThanOrEqual(NAT_TEST_ADDRESSES.length);
  for (const eip of eips) expect(built.resources[eip].Type).toBe('AWS::EC2::EIP');
  const deployed = new DeployedTemplate(built.template.toJSON(), Object.fromEntries(eips.map((eip, i) => [eip, NAT_TEST_ADDRESSES[i]])));
  const service = built.stack.service;
  const targetGroups = Object.fromEntries(SLOTS.map((slot) => [slot, logicalIdOf(built.stack, service.targetGroups[slot])])) as Record<
    (typeof SLOTS)[number],
    string
  >;
  return new AlbListener(deployed, logicalIdOf(built.stack, service.listener), targetGroups);
}

/** The NAT test addresses this stack's gateways got. */
function natAddresses(built: Built): string[] {
  return NAT_TEST_ADDRESSES.slice(0, resourcesOfType(built, 'AWS::EC2::NatGateway').length);
}

describe.each(['dev', 'prod'] as const)('%s: the header routes', (env) => {
  let shipped: AlbListener;
  let withTesters: AlbListener;
  let nat: string[];

  beforeAll(() => {
    const asShipped = build(env);
    const tested = build(env, { 'loadBalancer.testerCidrs': JSON.stringify(TESTER_CIDRS) });
    expect(tested.config.loadBalancer.testerCidrs).toEqual(TESTER_CIDRS);
    shipped = weightedListener(asShipped);
    withTesters = weightedListener(tested);
    nat = natAddresses(tested);
    expect(nat).toHaveLength(tested.config.network.natGateways);
  });

  test('without the header every request follows the weights the template keeps (blue 100 / green 0)', () => {
    for (const source of [UNLISTED, ...nat, ...TESTER_ADDRESSES]) {
      expect(withTesters.route({ source })).toEqual({ rule: 'default', shares: sharesOf(SAFE_WEIGHTS) });
    }
  });

  test(`${SLOT_HEADER} from an address nobody listed is ignored, in any spelling: the request follows the weights`, () => {
    for (const listener of [shipped, withTesters]) {
      for (const slot of SLOTS) {
        for (const headers of SPELLINGS(slot)) {
          expect(listener.route({ source: UNLISTED, headers })).toEqual({ rule: 'default', shares: sharesOf(SAFE_WEIGHTS) });
        }
      }
    }
  });

  test(`${SLOT_HEADER} from each of the stack's NAT addresses reaches that slot alone`, () => {
    for (const listener of [shipped, withTesters]) {
      for (const source of nat) {
        for (const slot of SLOTS) {
          for (const headers of SPELLINGS(slot)) {
            expect(listener.route({ source, headers })).toEqual({ rule: expect.any(Number), shares: onlyTo(slot) });
          }
        }
      }
    }
  });

  test(`${SLOT_HEADER} from inside a configured tester CIDR reaches that slot alone`, () => {
    for (const source of TESTER_ADDRESSES) {
      for (const slot of SLOTS) {
        expect(withTesters.route({ source, headers: { [SLOT_HEADER]: slot } })).toEqual({ rule: expect.any(Number), shares: onlyTo(slot) });
      }
    }
  });

  test(`${SLOT_HEADER} from just outside a tester CIDR, or from a tester before it is configured, follows the weights`, () => {
    for (const [listener, sources] of [
      [withTesters, JUST_OUTSIDE_TESTERS],
      [shipped, TESTER_ADDRESSES],
    ] as const) {
      for (const source of sources) {
        expect(listener.route({ source, headers: { [SLOT_HEADER]: 'green' } })).toEqual({ rule: 'default', shares: sharesOf(SAFE_WEIGHTS) });
      }
    }
  });

  test('a header value that is not a slot follows the weights, even from a NAT address', () => {
    for (const value of ['', 'greenish', 'blue,green', '*']) {
      expect(withTesters.route({ source: nat[0], headers: { [SLOT_HEADER]: value } })).toEqual({ rule: 'default', shares: sharesOf(SAFE_WEIGHTS) });
    }
  });
});

describe(`the most tester CIDRs validation allows (${MAX_TESTER_CIDRS}) still deploy`, () => {
  /** Distinct /24s of the benchmarking range 198.18.0.0/15. */
  const testers = Array.from({ length: MAX_TESTER_CIDRS }, (_, i) => `198.18.${i}.0/24`);
  let built: Built;
  let listener: AlbListener;

  beforeAll(() => {
    expect(MAX_TESTER_CIDRS).toBeLessThanOrEqual(256);
    // prod has the most NAT gateways, so the most sources.
    built = build('prod', { 'loadBalancer.testerCidrs': JSON.stringify(testers) });
    listener = weightedListener(built);
  });

  test("every rule stays within the ALB's condition limits, priorities are distinct and valid, and the load balancer's rule quota holds", () => {
    expect(listener.rules.length).toBeGreaterThan(0);
    for (const rule of listener.rules) {
      const values = rule.conditions.map((c) => (c.HttpHeaderConfig ?? c.SourceIpConfig ?? c).Values as unknown[]);
      expect(rule.conditions.filter((c) => c.Field === 'source-ip').length).toBeLessThanOrEqual(ALB_LIMITS.sourceIpConditionsPerRule);
      for (const v of values) expect(v.length).toBeLessThanOrEqual(ALB_LIMITS.valuesPerCondition);
      expect(values.reduce((sum, v) => sum + v.length, 0)).toBeLessThanOrEqual(ALB_LIMITS.valuesPerRule);
      expect(rule.priority).toBeGreaterThanOrEqual(1);
      expect(rule.priority).toBeLessThanOrEqual(ALB_LIMITS.highestPriority);
    }
    expect(new Set(listener.rules.map((r) => r.priority)).size).toBe(listener.rules.length);
    expect(resourcesOfType(built, 'AWS::ElasticLoadBalancingV2::ListenerRule').length).toBeLessThanOrEqual(ALB_LIMITS.rulesPerLoadBalancer);
  });

  test('every NAT address and every tester network reaches each slot; nobody else does', () => {
    const sources = [...natAddresses(built), ...testers.map((cidr) => cidr.replace(/\.0\/24$/, '.200'))];
    for (const source of sources) {
      for (const slot of SLOTS) {
        expect(listener.route({ source, headers: { [SLOT_HEADER]: slot } })).toEqual({ rule: expect.any(Number), shares: onlyTo(slot) });
      }
    }
    expect(listener.route({ source: UNLISTED, headers: { [SLOT_HEADER]: 'green' } })).toEqual({ rule: 'default', shares: sharesOf(SAFE_WEIGHTS) });
  });
});
