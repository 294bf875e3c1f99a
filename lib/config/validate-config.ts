import { RegionInfo } from 'aws-cdk-lib/region-info';
import { isIPv6 } from 'net';
import { BOOP_DEV_HOST, BOOP_ENDPOINTS, VENDOR_ID_PREFIX } from '../guides';
import { THRESHOLDS, ThresholdRow } from '../monitoring/thresholds';
import { boopEnvironment, EnvironmentConfig, isProduction } from './environment-config';
import { SLOTS } from '../../common/slots';

/** CloudWatch Logs accepts only these retention periods, in days. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/** At most this many tester CIDRs: with two NAT addresses that is 11 header routes per slot (3 CIDRs each), far below an ALB's 100 rules. */
export const MAX_TESTER_CIDRS = 30;
/** The widest tester network per IP version: one organisation's allocation, never a large part of the internet. */
export const WIDEST_TESTER_PREFIX: Readonly<Record<4 | 6, number>> = { 4: 16, 6: 32 };
/** WAF compares at most this many bytes in a byte-match statement (ByteMatchStatement.SearchString). */
export const WAF_SEARCH_STRING_MAX_BYTES = 200;
const TESTER_EXAMPLE = '203.0.113.0/24';
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const PREFIX = /^\d{1,3}$/;

/** Fargate's CPU units and the memory sizes (MiB) each allows. */
const FARGATE_MEMORY_BY_CPU: Record<number, readonly number[]> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

