/**
 * Every number and string this project takes from BOOP's guides, each citing where it comes from.
 * Citations give a short name, then the section (docs/design.md "The guides"):
 *   ENV  = BOOP's guide "Environment Configuration"
 *   MIG  = BOOP's guide "Migration Overview"
 *   MON  = BOOP's guide "Monitoring Overview"
 *   API  = BOOP's public API reference
 * The alarm thresholds have their own table in ./thresholds.ts.
 */

/**
 * BOOP's hosts, one per BOOP environment: the only hosts the vendor id and the API keys are sent to
 * (unless the configuration names a trusted host of the vendor's own, boop.trustedHost).
 */
export const BOOP_HOSTS = {
  /** ENV "Environment Comparison" (Development: https://dev.app.boop.it, wss://dev.app.boop.it/ws/vendor); MIG "2. Update Configuration" (development). */
  development: 'dev.app.boop.it',
  /** ENV "Environment Comparison" (Production: https://app.boop.it, wss://app.boop.it/ws/vendor); MIG "2. Update Configuration" (production). */
  production: 'app.boop.it',
} as const;

/** The vendor WebSocket's path on BOOP's host. ENV "Environment Comparison"; API "Vendor WebSocket" (wss://app.boop.it/ws/vendor). */
const VENDOR_WEBSOCKET_PATH = '/ws/vendor';

/** BOOP endpoints per BOOP environment, on BOOP_HOSTS. ENV "Environment Comparison"; MIG "2. Update Configuration". */
export const BOOP_ENDPOINTS = {
  development: { baseUrl: `https://${BOOP_HOSTS.development}`, wsEndpoint: `wss://${BOOP_HOSTS.development}${VENDOR_WEBSOCKET_PATH}` },
  production: { baseUrl: `https://${BOOP_HOSTS.production}`, wsEndpoint: `wss://${BOOP_HOSTS.production}${VENDOR_WEBSOCKET_PATH}` },
} as const;

/** Vendor id prefixes. ENV ConfigValidator and MIG "1. Obtain Production Credentials". */
export const VENDOR_ID_PREFIX = { development: 'ven_dev_', production: 'ven_live_' } as const;

/** Client settings, identical in both environments. ENV "Environment Variables" (BOOP_* exports). */
export const BOOP_CLIENT_DEFAULTS = {
  /** BOOP_API_TIMEOUT */
  apiTimeoutMs: 30000,
  /** BOOP_WS_HEARTBEAT_INTERVAL; also API "Keep-alive: ping every 30 s" */
  wsHeartbeatIntervalMs: 30000,
  /** BOOP_MAX_RETRIES */
  maxRetries: 3,
  /** BOOP_CONNECTION_POOL_SIZE */
  connectionPoolSize: 10,
  /** BOOP_CACHE_TTL, seconds */
  cacheTtlSeconds: 300,
  /** BOOP_BATCH_SIZE */
  batchSize: 50,
  /** BOOP_ENFORCE_HTTPS */
  enforceHttps: true,
} as const;

/** Staged rollout. MIG "3. Staged Deployment Strategy": start with 5 %, increase gradually, 24 h at each level. */
export const PRODUCTION_ROLLOUT = { steps: [5, 25, 50, 100], bakeTimeHours: 24 } as const;

/** The health endpoint each slot serves. ENV "Health Check Endpoint": app.get('/health/boop'). */
export const SLOT_HEALTH_CHECK_PATH = '/health/boop';

/** How long one health check may take. ENV "Health Check Endpoint": fetch('https://app.boop.it/health', { timeout: 5000 }). */
export const HEALTH_CHECK_TIMEOUT_SECONDS = 5;

/** Response headers. ENV "Network Security" security-headers middleware. */
export const SECURITY_HEADERS = {
  strictTransportSecurity: 'max-age=31536000; includeSubDomains',
  xContentTypeOptions: 'nosniff',
  xFrameOptions: 'DENY',
} as const;

/** Per-IP limit on the BOOP routes. ENV "Network Security": rateLimit({ windowMs: 60 * 1000, max: 100 }) on '/api/boop'. */
export const BOOP_ROUTE_RATE_LIMIT = { path: '/api/boop', requestsPerMinute: 100, windowSeconds: 60 } as const;

/** The production confirmation. MIG "Environment Detection": CONFIRM_PRODUCTION=true. */
export const CONFIRM_PRODUCTION_VALUE = 'true';

/** What BOOP enforces on a vendor in production, per minute and burst per second. ENV "Production Rate Limits"; API "Rate limits". */
export const BOOP_RATE_LIMITS = {
  authentication: { perMinute: 100, burstPerSecond: 10 },
  apiCalls: { perMinute: 1000, burstPerSecond: 50 },
  webSocketMessages: { perMinute: 1000, burstPerSecond: 100 },
  userOperations: { perMinute: 50, burstPerSecond: 5 },
} as const;

/** Mean time to detection: from an issue occurring to its alert, at most this. MON "Success Metrics": MTTD target < 2 minutes. */
export const DETECTION_TARGET_MINUTES = 2;

/** Consecutive failed checks after which the guide rolls back. MIG "6. Rollback Plan", "Automatic Rollback Triggers": AutoRollbackMonitor maxFailures = 5. */
export const ROLLBACK_AFTER_CONSECUTIVE_FAILURES = 5;
