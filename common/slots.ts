/** The two copies of the integration service: blue is today's system, green the new one. */
export const SLOTS = ['blue', 'green'] as const;
export type Slot = (typeof SLOTS)[number];

/** The request header that picks a slot past the weights, admitted only from the stack's NAT addresses and testerCidrs. */
export const SLOT_HEADER = 'X-Boop-Slot';
