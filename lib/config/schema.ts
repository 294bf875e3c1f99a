/**
 * Every configuration field, declared once: its type and range, its defaults against BOOP development and production, what it
 * sets and where it comes from. The TypeScript types, the defaults, the validation, the README's
 * configuration table and the JSON Schema for cdk.json all come from here. Rules that need the
 * environment or more than one field are the refinements in rules.ts.
 */
import { z } from 'zod';
import { BOOP_ENVIRONMENTS, IMAGE_PARAMETERS } from '../../common/names';
import { Slot } from '../../common/slots';
import { BOOP_CLIENT_DEFAULTS, BOOP_ENDPOINTS, BOOP_ROUTE_RATE_LIMIT, HEALTH_CHECK_TIMEOUT_SECONDS, PRODUCTION_ROLLOUT, VENDOR_ID_PREFIX } from '../guides';
import { DEFAULT_KEY_ROTATION_WARNING_DAYS, DEFAULT_MINIMUM_ATTEMPTS, ThresholdOverride, THRESHOLDS, ThresholdRow } from '../monitoring/thresholds';
import { both, declaredFields, section, setting } from './fields';
import {
  ACCOUNT_ID,
  awsRegion,
  boopUrl,
  CERTIFICATE_ARN,
  CLOUDWATCH_LONGEST_WINDOW_MINUTES,
  decimal,
  email,
  FARGATE_CPUS,
  flag,
  group,
  HOST_NAME,
  HOSTED_ZONE_ID,
  image,
  KMS_KEY_ARN,
  listOf,
  LOG_RETENTION_DAYS,
  MAX_TESTER_CIDRS,
  MAX_REASON_CHARACTERS,
  oneOf,
  show,
  SLACK_CHANNEL_ID,
  SLACK_WORKSPACE_ID,
  ssmParameterName,
  TESTER_EXAMPLE,
  testerCidr,
  text,
  TRUSTED_HOST,
  reason,
  VENDOR_ID,
  WAF_SEARCH_STRING_MAX_BYTES,
  wafPath,
  wholeNumber,
  WIDEST_TESTER_PREFIX,
} from './formats';
import { PRODUCTION_SAFETY, Waiver } from './production-safety';
import { emailListRules, environmentRules, overrideRules, rolloutStepRules, serviceRules, testerCidrListRules } from './rules';

/** Only the stack's own NAT addresses may pick a slot with the header until testers are listed. */
const NO_TESTER_CIDRS: readonly string[] = [];
const NO_EMAILS: readonly string[] = [];
const CONTAINER_PORT = 8080;
const DEREGISTRATION_DELAY_SECONDS = 30;
/** A threshold's largest count or latency. */
const LARGEST_COUNT = 1_000_000;
const LONGEST_LATENCY_MS = 600_000;
/** A check's longest timeout: with the function's margin its run stays well inside the one-minute interval. */
export const MAX_HEALTH_CHECK_TIMEOUT_SECONDS = 30;
/** The guide's steps, written as a user writes them, for messages. */
const STEPS_EXAMPLE = `[${PRODUCTION_ROLLOUT.steps.join(', ')}]`;

const ENVIRONMENT_GUIDE = 'Environment Configuration';
const MIGRATION_GUIDE = 'Migration Overview';
const MONITORING_GUIDE = 'Monitoring Overview';
/** Cites a BOOP guide by title and section. */
const guide = (title: string, part: string) => `${title} guide, "${part}"`;

/** One alarm's overridable numbers, each within what CloudWatch and the row's unit allow. */
function thresholdOverride(row: ThresholdRow) {
  const threshold =
    row.unit === 'percent'
      ? decimal(0, 100, { why: 'a percentage', exclusive: true })
      : row.unit === 'milliseconds'
        ? wholeNumber(1, LONGEST_LATENCY_MS, 'milliseconds')
        : wholeNumber(row.comparison === 'at-or-above' ? 1 : 0, LARGEST_COUNT, 'a count');
  return group({
    threshold: threshold.optional(),
    periodMinutes: wholeNumber(1, CLOUDWATCH_LONGEST_WINDOW_MINUTES).optional(),
    evaluationPeriods: wholeNumber(1, CLOUDWATCH_LONGEST_WINDOW_MINUTES).optional(),
    datapointsToAlarm: wholeNumber(1, CLOUDWATCH_LONGEST_WINDOW_MINUTES).optional(),
  }).superRefine((override, ctx) => overrideRules(row, override, ctx), { when: () => true });
}

