import {
  BOOP_CLIENT_DEFAULTS,
  BOOP_ENDPOINTS,
  BOOP_ROUTE_RATE_LIMIT,
  PRODUCTION_ROLLOUT,
} from '../guides';
import { Slot } from '../../common/slots';
import { DEFAULT_KEY_ROTATION_WARNING_DAYS, DEFAULT_MINIMUM_ATTEMPTS, ThresholdOverride } from '../monitoring/thresholds';

/** The environments this app knows; `-c env=<name>` picks one, none means dev. */
export const ENVIRONMENT_NAMES = ['dev', 'prod'] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];
export const DEFAULT_ENVIRONMENT: EnvironmentName = 'dev';

/** How the integration service reaches BOOP; becomes the container's BOOP_* environment. */
export interface BoopConnectionConfig {
  /** BOOP's REST base URL (BOOP_BASE_URL). @default the environment guide's URL for the environment */
  readonly baseUrl: string;
  /** BOOP's vendor WebSocket (BOOP_WS_ENDPOINT). @default the environment guide's endpoint for the environment */
  readonly wsEndpoint: string;
  /** Your vendor id from BOOP (BOOP_VENDOR_ID): ven_dev_... in dev, ven_live_... in prod. @default none, required */
  readonly vendorId: string;
  /** BOOP_API_TIMEOUT, ms. @default 30000 */
  readonly apiTimeoutMs: number;
  /** BOOP_WS_HEARTBEAT_INTERVAL, ms. @default 30000 */
  readonly wsHeartbeatIntervalMs: number;
  /** BOOP_MAX_RETRIES. @default 3 */
  readonly maxRetries: number;
  /** BOOP_CONNECTION_POOL_SIZE. @default 10 */
  readonly connectionPoolSize: number;
  /** BOOP_CACHE_TTL, seconds. @default 300 */
  readonly cacheTtlSeconds: number;
  /** BOOP_BATCH_SIZE. @default 50 */
  readonly batchSize: number;
  /** BOOP_ENFORCE_HTTPS; must be true in prod. @default true */
  readonly enforceHttps: boolean;
  /** From this date (YYYY-MM-DD) on the services use the secondary API key. @default none: no rotation planned */
  readonly keyRotationDate?: string;
}

/** The Fargate services, one per slot. */
export interface ServiceConfig {
  /** Container image per slot: registry/repository:tag or @sha256 digest. @default none, required */
  readonly images: Readonly<Record<Slot, string>>;
  /** Tasks per slot. @default dev 1, prod 2 (one per availability zone) */
  readonly desiredCount: number;
  /** Fargate CPU units per task. @default dev 256, prod 512 */
  readonly cpu: number;
  /** Fargate memory per task, MiB. @default dev 512, prod 1024 */
  readonly memoryMiB: number;
  /** Port the container listens on. @default 8080 */
  readonly containerPort: number;
  /** Days the container logs are kept. @default dev 14, prod 365 */
  readonly logRetentionDays: number;
  /** Seconds the ALB lets in-flight requests finish before a task leaves. @default 30 */
  readonly deregistrationDelaySeconds: number;
}

/** How green's share of traffic grows. */
export interface RolloutConfig {
  /** Green shares, percent, strictly rising and ending at 100. @default dev [100], prod [5, 25, 50, 100] */
  readonly steps: readonly number[];
  /** Hours at a step before the next is allowed. @default dev 0, prod 24 */
  readonly bakeTimeHours: number;
  /** Seconds a client stays on the slot it reached while green is between 0 and 100 %. @default dev 3600, prod 86400 (one bake) */
  readonly stickinessSeconds: number;
}

/** The load balancer in front of both slots. */
export interface LoadBalancerConfig {
  /** ACM certificate ARN for the HTTPS listener. @default none: required in prod; dev without one is HTTP only */
  readonly certificateArn?: string;
  /** Days ALB access logs are kept. @default dev 30, prod 365 */
  readonly accessLogRetentionDays: number;
  /** Attach the WAF web ACL (per-IP rate rule on the BOOP routes, AWS common rule set). @default true */
  readonly wafEnabled: boolean;
  /** Requests per minute per IP on the BOOP routes before WAF blocks. @default 100 (environment guide's limiter) */
  readonly wafRateLimitPerMinute: number;
  /** Path prefix the WAF rate rule guards, as WAF compares it: lowercase, no %XX escapes, no //, ./ or ../. @default /api/boop */
  readonly wafRateLimitPath: string;
  /** CIDRs besides the stack's own NAT addresses from which the X-Boop-Slot header reaches a slot directly. @default [] (none) */
  readonly testerCidrs: readonly string[];
}

/** The network the services run in. */
export interface NetworkConfig {
  /** NAT gateways for the tasks' way out to BOOP. @default dev 1, prod 2 (one per zone, no single point of failure) */
  readonly natGateways: number;
  /** The two availability zones; needed only when account and region are set (no lookups). @default none */
  readonly availabilityZones?: readonly string[];
}