/** A container image reference with an explicit tag or digest: [registry[:port]/]repository[:tag][@sha256:digest]. */
const IMAGE_REFERENCE =
  /^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::([\w][\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/;
const CERTIFICATE_ARN = /^arn:aws(?:-[a-z]+)*:acm:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):certificate\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const SLACK_WORKSPACE = /^T[A-Z0-9]{8,}$/;
const SLACK_CHANNEL = /^[CG][A-Z0-9]{8,}$/;
const VENDOR_ID_BODY = /^[A-Za-z0-9_]+$/;

/** Returns every problem with a merged configuration, each naming its field; empty when valid. */
export function validateConfig(config: EnvironmentConfig): string[] {
  const problems: string[] = [];
  const check = new Checker(problems);
  const prod = isProduction(config);
  const env = boopEnvironment(config);

  // Where the stack goes.
  const { account, region } = config;
  if (account !== undefined) check.matches('account', account, ACCOUNT, 'a 12-digit AWS account id');
  // The stack's mappings (ALB log delivery) are keyed by the regions aws-cdk-lib knows; any other would fail synth with a stack trace.
  if (region !== undefined && check.matches('region', region, REGION, 'an AWS region such as eu-west-1') && !RegionInfo.regions.some((r) => r.name === region)) {
    problems.push(`region: "${region}" is not an AWS region this aws-cdk-lib version knows; check the spelling`);
  }
  if ((account === undefined) !== (region === undefined)) {
    problems.push('account and region: set both to pin the stack to one account, or neither to keep it environment-agnostic');
  }
  const zones = config.network?.availabilityZones;
  if (account !== undefined && region !== undefined && zones === undefined) {
    problems.push('network.availabilityZones: required when account and region are set (synth makes no lookups); give the two zones, e.g. ["eu-west-1a", "eu-west-1b"]');
  }
  if (zones !== undefined) {
    if (!Array.isArray(zones) || zones.length !== 2 || !zones.every((z) => typeof z === 'string')) {
      problems.push(`network.availabilityZones: must list exactly two zones, got ${show(zones)}`);
    } else if (region === undefined) {
      problems.push('network.availabilityZones: only used with account and region; remove it or set both');
    } else if (typeof region === 'string') {
      for (const zone of zones.filter((z) => !new RegExp(`^${region}[a-z]$`).test(z))) problems.push(`network.availabilityZones: "${zone}" is not a zone of region ${region} (such as ${region}a)`);
    }
  }
  check.integer('network.natGateways', config.network?.natGateways, 1, 2, 'the tasks need at least one NAT gateway to reach BOOP; more than one per zone adds nothing');

  // BOOP connection (environment guide).
  const boop = config.boop ?? ({} as EnvironmentConfig['boop']);
  check.url('boop.baseUrl', boop.baseUrl, prod || boop.enforceHttps !== false ? ['https:'] : ['https:', 'http:'], prod);
  check.url('boop.wsEndpoint', boop.wsEndpoint, prod || boop.enforceHttps !== false ? ['wss:'] : ['wss:', 'ws:'], prod);
  for (const field of ['baseUrl', 'wsEndpoint'] as const) {
    const host = hostOf(boop[field]);
    if (prod && host === BOOP_DEV_HOST) {
      problems.push(`boop.${field}: Development URL detected in production configuration (${boop[field]}); use ${BOOP_ENDPOINTS.production[field]}`);
    }
    if (!prod && host === hostOf(BOOP_ENDPOINTS.production[field])) {
      problems.push(`boop.${field}: the dev environment points at production BOOP (${boop[field]}); use ${BOOP_ENDPOINTS.development[field]}`);
    }
  }
  if (check.present('boop.vendorId', boop.vendorId, `your ${VENDOR_ID_PREFIX[env]}... id from BOOP`) && check.string('boop.vendorId', boop.vendorId)) {
    const prefix = VENDOR_ID_PREFIX[env];
    if (!boop.vendorId.startsWith(prefix) || !VENDOR_ID_BODY.test(boop.vendorId.slice(prefix.length))) {
      problems.push(`boop.vendorId: must start with "${prefix}" in ${config.envName} followed by letters, digits or _, got "${boop.vendorId}"`);
    }
  }
  check.integer('boop.apiTimeoutMs', boop.apiTimeoutMs, 1000, 300000);
  check.integer('boop.wsHeartbeatIntervalMs', boop.wsHeartbeatIntervalMs, 1000, 300000);
  check.integer('boop.maxRetries', boop.maxRetries, 0, 10);
  check.integer('boop.connectionPoolSize', boop.connectionPoolSize, 1, 1000);
  check.integer('boop.cacheTtlSeconds', boop.cacheTtlSeconds, 0, 86400);
  check.integer('boop.batchSize', boop.batchSize, 1, 1000);
  if (check.boolean('boop.enforceHttps', boop.enforceHttps) && prod && !boop.enforceHttps) {
    problems.push('boop.enforceHttps: must be true in production (environment guide: "HTTPS required for production")');
  }
  if (boop.keyRotationDate !== undefined) check.date('boop.keyRotationDate', boop.keyRotationDate);

  // The services.
  const service = config.service ?? ({} as EnvironmentConfig['service']);
  for (const slot of SLOTS) {
    const field = `service.images.${slot}`;
    const image = service.images?.[slot];
    if (!check.present(field, image, 'the container image for this slot, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/boop-integration:1.4.2') || !check.string(field, image)) continue;
    const match = IMAGE_REFERENCE.exec(image);
    if (!match) problems.push(`${field}: "${image}" is not a valid image reference (registry/repository:tag or @sha256:digest)`);
    else if (!match[1] && !match[2]) problems.push(`${field}: "${image}" has no tag or digest; pin one so blue and green stay what you deployed`);
    else if (prod && match[1] === 'latest' && !match[2]) problems.push(`${field}: "latest" moves under you; pin a version tag or digest in production`);
  }
  check.integer('service.desiredCount', service.desiredCount, 1, 100);
  if (check.integer('service.cpu', service.cpu, 256, 16384) && check.integer('service.memoryMiB', service.memoryMiB, 512, 122880)) {
    const allowed = FARGATE_MEMORY_BY_CPU[service.cpu];
    if (!allowed) problems.push(`service.cpu: Fargate allows ${Object.keys(FARGATE_MEMORY_BY_CPU).join(', ')} CPU units, got ${service.cpu}`);
    else if (!allowed.includes(service.memoryMiB)) {
      // 256 CPU units allow 512, 1024 and 2048 MiB, which is not a range in steps; list such sizes one by one.
      const step = allowed[1] - allowed[0];
      const sizes = allowed.length > 3 && allowed.every((m, i) => i === 0 || m - allowed[i - 1] === step)
        ? `${allowed[0]}..${allowed[allowed.length - 1]} MiB in steps of ${step}`
        : `${allowed.join(', ')} MiB`;
      problems.push(`service.memoryMiB: Fargate with ${service.cpu} CPU units allows ${sizes}, got ${service.memoryMiB}`);
    }
  }
  check.integer('service.containerPort', service.containerPort, 1, 65535);
  check.oneOf('service.logRetentionDays', service.logRetentionDays, LOG_RETENTION_DAYS);
  check.integer('service.deregistrationDelaySeconds', service.deregistrationDelaySeconds, 0, 3600);

  // The rollout (migration guide "Staged Deployment Strategy").
  const rollout = config.rollout ?? ({} as EnvironmentConfig['rollout']);
  const steps = rollout.steps;
  if (!Array.isArray(steps) || steps.length === 0 || !steps.every((s) => Number.isInteger(s))) {
    problems.push(`rollout.steps: must be a list of whole percentages such as [5, 25, 50, 100], got ${show(steps)}`);
  } else {
    if (steps.some((s) => s < 1 || s > 100)) problems.push(`rollout.steps: every step must be within 1..100, got ${show(steps)}`);
    if (steps.some((s, i) => i > 0 && s <= steps[i - 1])) problems.push(`rollout.steps: must rise strictly, got ${show(steps)}`);
    if (steps[steps.length - 1] !== 100) problems.push(`rollout.steps: must end at 100 so green can take all traffic, got ${show(steps)}`);
  }
  check.number('rollout.bakeTimeHours', rollout.bakeTimeHours, 0, 720);
  check.integer('rollout.stickinessSeconds', rollout.stickinessSeconds, 1, 604800, 'the ALB allows 1 second to 7 days');

  // The load balancer.
  const lb = config.loadBalancer ?? ({} as EnvironmentConfig['loadBalancer']);
  if (lb.certificateArn === undefined || lb.certificateArn === '') {
    if (prod) problems.push('loadBalancer.certificateArn: production needs an ACM certificate for the HTTPS listener (arn:aws:acm:<region>:<account>:certificate/<id>)');
  } else if (check.string('loadBalancer.certificateArn', lb.certificateArn)) {
    const match = CERTIFICATE_ARN.exec(lb.certificateArn);
    if (!match) problems.push(`loadBalancer.certificateArn: "${lb.certificateArn}" is not an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<uuid>)`);
    else if (typeof region === 'string' && match[1] !== region) problems.push(`loadBalancer.certificateArn: the certificate is in ${match[1]} but the stack is in ${region}; an ALB needs a certificate from its own region`);
    else if (typeof account === 'string' && match[2] !== account) problems.push(`loadBalancer.certificateArn: the certificate belongs to account ${match[2]} but the stack is in ${account}`);
  }
  check.integer('loadBalancer.accessLogRetentionDays', lb.accessLogRetentionDays, 1, 3650);
  check.boolean('loadBalancer.wafEnabled', lb.wafEnabled);
  check.integer('loadBalancer.wafRateLimitPerMinute', lb.wafRateLimitPerMinute, 10, 2_000_000_000, 'WAF rate rules count at least 10 requests');
  if (check.string('loadBalancer.wafRateLimitPath', lb.wafRateLimitPath)) {
    const path = lb.wafRateLimitPath;
    const bytes = Buffer.byteLength(path, 'utf8');
    if (!path.startsWith('/')) problems.push(`loadBalancer.wafRateLimitPath: must be a path starting with "/", got "${path}"`);
    else if (bytes > WAF_SEARCH_STRING_MAX_BYTES) {
      problems.push(`loadBalancer.wafRateLimitPath: WAF matches at most ${WAF_SEARCH_STRING_MAX_BYTES} bytes, got ${bytes}; give a shorter path prefix`);
    } else if (wafComparedPath(path) !== path) {
      problems.push(`loadBalancer.wafRateLimitPath: WAF compares the request path after decoding %XX, collapsing //, resolving ./ and ../ and lowercasing it, so "${path}" would never match; write "${wafComparedPath(path)}"`);
    }
  }
  validateTesterCidrs(lb.testerCidrs, problems);

  // Alert targets (monitoring guide "Alert Severity Levels").
  const alerts = config.alerts ?? ({} as EnvironmentConfig['alerts']);
  for (const severity of ['critical', 'high', 'medium'] as const) {
    const list = alerts.emails?.[severity];
    if (!Array.isArray(list)) {
      problems.push(`alerts.emails.${severity}: must be a list of email addresses, got ${show(list)}`);
      continue;
    }
    list.forEach((email, i) => {
      if (typeof email !== 'string' || !EMAIL.test(email)) problems.push(`alerts.emails.${severity}[${i}]: "${String(email)}" is not an email address`);
    });
  }
  if (alerts.pagerDutyIntegrationUrl !== undefined) check.url('alerts.pagerDutyIntegrationUrl', alerts.pagerDutyIntegrationUrl, ['https:'], false);
  if (alerts.slack !== undefined) {
    check.matches('alerts.slack.workspaceId', alerts.slack.workspaceId, SLACK_WORKSPACE, 'a Slack workspace id such as T0123ABCD');
    check.matches('alerts.slack.channelId', alerts.slack.channelId, SLACK_CHANNEL, 'a Slack channel id such as C0123ABCD');
  }
  if (prod && !alerts.pagerDutyIntegrationUrl && !alerts.slack && !(alerts.emails?.critical?.length > 0)) {
    problems.push('alerts: production needs at least one critical target (pagerDutyIntegrationUrl, slack or emails.critical), or a rollback would page nobody');
  }

  // Alarm thresholds (thresholds.ts).
  const alarms = config.alarms ?? ({} as EnvironmentConfig['alarms']);
  check.integer('alarms.minimumAttempts', alarms.minimumAttempts, 1, 1_000_000);
  check.integer('alarms.keyRotationWarningDays', alarms.keyRotationWarningDays, 1, 90);
  const overrides = alarms.overrides ?? {};
  for (const [name, override] of Object.entries(overrides)) {
    const row = THRESHOLDS.find((r) => r.name === name);
    if (!row) {
      problems.push(`alarms.overrides.${name}: unknown alarm; known: ${THRESHOLDS.map((r) => r.name).join(', ')}`);
      continue;
    }
    validateOverride(`alarms.overrides.${name}`, row, override as Record<string, unknown>, check, problems);
  }
  return problems;
}

/** loadBalancer.testerCidrs: few, canonical, and none wide enough to give the internet a path to green past the weights. */
function validateTesterCidrs(value: unknown, problems: string[]): void {
  const field = 'loadBalancer.testerCidrs';
  if (!Array.isArray(value)) {
    problems.push(`${field}: must be a list of CIDRs such as ["${TESTER_EXAMPLE}"] (with -c, as JSON: -c '${field}=["${TESTER_EXAMPLE}"]'), got ${show(value)}`);
    return;
  }
  if (value.length > MAX_TESTER_CIDRS) {
    problems.push(`${field}: at most ${MAX_TESTER_CIDRS} CIDRs (each slot needs one load balancer rule per 3 of them), got ${value.length}; list your testers' networks rather than single addresses`);
  }
  const seen = new Set<string>();
  value.forEach((entry: unknown, i) => {
    const item = `${field}[${i}]`;
    if (typeof entry !== 'string') {
      problems.push(`${item}: must be text such as "${TESTER_EXAMPLE}", got ${show(entry)}`);
      return;
    }
    const cidr = parseCidr(entry);
    if (!cidr) {
      const address = parseCidr(`${entry}/${entry.includes(':') ? 128 : 32}`);
      problems.push(address
        ? `${item}: "${entry}" has no prefix length; for this one address write "${formatCidr(address)}"`
        : `${item}: "${entry}" is not an IPv4 or IPv6 CIDR such as ${TESTER_EXAMPLE} or 2001:db8::/48`);
      return;
    }
    const widest = WIDEST_TESTER_PREFIX[cidr.version];
    if (cidr.prefix === 0) {
      problems.push(`${item}: "${entry}" admits the whole internet, which would reopen the path to green: an X-Boop-Slot header from anyone would reach it past the weights, even at 0 % or after a rollback; list only your testers' networks`);
    } else if (cidr.prefix < widest) {
      problems.push(`${item}: "${entry}" is wider than /${widest} and would admit far more than your testers to green past the weights; list your testers' networks, each /${widest} or narrower`);
    } else if (formatCidr(cidr) !== entry) {
      problems.push(`${item}: "${entry}" is not in canonical form (lowercase, shortest, no address bits past the prefix); write "${formatCidr(cidr)}"`);
    } else if (seen.has(entry)) {
      problems.push(`${item}: "${entry}" is listed twice`);
    }
    seen.add(formatCidr(cidr));
  });
}

interface Cidr {
  readonly version: 4 | 6;
  readonly address: bigint;
  readonly prefix: number;
}

/** Any notation of an IPv4 or IPv6 CIDR; formatCidr gives its canonical form. */
function parseCidr(text: string): Cidr | undefined {
  const slash = text.lastIndexOf('/');
  if (slash < 0 || !PREFIX.test(text.slice(slash + 1))) return undefined;
  const [host, prefix] = [text.slice(0, slash), Number(text.slice(slash + 1))];
  const v4 = parseIpv4(host);
  if (v4 !== undefined) return prefix <= 32 ? { version: 4, address: v4, prefix } : undefined;
  // A zone index (fe80::1%eth0) names a local interface, never a client address.
  if (!isIPv6(host) || host.includes('%') || prefix > 128) return undefined;
  const [head, tail] = host.includes('::') ? host.split('::') : [host, undefined];
  const words = (part: string | undefined) => (part ? part.split(':').flatMap((w) => (w.includes('.') ? ipv4Words(w) : [parseInt(w, 16)])) : []);
  const [front, back] = [words(head), words(tail)];
  const all = [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
  return { version: 6, address: all.reduce((acc, w) => (acc << 16n) | BigInt(w), 0n), prefix };
}

function parseIpv4(text: string): bigint | undefined {
  const match = IPV4.exec(text);
  if (!match || match.slice(1).some((octet) => Number(octet) > 255)) return undefined;
  return match.slice(1).reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

function ipv4Words(text: string): number[] {
  const v4 = Number(parseIpv4(text) ?? 0n);
  return [Math.floor(v4 / 0x10000), v4 % 0x10000];
}

/** RFC 5952 for IPv6 (lowercase, no leading zeros, the first longest run of zero words as ::), dotted decimal for IPv4; host bits cleared. */
function formatCidr(cidr: Cidr): string {
  const bits = cidr.version === 4 ? 32 : 128;
  const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - cidr.prefix)) - 1n);
  const network = cidr.address & mask;
  if (cidr.version === 4) return `${[24n, 16n, 8n, 0n].map((shift) => (network >> shift) & 255n).join('.')}/${cidr.prefix}`;
  const words = Array.from({ length: 8 }, (_, i) => Number((network >> BigInt(112 - 16 * i)) & 0xffffn));
  let [runStart, runLength] = [-1, 1];
  for (let i = 0; i < 8; i++) {
    let length = 0;
    while (i + length < 8 && words[i + length] === 0) length++;
    if (length > runLength) [runStart, runLength] = [i, length];
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  const text = runStart < 0 ? hex(words) : `${hex(words.slice(0, runStart))}::${hex(words.slice(runStart + runLength))}`;
  return `${text}/${cidr.prefix}`;
}

/**
 * The path as the WAF rate rule compares it (its text transformations): %XX decoded, duplicate
 * slashes collapsed, ./ dropped, ../ resolved except at the start, lowercased.
 */
function wafComparedPath(path: string): string {
  const decoded = path.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  const segments: string[] = [];
  for (const segment of decoded.split('/').slice(1)) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..' && segments.length > 0 && segments[segments.length - 1] !== '..') segments.pop();
    else segments.push(segment);
  }
  const trailingSlash = segments.length > 0 && /\/(\.\.?)?$/.test(decoded);
  return `/${segments.join('/')}${trailingSlash ? '/' : ''}`.toLowerCase();
}

