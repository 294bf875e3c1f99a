/**
 * The names everyone agrees on (docs/design.md "Metric contract"): CloudWatch namespaces, metric names, their
 * dimensions and units (the SSM parameter names are in names.ts). The constructs, the functions and the
 * integration service's authors (docs/metric-contract.md) all use these; nothing restates them.
 * Plain TypeScript with no imports, so a function bundle can include it.
 */

export const NAMESPACES = {
  /** Written by the vendor's integration service, as EMF lines on stdout. */
  integration: 'Boop/Integration',
  /** Written by the health-check function. */
  healthCheck: 'Boop/HealthCheck',
  /** Written by the traffic controller. */
  traffic: 'Boop/Traffic',
} as const;

export const DIMENSIONS = {
  /** The value of BOOP_ENV: development or production. */
  environment: 'Environment',
  /** The value of BOOP_SLOT: blue or green. */
  slot: 'Slot',
} as const;

/** CloudWatch units used by the contract (the names CloudWatch and EMF both accept). */
export type ContractUnit = 'Count' | 'Milliseconds' | 'None' | 'Percent';

export interface ContractMetric {
  readonly unit: ContractUnit;
  /** Which dimensions every data point carries, in addition to nothing else. */
  readonly dimensions: readonly (typeof DIMENSIONS)[keyof typeof DIMENSIONS][];
  /** What one data point means, for docs/metric-contract.md. */
  readonly meaning: string;
  /** 1 for a high-resolution metric (EMF `StorageResolution: 1`), which the rollback reads in 10 s periods. @default 60 */
  readonly storageResolutionSeconds?: 1 | 60;
}

/** The period high-resolution metrics are read in: the shortest alarm period CloudWatch evaluates every 10 s. */
export const HIGH_RESOLUTION_PERIOD_SECONDS = 10;

const PER_SLOT = [DIMENSIONS.environment, DIMENSIONS.slot] as const;
const PER_ENVIRONMENT = [DIMENSIONS.environment] as const;

/** Boop/Integration: one family per concern, each emitted by the service with Environment and Slot. */
export const INTEGRATION_METRICS = {
  AuthAttempts: { unit: 'Count', dimensions: PER_SLOT, meaning: 'authentications started' },
  AuthFailures: { unit: 'Count', dimensions: PER_SLOT, meaning: 'authentications that failed' },
  AuthLatency: { unit: 'Milliseconds', dimensions: PER_SLOT, meaning: 'time from authentication request to answer' },
  PaymentAttempts: { unit: 'Count', dimensions: PER_SLOT, meaning: 'payments started' },
  PaymentFailures: { unit: 'Count', dimensions: PER_SLOT, meaning: 'payments that failed' },
  PaymentLatency: { unit: 'Milliseconds', dimensions: PER_SLOT, meaning: 'time from payment request to answer' },
  PaymentValue: { unit: 'None', dimensions: PER_SLOT, meaning: 'value of a successful payment, in cents' },
  ConsecutivePaymentFailures: { unit: 'Count', dimensions: PER_SLOT, meaning: 'current run of failed payments, 0 after a success' },
  WebSocketConnections: { unit: 'Count', dimensions: PER_SLOT, meaning: 'open vendor WebSocket connections' },
  WebSocketFailures: { unit: 'Count', dimensions: PER_SLOT, meaning: 'WebSocket connection errors' },
  WebSocketAbnormalClosures: { unit: 'Count', dimensions: PER_SLOT, meaning: 'WebSocket closures with a code other than 1000' },
  BoopApiRequests: { unit: 'Count', dimensions: PER_SLOT, meaning: "calls to BOOP's REST API" },
  BoopApiErrors: { unit: 'Count', dimensions: PER_SLOT, meaning: 'BOOP API calls that failed (not timeouts)' },
  BoopApiTimeouts: { unit: 'Count', dimensions: PER_SLOT, meaning: 'BOOP API calls that timed out' },
  BoopApiRateLimited: { unit: 'Count', dimensions: PER_SLOT, meaning: 'BOOP API calls answered 429' },
  ActiveUsers: { unit: 'Count', dimensions: PER_SLOT, meaning: 'distinct users seen in the last minute' },
  HttpRequests: {
    unit: 'Count',
    dimensions: PER_SLOT,
    storageResolutionSeconds: 1,
    meaning: "requests the service answered, the load balancer's health checks aside; high resolution",
  },
  HttpServerErrors: { unit: 'Count', dimensions: PER_SLOT, storageResolutionSeconds: 1, meaning: 'requests the service answered with a 5XX; high resolution' },
} as const satisfies Record<string, ContractMetric>;

