/**
 * A synthesized ALB listener evaluated the way the load balancer applies it (AWS "Listener rules for
 * your Application Load Balancer"): rules in priority order, lowest first; a rule applies when all its
 * conditions match, a condition when any of its values does; no rule, the default action. Models the
 * two condition types this app uses and fails loudly on any other.
 */
import { BlockList, isIPv4, isIPv6 } from 'net';
import { Slot, SLOTS } from '../../common/slots';
import { DeployedTemplate } from './deployed-template';
import { resourcesOfType } from './resources';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One request as the load balancer sees it: the connecting address and the headers. */
export interface AlbRequest {
  /** The address that opened the connection (not X-Forwarded-For). */
  readonly source: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Where a request went: the priority of the rule that took it, or the default action; each slot's share. */
export interface AlbRoute {
  readonly rule: number | 'default';
  readonly shares: Readonly<Record<Slot, number>>;
}

/** A listener rule as deployed: every intrinsic resolved. */
export interface DeployedRule {
  readonly logicalId: string;
  readonly priority: number;
  readonly conditions: readonly Json[];
  readonly actions: readonly Json[];
}

export class AlbListener {
  /** The listener's rules in the order the load balancer tries them. */
  readonly rules: readonly DeployedRule[];
  private readonly defaultActions: readonly Json[];
  private readonly slotOfTargetGroup: ReadonlyMap<string, Slot>;

  /**
   * @param deployed the template with its intrinsics resolvable (fix Elastic IPs through its `refs`)
   * @param listenerId logical id of the listener to evaluate
   * @param targetGroupIds logical id of each slot's target group
   */
  constructor(deployed: DeployedTemplate, listenerId: string, targetGroupIds: Readonly<Record<Slot, string>>) {
    this.slotOfTargetGroup = new Map(SLOTS.map((slot) => [deployed.ref(targetGroupIds[slot]), slot]));
    this.defaultActions = deployed.resolve(deployed.resources[listenerId].Properties.DefaultActions);
    this.rules = resourcesOfType(deployed, 'AWS::ElasticLoadBalancingV2::ListenerRule')
      .filter(([, rule]) => rule.Properties.ListenerArn?.Ref === listenerId)
      .map(([logicalId, rule]) => {
        const properties = deployed.resolve(rule.Properties);
        return { logicalId, priority: Number(properties.Priority), conditions: properties.Conditions, actions: properties.Actions };
      })
      .sort((a, b) => a.priority - b.priority);
  }

  route(request: AlbRequest): AlbRoute {
    const rule = this.rules.find((r) => r.conditions.every((condition) => conditionMatches(condition, request)));
    return { rule: rule ? rule.priority : 'default', shares: this.shares(rule ? rule.actions : this.defaultActions) };
  }

  /** Each slot's share of a forward action (a plain forward is all of one group). */
  private shares(actions: readonly Json[]): Record<Slot, number> {
    if (actions.length !== 1 || actions[0].Type !== 'forward') throw new Error(`the evaluator models one forward action, got ${JSON.stringify(actions)}`);
    const action = actions[0];
    const groups: Array<{ TargetGroupArn: string; Weight?: number }> = action.ForwardConfig?.TargetGroups ?? [{ TargetGroupArn: action.TargetGroupArn }];
    const total = groups.reduce((sum, g) => sum + (g.Weight ?? 1), 0);
    const shares = Object.fromEntries(SLOTS.map((slot) => [slot, 0])) as Record<Slot, number>;
    for (const group of groups) {
      const slot = this.slotOfTargetGroup.get(group.TargetGroupArn);
      if (!slot) throw new Error(`forward to a target group of no slot: ${group.TargetGroupArn}`);
      shares[slot] += total === 0 ? 0 : (group.Weight ?? 1) / total;
    }
    return shares;
  }
}

/** Each slot's share of a weighted forward with these weights. */
export function sharesOf(weights: Readonly<Record<Slot, number>>): Record<Slot, number> {
  const total = SLOTS.reduce((sum, slot) => sum + weights[slot], 0);
  return Object.fromEntries(SLOTS.map((slot) => [slot, weights[slot] / total])) as Record<Slot, number>;
}

/** All of the traffic to one slot. */
export function onlyTo(slot: Slot): Record<Slot, number> {
  return Object.fromEntries(SLOTS.map((s) => [s, s === slot ? 1 : 0])) as Record<Slot, number>;
}

function conditionMatches(condition: Json, request: AlbRequest): boolean {
  switch (condition.Field) {
    case 'http-header': {
      // Header names are matched case-insensitively, values case-insensitively with * and ? wildcards.
      const { HttpHeaderName, Values } = condition.HttpHeaderConfig as { HttpHeaderName: string; Values: string[] };
      const value = Object.entries(request.headers ?? {}).find(([name]) => name.toLowerCase() === HttpHeaderName.toLowerCase())?.[1];
      return value !== undefined && Values.some((pattern) => wildcard(pattern).test(value));
    }
    case 'source-ip':
      return (condition.SourceIpConfig.Values as string[]).some((cidr) => inCidr(request.source, cidr));
    default:
      throw new Error(`the evaluator does not model condition ${JSON.stringify(condition)}`);
  }
}

function wildcard(pattern: string): RegExp {
  const body = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 'is');
}

/** Node's own CIDR matching, so the check does not share code with the app's validation. */
export function inCidr(address: string, cidr: string): boolean {
  const [network, prefix] = cidr.split('/');
  const family = isIPv6(network) ? 'ipv6' : 'ipv4';
  if (!(family === 'ipv6' ? isIPv6(address) : isIPv4(address))) return false;
  const list = new BlockList();
  list.addSubnet(network, Number(prefix), family);
  return list.check(address, family);
}