function validateOverride(field: string, row: ThresholdRow, override: Record<string, unknown>, check: Checker, problems: string[]): void {
  const known = ['threshold', 'periodMinutes', 'evaluationPeriods', 'datapointsToAlarm'];
  for (const key of Object.keys(override ?? {}).filter((k) => !known.includes(k))) {
    problems.push(`${field}.${key}: not an overridable number; overridable: ${known.join(', ')}`);
  }
  const merged = { ...row, ...override } as ThresholdRow;
  if (override.threshold !== undefined) {
    if (row.unit === 'percent') check.number(`${field}.threshold`, merged.threshold, 0, 100, 'a percentage', true);
    else if (row.unit === 'milliseconds') check.integer(`${field}.threshold`, merged.threshold, 1, 600000, 'milliseconds');
    else check.integer(`${field}.threshold`, merged.threshold, row.comparison === 'at-or-above' ? 1 : 0, 1_000_000, 'a count');
  }
  const periodOk = check.integer(`${field}.periodMinutes`, merged.periodMinutes, 1, 1440);
  const evalOk = check.integer(`${field}.evaluationPeriods`, merged.evaluationPeriods, 1, 1440);
  if (periodOk && evalOk && merged.periodMinutes * merged.evaluationPeriods > 1440) {
    problems.push(`${field}: periodMinutes × evaluationPeriods must not exceed one day (CloudWatch), got ${merged.periodMinutes} × ${merged.evaluationPeriods}`);
  }
  if (check.integer(`${field}.datapointsToAlarm`, merged.datapointsToAlarm, 1, 1440) && evalOk && merged.datapointsToAlarm > merged.evaluationPeriods) {
    problems.push(`${field}.datapointsToAlarm: must not exceed evaluationPeriods (${merged.evaluationPeriods}), got ${merged.datapointsToAlarm}`);
  }
}