const slotImage = (slot: Slot) =>
  setting(image(), {
    description: `the ${slot} slot's integration image on the first deploy, with a tag or digest (\`latest\` is refused against production, where both slots come from one repository): the default of the ${IMAGE_PARAMETERS[slot]} parameter, whose value later deploys keep; change it with --parameters ${IMAGE_PARAMETERS[slot]}=<image>`,
    source: 'your build of the integration service',
    whatToSet: 'the container image for this slot, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/boop-integration:1.4.2',
  });
/** Why a production-bound environment sets one safety default aside (production-safety.ts). */
const waiver = (name: Waiver) =>
  setting(reason(`say why this environment sets aside ${PRODUCTION_SAFETY[name].setsAside}`).optional(), {
    description: `why this environment sets aside ${PRODUCTION_SAFETY[name].setsAside}, e.g. "pre-production, no customer traffic"; one line of at most ${MAX_REASON_CHARACTERS} characters, shown by synth, the template and npm run rollout -- status`,
    source: 'this project: against BOOP production a safety default is set aside only with a recorded reason',
  });
const emails = () =>
  setting(listOf(email(), 'email addresses').superRefine(emailListRules, { when: () => true }), {
    ...both(NO_EMAILS),
    description: 'who gets email for this severity',
    source: guide(MONITORING_GUIDE, 'Alert Severity Levels'),
  });

