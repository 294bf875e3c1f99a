import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Slot, SLOT_HEADER, SLOTS } from '../../common/slots';
import { slotTitle } from './slot';

/** Priority of the first header route; above the 10 and 20 earlier versions used, so an update never creates a rule at a priority an old rule still holds. */
const FIRST_SLOT_RULE_PRIORITY = 100;
/** Source CIDRs per header route: an ALB condition matches at most 3 values, and 1 header value + 3 CIDRs stays within a rule's 5. */
const SOURCES_PER_RULE = 3;

/**
 * `X-Boop-Slot: blue|green` reaches that slot only from `sources`; from anywhere else the header
 * matches no rule and the request follows the weights. No sources, no header routes.
 */
export function addSlotHeaderRoutes(
  listener: elbv2.ApplicationListener,
  targetGroups: Readonly<Record<Slot, elbv2.IApplicationTargetGroup>>,
  sources: readonly string[],
): void {
  for (let n = 0; n * SOURCES_PER_RULE < sources.length; n++) {
    const cidrs = sources.slice(n * SOURCES_PER_RULE, (n + 1) * SOURCES_PER_RULE);
    SLOTS.forEach((slot, slotIndex) => {
      listener.addAction(`${slotTitle(slot)}SlotHeaderRoute${n + 1}`, {
        // The slots take turns (blue 100, 102, ...; green 101, 103, ...), so neither can reach the other's priorities however many rules each needs.
        priority: FIRST_SLOT_RULE_PRIORITY + n * SLOTS.length + slotIndex,
        conditions: [elbv2.ListenerCondition.httpHeader(SLOT_HEADER, [slot]), elbv2.ListenerCondition.sourceIps(cidrs)],
        action: elbv2.ListenerAction.forward([targetGroups[slot]]),
      });
    });
  }
}