/** Small typed checks that append a plain-words problem naming the field. */
class Checker {
  constructor(private readonly problems: string[]) {}

  present(field: string, value: unknown, what: string): boolean {
    if (value === undefined || value === null || value === '') {
      this.problems.push(`${field}: missing; set ${what}`);
      return false;
    }
    return true;
  }

  string(field: string, value: unknown): value is string {
    if (typeof value === 'string') return true;
    this.problems.push(`${field}: must be text, got ${show(value)}`);
    return false;
  }

  boolean(field: string, value: unknown): value is boolean {
    if (typeof value === 'boolean') return true;
    this.problems.push(`${field}: must be true or false, got ${show(value)}`);
    return false;
  }

  number(field: string, value: unknown, min: number, max: number, why?: string, exclusive = false): value is number {
    const ok = typeof value === 'number' && Number.isFinite(value) && (exclusive ? value > min && value < max : value >= min && value <= max);
    if (!ok) {
      const bounds = exclusive ? `between ${min} and ${max} (exclusive)` : `within ${min}..${max}`;
      this.problems.push(`${field}: must be a number ${bounds}${why ? ` (${why})` : ''}, got ${show(value)}`);
    }
    return ok;
  }

  integer(field: string, value: unknown, min: number, max: number, why?: string): value is number {
    const ok = typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
    if (!ok) this.problems.push(`${field}: must be a whole number within ${min}..${max}${why ? ` (${why})` : ''}, got ${show(value)}`);
    return ok;
  }