/** What one environment may set, in cdk.json (`boop:environments.<env>`), a config file or `-c`. */
export const settingsSchema = group({
  account: setting(text(ACCOUNT_ID, 'a 12-digit AWS account id').optional(), {
    description: '12-digit AWS account id; set both account and region to pin the stack to them, or neither to keep it environment-agnostic',
    source: 'AWS CDK: a stack without account and region synthesizes for any',
  }),
  region: setting(awsRegion().optional(), {
    description: 'AWS region such as eu-west-1, one of the supported regions (the commercial ones; README "Supported regions"); with account, pins the stack',
    source: 'AWS CDK: a stack without account and region synthesizes for any',
  }),

  boop: section("How the integration service reaches BOOP; becomes the containers' BOOP_* environment", {
    baseUrl: setting(boopUrl(), {
      development: BOOP_ENDPOINTS.development.baseUrl,
      production: BOOP_ENDPOINTS.production.baseUrl,
      description:
        "BOOP's REST base URL (BOOP_BASE_URL); https (http only against development with enforceHttps false), no user or password; against production exactly https://app.boop.it (or the trusted host) with an optional path",
      source: guide(ENVIRONMENT_GUIDE, 'Environment Comparison'),
    }),
    wsEndpoint: setting(boopUrl(), {
      development: BOOP_ENDPOINTS.development.wsEndpoint,
      production: BOOP_ENDPOINTS.production.wsEndpoint,
      description:
        "BOOP's vendor WebSocket (BOOP_WS_ENDPOINT); wss (ws only against development with enforceHttps false), no user or password; against production on app.boop.it (or the trusted host) exactly as written here",
      source: guide(ENVIRONMENT_GUIDE, 'Environment Comparison'),
    }),
    trustedHost: group({
      host: setting(
        text(TRUSTED_HOST, 'a host name in lowercase with an optional port, such as boop-egress.example.com:8443 (no scheme, path or IP address)'),
        {
          description:
            "a host of your own that may receive the vendor id and API keys in production besides BOOP's (your egress proxy to BOOP); boop.baseUrl and boop.wsEndpoint may then name it. Shown by npm run rollout -- status",
          source:
            'this project: in production keys go only to BOOP\'s hosts (Environment Configuration guide, "Environment Comparison") unless you name another',
        },
      ),
      reason: setting(reason('say why this host may receive the API keys'), {
        description: `why that host may receive the keys, e.g. "our egress proxy to BOOP, change 1234"; required, at most ${MAX_REASON_CHARACTERS} characters, one line`,
        source: 'this project: a trusted host is an explicit, explained choice',
      }),
    }).optional(),
    vendorId: setting(text(VENDOR_ID, `${VENDOR_ID_PREFIX.development}... or ${VENDOR_ID_PREFIX.production}... followed by letters, digits or _`), {
      description: `your vendor id from BOOP (BOOP_VENDOR_ID): ${VENDOR_ID_PREFIX.development}... against development, ${VENDOR_ID_PREFIX.production}... against production`,
      source: guide(MIGRATION_GUIDE, '1. Obtain Production Credentials'),
      whatToSet: (boopEnvironment) => `your ${VENDOR_ID_PREFIX[boopEnvironment]}... id from BOOP`,
    }),
    apiTimeoutMs: setting(wholeNumber(1000, 300_000), {
      ...both(BOOP_CLIENT_DEFAULTS.apiTimeoutMs),
      description: 'how long a BOOP API call may take, ms (BOOP_API_TIMEOUT)',
      source: guide(ENVIRONMENT_GUIDE, 'Environment Variables'),
    }),
    wsHeartbeatIntervalMs: setting(wholeNumber(1000, 300_000), {
      ...both(BOOP_CLIENT_DEFAULTS.wsHeartbeatIntervalMs),
      description: 'WebSocket ping interval, ms (BOOP_WS_HEARTBEAT_INTERVAL)',
      source: guide(ENVIRONMENT_GUIDE, 'Environment Variables'),
    }),
    maxRetries: setting(wholeNumber(0, 10), {
      ...both(BOOP_CLIENT_DEFAULTS.maxRetries),
      description: 'retries of a failed BOOP API call (BOOP_MAX_RETRIES)',
      source: guide(ENVIRONMENT_GUIDE, 'Environment Variables'),
    }),
    connectionPoolSize: setting(wholeNumber(1, 1000), {
      ...both(BOOP_CLIENT_DEFAULTS.connectionPoolSize),
      description: 'connections to BOOP per task (BOOP_CONNECTION_POOL_SIZE)',
      source: guide(ENVIRONMENT_GUIDE, 'Environment Variables'),
    }),
    cacheTtlSeconds: setting(wholeNumber(0, 86_400), {
      ...both(BOOP_CLIENT_DEFAULTS.cacheTtlSeconds),
      description: 'how long answers are cached, seconds (BOOP_CACHE_TTL)',
      source: guide(ENVIRONMENT_GUIDE, 'Environment Variables'),
    }),
    batchSize: setting(wholeNumber(1, 1000), {
      ...both(BOOP_CLIENT_DEFAULTS.batchSize),
      description: 'requests per batch (BOOP_BATCH_SIZE)',
      source: guide(ENVIRONMENT_GUIDE, 'Environment Variables'),
    }),
    enforceHttps: setting(flag(), {
      ...both(BOOP_CLIENT_DEFAULTS.enforceHttps),
      description: 'BOOP_ENFORCE_HTTPS; must be true against production ("HTTPS required for production")',
      source: guide(ENVIRONMENT_GUIDE, 'Environment Variables'),
    }),
    keyRotationDate: setting(z.iso.date({ error: (issue) => `must be a calendar date written YYYY-MM-DD, got ${show(issue.input)}` }).optional(), {
      description:
        'from this date (00:00 UTC) the services use the secondary API key (BOOP_KEY_ROTATION_DATE); set it only once the secondary key is put, remove it once the rotation is promoted (docs/runbook.md "Key rotation")',
      source: guide(ENVIRONMENT_GUIDE, 'API Key Management'),
      emptyMeansNone: true,
    }),
    apiKeyKmsKeyArn: setting(text(KMS_KEY_ARN, 'a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias').optional(), {
      description:
        "the customer-managed KMS key that encrypts the API-key SecureString parameters; the tasks may decrypt with it alone (unset: SSM's AWS-managed key aws/ssm)",
      source: guide(ENVIRONMENT_GUIDE, 'API Key Management') + ' ("Use secure environment variable management")',
      emptyMeansNone: true,
    }),
  }),

  service: section('The Fargate services, one per slot', {
    images: group({ blue: slotImage('blue'), green: slotImage('green') } satisfies Record<Slot, z.ZodType>),
    desiredCount: setting(wholeNumber(1, 100), {
      development: 1,
      production: 2,
      description: 'tasks per slot; production runs one per availability zone',
      source: guide(ENVIRONMENT_GUIDE, 'Production Environment Features'),
    }),
    cpu: setting(oneOf(FARGATE_CPUS as [number, ...number[]], `Fargate allows ${FARGATE_CPUS.join(', ')} CPU units`), {
      development: 256,
      production: 512,
      description: 'Fargate CPU units per task',
      source: 'AWS Fargate task sizes',
    }),
    memoryMiB: setting(wholeNumber(512, 122_880), {
      development: 512,
      production: 1024,
      description: 'Fargate memory per task, MiB; the sizes the CPU allows',
      source: 'AWS Fargate task sizes',
    }),
    containerPort: setting(wholeNumber(1, 65_535), {
      ...both(CONTAINER_PORT),
      description: 'the port your container listens on',
      source: 'your integration service',
    }),
    logRetentionDays: setting(oneOf(LOG_RETENTION_DAYS as unknown as [number, ...number[]]), {
      development: 14,
      production: 365,
      description: 'days the container logs are kept; a CloudWatch Logs retention value',
      source: 'CloudWatch Logs retention periods',
    }),
    deregistrationDelaySeconds: setting(wholeNumber(0, 3600), {
      ...both(DEREGISTRATION_DELAY_SECONDS),
      description: 'seconds in-flight requests may finish when a task leaves',
      source: guide(MIGRATION_GUIDE, '6. Rollback Plan') + ' ("Complete In-Flight")',
    }),
  }).superRefine(serviceRules, { when: () => true }),

  rollout: section("How green's share of traffic grows", {
    steps: setting(
      listOf(wholeNumber(1, 100, 'a percentage of traffic'), `whole percentages such as ${STEPS_EXAMPLE}`)
        .min(1, { error: `must list at least one step, such as ${STEPS_EXAMPLE}` })
        .superRefine(rolloutStepRules, { when: () => true }),
      {
        development: [100],
        production: [...PRODUCTION_ROLLOUT.steps],
        description: "green's shares, percent: strictly rising within 1..100, ending at 100",
        source: guide(MIGRATION_GUIDE, '3. Staged Deployment Strategy') + ' ("Start with 5% traffic")',
      },
    ),
    bakeTimeHours: setting(decimal(0, 720), {
      development: 0,
      production: PRODUCTION_ROLLOUT.bakeTimeHours,
      description: 'hours at a step, without the rollback alarm, before the next step is allowed',
      source: guide(MIGRATION_GUIDE, '3. Staged Deployment Strategy') + ' ("Monitor for 24 hours at each traffic level")',
    }),
    stickinessSeconds: setting(wholeNumber(1, 604_800, 'the ALB allows 1 second to 7 days'), {
      development: 3600,
      production: 86_400,
      description: 'seconds a client stays on the slot it reached while green is between 0 and 100 % (one bake against production)',
      source: guide(MIGRATION_GUIDE, '3. Staged Deployment Strategy') + ' (consistent user routing)',
    }),
    releaseGuard: setting(flag(), {
      development: false,
      production: true,
      description:
        "the release guard refuses image changes outside the steps and promotion: green's image changes only while green serves 0 %, blue's only to the image green serves at 100 % (promotion)",
      source: guide(MIGRATION_GUIDE, '3. Staged Deployment Strategy') + ' ("Gradual Traffic Shift": new code reaches users only through the steps)',
    }),
    scaleGreenToZeroOnRollback: setting(flag(), {
      ...both(true),
      description: `after a rollback, once the listener shows blue alone, green's service is scaled to zero (ECS drains its targets for service.deregistrationDelaySeconds first), so its connections close and it stops consuming; the acknowledgement (GreenPercent=0) restores service.desiredCount. false only where the rehearsal finds green-capacity-tag-condition does not hold: green then keeps its tasks after a rollback, and acknowledgements work (docs/design.md "Green's task count")`,
      source: guide(MIGRATION_GUIDE, '6. Rollback Plan') + ' ("Stop New Traffic", "Complete In-Flight")',
    }),
    autoAdvance: setting(flag(), {
      ...both(false),
      description:
        "hands-free rollout: a deploy's GreenPercent is the target, and the controller walks green there a step at a time, each after the bake and the same checks as a deploy of that step (rollback alarm readable, not in ALARM and not fired during the bake, green's targets healthy); each advance and stop is sent to the medium alerts (alerts.emails.medium), and npm run rollout -- pause stops it. Not a production safety default set aside (no waiver): every step passes what a deploy of it would",
      source: `this project, opt-in: the default stays a deploy per step, the procedure of the ${guide(MIGRATION_GUIDE, '3. Staged Deployment Strategy')}`,
    }),
  }),

  loadBalancer: section('The load balancer in front of both slots', {
    certificateArn: setting(text(CERTIFICATE_ARN, 'an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<uuid>)').optional(), {
      description:
        "ACM certificate for the HTTPS listener, in the stack's region; without one (allowed against development) the listener is HTTP only, with a synth warning (empty, as in `-c loadBalancer.certificateArn=`, means none)",
      source: guide(ENVIRONMENT_GUIDE, 'Environment Comparison') + ' ("Production-grade certificates")',
      requiredIn: ['production'],
      emptyMeansNone: true,
      whatToSet: 'an ACM certificate for the HTTPS listener (arn:aws:acm:<region>:<account>:certificate/<id>)',
    }),
    hostName: setting(text(HOST_NAME, 'a DNS name in lowercase such as boop.example.com, without a wildcard').optional(), {
      description:
        "the public DNS name the certificate is for, pointing at the load balancer; the health check connects to the load balancer's address with this name as TLS SNI and Host (required with a certificate)",
      source: guide(ENVIRONMENT_GUIDE, 'Health Check Endpoint') + ' (each slot checked through the ALB)',
      requiredIn: ['production'],
      emptyMeansNone: true,
      whatToSet: 'the DNS name your certificate is for, e.g. boop.example.com',
    }),
    hostedZone: group({
      id: setting(text(HOSTED_ZONE_ID, 'a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ'), {
        description: 'the id of the public Route 53 hosted zone that holds loadBalancer.hostName',
        source: 'this project: the stack creates the DNS record for loadBalancer.hostName when it may',
      }),
      name: setting(text(HOST_NAME, "the zone's DNS name in lowercase such as example.com"), {
        description: "that zone's name, such as example.com; loadBalancer.hostName must be inside it",
        source: 'this project: no lookups at synth, so the zone is named, not found',
      }),
    }).optional(),
    accessLogRetentionDays: setting(wholeNumber(1, 3650), {
      development: 30,
      production: 365,
      description: 'days ALB access logs are kept',
      source: 'this project: a year of access logs against production',
    }),
    wafEnabled: setting(flag(), {
      ...both(true),
      description: 'the WAF web ACL on the ALB (per-IP rate rule on the BOOP routes, AWS common rule set)',
      source: guide(ENVIRONMENT_GUIDE, 'Network Security'),
    }),
    wafRateLimitPerMinute: setting(wholeNumber(10, 2_000_000_000, 'WAF rate rules count at least 10 requests'), {
      ...both(BOOP_ROUTE_RATE_LIMIT.requestsPerMinute),
      description: 'requests per minute per IP on the BOOP routes before WAF blocks',
      source: guide(ENVIRONMENT_GUIDE, 'Network Security') + ' (rateLimit max 100 per minute)',
    }),
    wafRateLimitPath: setting(wafPath(), {
      ...both(BOOP_ROUTE_RATE_LIMIT.path),
      description: `the path prefix that limiter guards, written as WAF compares it: lowercase, no %XX, no //, ./ or ../; at most ${WAF_SEARCH_STRING_MAX_BYTES} bytes`,
      source: guide(ENVIRONMENT_GUIDE, 'Network Security') + " (app.use('/api/boop', boopLimiter))",
    }),
    testerCidrs: setting(
      listOf(testerCidr(), `CIDRs such as ["${TESTER_EXAMPLE}"] (with -c, as JSON: -c 'loadBalancer.testerCidrs=["${TESTER_EXAMPLE}"]')`)
        .max(MAX_TESTER_CIDRS, {
          error: (issue) =>
            `at most ${MAX_TESTER_CIDRS} CIDRs (each slot needs one load balancer rule per 3 of them), got ${Array.isArray(issue.input) ? issue.input.length : show(issue.input)}; list your testers' networks rather than single addresses`,
        })
        .superRefine(testerCidrListRules, { when: () => true }),
      {
        ...both(NO_TESTER_CIDRS),
        description: `networks besides the stack's own NAT addresses whose X-Boop-Slot header picks a slot; canonical IPv4/IPv6 CIDRs, each /${WIDEST_TESTER_PREFIX[4]} (IPv6 /${WIDEST_TESTER_PREFIX[6]}) or narrower, at most ${MAX_TESTER_CIDRS}`,
        source: 'this project: testers reach a slot directly, strangers follow the weights',
      },
    ),
  }),

  network: section('The network the services run in', {
    natGateways: setting(wholeNumber(1, 2, 'the tasks need at least one NAT gateway to reach BOOP; more than one per zone adds nothing'), {
      development: 1,
      production: 2,
      description: "NAT gateways, the tasks' way out to BOOP; one per zone against production",
      source: guide(ENVIRONMENT_GUIDE, 'Production Environment Features') + ' ("High Availability")',
    }),
    availabilityZones: setting(
      listOf(text(), 'zones')
        .length(2, { error: (issue) => `must list exactly two zones, got ${show(issue.input)}` })
        .optional(),
      {
        description: 'the two zones; required when account and region are set (synth makes no lookups)',
        source: 'AWS CDK: an environment-agnostic stack uses two zones without a lookup',
      },
    ),
  }),

  healthCheck: section("The health check's every-minute run", {
    timeoutSeconds: setting(wholeNumber(1, MAX_HEALTH_CHECK_TIMEOUT_SECONDS, 'a run must end well inside its minute'), {
      ...both(HEALTH_CHECK_TIMEOUT_SECONDS),
      description: 'seconds each check (BOOP /health, the vendor WebSocket, each slot) may take; the checks run in parallel, so a run ends within about this',
      source: guide(ENVIRONMENT_GUIDE, 'Health Check Endpoint') + ' (fetch ... { timeout: 5000 })',
    }),
  }),

  alerts: section('Who hears about an alarm, per severity', {
    emails: group({ critical: emails(), high: emails(), medium: emails() }),
    pagerDutyIntegrationUrlParameter: setting(ssmParameterName().optional(), {
      description:
        'name of the SSM String parameter holding the PagerDuty integration URL, paged on critical; the URL carries its key, so it stays out of cdk.json and the template',
      source: guide(MONITORING_GUIDE, 'Alert Severity Levels') + ' ("Page on-call engineer")',
    }),
    slack: group({
      workspaceId: setting(text(SLACK_WORKSPACE_ID, 'a Slack workspace id such as T0123ABCD'), {
        description: 'Slack workspace for critical and high, through AWS Chatbot',
        source: guide(MONITORING_GUIDE, 'Alert Severity Levels') + ' ("Slack + email")',
      }),
      channelId: setting(text(SLACK_CHANNEL_ID, 'a Slack channel id such as C0123ABCD'), {
        description: 'Slack channel for critical and high',
        source: guide(MONITORING_GUIDE, 'Alert Severity Levels') + ' ("Slack + email")',
      }),
    }).optional(),
  }),

  alarms: section("The alarm table's per-environment knobs", {
    minimumAttempts: setting(wholeNumber(1, LARGEST_COUNT), {
      ...both(DEFAULT_MINIMUM_ATTEMPTS),
      description: 'a rate is judged only with at least this many attempts in a period',
      source: guide(MONITORING_GUIDE, 'Success Metrics') + ' (false alert rate < 5%)',
    }),
    keyRotationWarningDays: setting(wholeNumber(1, 90), {
      ...both(DEFAULT_KEY_ROTATION_WARNING_DAYS),
      description: 'how many days before boop.keyRotationDate a missing secondary key raises KEY_ROTATION_UNREADY (the health check judges it every minute)',
      source: guide(ENVIRONMENT_GUIDE, 'API Key Management'),
    }),
    // Typed as the alarms read it (by any row name); the group itself declares one field per row of the table.
    overrides: setting(
      group(Object.fromEntries(THRESHOLDS.map((row) => [row.name, thresholdOverride(row).optional()]))) as unknown as z.ZodType<
        Record<string, ThresholdOverride>
      >,
      {
        ...both({}),
        description:
          "per alarm name, numbers that replace the thresholds table's for that alarm; the alarm must still span at most a day, with M of N possible",
        allowed:
          'per alarm name of the thresholds table, any of threshold, periodMinutes, evaluationPeriods, datapointsToAlarm, each within what the row allows',
        source: 'the thresholds table (lib/monitoring/thresholds.ts)',
      },
    ),
  }),

  productionWaivers: section('Production safety defaults an environment bound to BOOP production sets aside, each with why', {
    bakeBelowGuide: waiver('bakeBelowGuide'),
    firstStepAboveGuide: waiver('firstStepAboveGuide'),
    releaseGuardOff: waiver('releaseGuardOff'),
    noCriticalAlertTarget: waiver('noCriticalAlertTarget'),
  } satisfies Record<Waiver, z.ZodType>),
});

/** Fields that some environment needs although their type lets them be absent. */
const REQUIRED_IN_SOME_ENVIRONMENT = declaredFields(settingsSchema).filter((field) => field.info.requiredIn);

/** One environment's configuration: its name and every setting, with the rules that need both. */
export const environmentConfigSchema = settingsSchema
  .extend({ envName: z.string(), boopEnvironment: z.enum(BOOP_ENVIRONMENTS) })
  .superRefine((config, ctx) => environmentRules(config, ctx, REQUIRED_IN_SOME_ENVIRONMENT), { when: () => true });