/** The integration metrics grouped as the service emits them (one EMF line per family). */
export const INTEGRATION_METRIC_FAMILIES = {
  authentication: ['AuthAttempts', 'AuthFailures', 'AuthLatency'],
  payments: ['PaymentAttempts', 'PaymentFailures', 'PaymentLatency', 'PaymentValue', 'ConsecutivePaymentFailures'],
  websocket: ['WebSocketConnections', 'WebSocketFailures', 'WebSocketAbnormalClosures'],
  boopApi: ['BoopApiRequests', 'BoopApiErrors', 'BoopApiTimeouts', 'BoopApiRateLimited'],
  users: ['ActiveUsers'],
  http: ['HttpRequests', 'HttpServerErrors'],
} as const satisfies Record<string, readonly (keyof typeof INTEGRATION_METRICS)[]>;

/** The health check runs this often; uptime counts a check that did not report as failed. */
export const HEALTH_CHECK_INTERVAL_MINUTES = 1;

/** Boop/HealthCheck: one data point per check per minute; a failed check is a 0, never a gap. */
export const HEALTH_CHECK_METRICS = {
  BoopHealthy: { unit: 'Count', dimensions: PER_ENVIRONMENT, meaning: '1 when BOOP GET /health answered ok, else 0' },
  BoopHealthLatency: { unit: 'Milliseconds', dimensions: PER_ENVIRONMENT, meaning: 'time BOOP took to answer /health' },
  WebSocketHealthy: { unit: 'Count', dimensions: PER_ENVIRONMENT, meaning: '1 when the vendor WebSocket authenticated and answered ping, else 0' },
  SlotHealthy: { unit: 'Count', dimensions: PER_SLOT, meaning: "1 when the slot's /health/boop answered 200 through the ALB, else 0" },
  KeyFallbacks: { unit: 'Count', dimensions: PER_ENVIRONMENT, meaning: 'checks that had to fall back to the other API key' },
  KeyRotationUnready: { unit: 'Count', dimensions: PER_ENVIRONMENT, meaning: '1 when the rotation date is near and the secondary key is missing' },
} as const satisfies Record<string, ContractMetric>;

/** Boop/Traffic: written by the traffic controller. */
export const TRAFFIC_METRICS = {
  GreenPercent: { unit: 'Percent', dimensions: PER_ENVIRONMENT, meaning: "green's live weight after a change" },
  WeightChanges: { unit: 'Count', dimensions: PER_ENVIRONMENT, meaning: 'verified changes of the live weights' },
  Rollbacks: { unit: 'Count', dimensions: PER_ENVIRONMENT, meaning: 'automatic or manual rollbacks to blue' },
  RollbackLatency: { unit: 'Milliseconds', dimensions: PER_ENVIRONMENT, meaning: "from the alarm's state change to blue alone, verified" },
  ControllerErrors: { unit: 'Count', dimensions: PER_ENVIRONMENT, meaning: 'controller invocations that failed to do their job' },
  IgnoredEvents: { unit: 'Count', dimensions: PER_ENVIRONMENT, meaning: 'malformed or foreign events the controller logged and ignored' },
  RefusedEvents: {
    unit: 'Count',
    dimensions: PER_ENVIRONMENT,
    meaning: "deploy events refused as not CloudFormation's own update of this stack (each also pages critical)",
  },
} as const satisfies Record<string, ContractMetric>;

export type IntegrationMetricName = keyof typeof INTEGRATION_METRICS;
export type HealthCheckMetricName = keyof typeof HEALTH_CHECK_METRICS;
export type TrafficMetricName = keyof typeof TRAFFIC_METRICS;