/** Who hears about an alarm, per severity (monitoring guide "Alert Severity Levels"). */
export interface AlertTargetsConfig {
  /** Email addresses per severity. @default none */
  readonly emails: Readonly<Record<'critical' | 'high' | 'medium', readonly string[]>>;
  /** PagerDuty Events API integration URL (HTTPS) paged on critical. @default none */
  readonly pagerDutyIntegrationUrl?: string;
  /** Slack through AWS Chatbot for critical and high. @default none */
  readonly slack?: { readonly workspaceId: string; readonly channelId: string };
}

/** The alarm table's per-environment knobs. */
export interface AlarmsConfig {
  /** A rate is judged only with at least this many attempts in a period. @default 10 */
  readonly minimumAttempts: number;
  /** Days before the key rotation date that a missing secondary key alarms. @default 7 */
  readonly keyRotationWarningDays: number;
  /** Per alarm name, numbers that replace the table's. @default none */
  readonly overrides: Readonly<Record<string, ThresholdOverride>>;
}

export interface EnvironmentConfig {
  /** The environment's name, as given to `-c env=`. */
  readonly envName: EnvironmentName;
  /** AWS account id; with region, pins the stack. @default none: environment-agnostic */
  readonly account?: string;
  /** AWS region; with account, pins the stack. @default none: environment-agnostic */
  readonly region?: string;
  readonly boop: BoopConnectionConfig;
  readonly service: ServiceConfig;
  readonly rollout: RolloutConfig;
  readonly loadBalancer: LoadBalancerConfig;
  readonly network: NetworkConfig;
  readonly alerts: AlertTargetsConfig;
  readonly alarms: AlarmsConfig;
}

/** True where BOOP's production rules apply (ven_live_ ids, https/wss only, confirmation). */
export function isProduction(config: Pick<EnvironmentConfig, 'envName'>): boolean {
  return config.envName === 'prod';
}

/** The guide's BOOP_ENV value for an environment. */
export function boopEnvironment(config: Pick<EnvironmentConfig, 'envName'>): 'development' | 'production' {
  return isProduction(config) ? 'production' : 'development';
}

const NO_ALERT_TARGETS: AlertTargetsConfig = { emails: { critical: [], high: [], medium: [] } };
const ALARM_DEFAULTS: AlarmsConfig = {
  minimumAttempts: DEFAULT_MINIMUM_ATTEMPTS,
  keyRotationWarningDays: DEFAULT_KEY_ROTATION_WARNING_DAYS,
  overrides: {},
};
/** Only the stack's own NAT addresses may pick a slot with the header until testers are listed. */
const NO_TESTER_CIDRS: readonly string[] = [];
const CONTAINER_PORT = 8080;
const DEREGISTRATION_DELAY_SECONDS = 30;

/**
 * Each environment's defaults. Values a vendor must supply (vendor id, images, and in prod a
 * certificate) are left empty here and come from cdk.json, a config file or `-c`.
 */
export const ENVIRONMENT_DEFAULTS: Readonly<Record<EnvironmentName, EnvironmentConfig>> = {
  dev: {
    envName: 'dev',
    boop: { ...BOOP_ENDPOINTS.development, vendorId: '', ...BOOP_CLIENT_DEFAULTS },
    service: {
      images: { blue: '', green: '' },
      desiredCount: 1,
      cpu: 256,
      memoryMiB: 512,
      containerPort: CONTAINER_PORT,
      logRetentionDays: 14,
      deregistrationDelaySeconds: DEREGISTRATION_DELAY_SECONDS,
    },
    rollout: { steps: [100], bakeTimeHours: 0, stickinessSeconds: 3600 },
    loadBalancer: {
      accessLogRetentionDays: 30,
      wafEnabled: true,
      wafRateLimitPerMinute: BOOP_ROUTE_RATE_LIMIT.requestsPerMinute,
      wafRateLimitPath: BOOP_ROUTE_RATE_LIMIT.path,
      testerCidrs: NO_TESTER_CIDRS,
    },
    network: { natGateways: 1 },
    alerts: NO_ALERT_TARGETS,
    alarms: ALARM_DEFAULTS,
  },
  prod: {
    envName: 'prod',
    boop: { ...BOOP_ENDPOINTS.production, vendorId: '', ...BOOP_CLIENT_DEFAULTS },
    service: {
      images: { blue: '', green: '' },
      desiredCount: 2,
      cpu: 512,
      memoryMiB: 1024,
      containerPort: CONTAINER_PORT,
      logRetentionDays: 365,
      deregistrationDelaySeconds: DEREGISTRATION_DELAY_SECONDS,
    },
    rollout: { steps: [...PRODUCTION_ROLLOUT.steps], bakeTimeHours: PRODUCTION_ROLLOUT.bakeTimeHours, stickinessSeconds: 86400 },
    loadBalancer: {
      accessLogRetentionDays: 365,
      wafEnabled: true,
      wafRateLimitPerMinute: BOOP_ROUTE_RATE_LIMIT.requestsPerMinute,
      wafRateLimitPath: BOOP_ROUTE_RATE_LIMIT.path,
      testerCidrs: NO_TESTER_CIDRS,
    },
    network: { natGateways: 2 },
    alerts: NO_ALERT_TARGETS,
    alarms: ALARM_DEFAULTS,
  },
};