  oneOf(field: string, value: unknown, allowed: readonly number[]): boolean {
    if (typeof value === 'number' && allowed.includes(value)) return true;
    this.problems.push(`${field}: must be one of ${allowed.join(', ')}, got ${show(value)}`);
    return false;
  }

  matches(field: string, value: unknown, pattern: RegExp, what: string): boolean {
    if (typeof value === 'string' && pattern.test(value)) return true;
    this.problems.push(`${field}: must be ${what}, got ${show(value)}`);
    return false;
  }

  url(field: string, value: unknown, protocols: readonly string[], production: boolean): boolean {
    if (!this.present(field, value, `a ${protocols[0]}// URL`) || !this.string(field, value)) return false;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      this.problems.push(`${field}: "${value}" is not a valid URL`);
      return false;
    }
    if (!protocols.includes(url.protocol)) {
      const context = production ? ' in production' : '';
      this.problems.push(`${field}: must use ${protocols.map((p) => p.replace(':', '')).join(' or ')}${context}, got "${value}"`);
      return false;
    }
    return true;
  }

  date(field: string, value: unknown): boolean {
    const match = typeof value === 'string' ? ISO_DATE.exec(value) : null;
    const valid = match !== null && isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]));
    if (!valid) this.problems.push(`${field}: must be a calendar date written YYYY-MM-DD, got ${show(value)}`);
    return valid;
  }
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function hostOf(value: unknown): string | undefined {
  try {
    return typeof value === 'string' ? new URL(value).hostname : undefined;
  } catch {
    return undefined;
  }
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

function range(from: number, to: number, step: number): number[] {
  const values: number[] = [];
  for (let v = from; v <= to; v += step) values.push(v);
  return values;
}
