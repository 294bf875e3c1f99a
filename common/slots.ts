/** The two copies of the integration service: blue is today's system, green the new one. */
export const SLOTS = ['blue', 'green'] as const;
export type Slot = (typeof SLOTS)[number];
