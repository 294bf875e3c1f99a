/**
 * The rules that need the environment or more than one field, as zod refinements. They run even
 * when other fields are wrong (every problem is reported at once), so they read what they were
 * given without trusting its type.
 */
import { z } from 'zod';
import { imageProblem, imageRules } from '../../common/images';
import { Slot, SLOTS } from '../../common/slots';
import { BOOP_ENDPOINTS, BOOP_HOSTS, VENDOR_ID_PREFIX } from '../guides';
import { ThresholdRow } from '../monitoring/thresholds';
import { PRODUCTION_SAFETY, WAIVERS } from './production-safety';
import { DeclaredField, isPlainObject, valueAt } from './fields';
import {
  CERTIFICATE_ARN,
  KMS_KEY_ARN,
  CLOUDWATCH_LONGEST_WINDOW_MINUTES,
  FARGATE_MEMORY_BY_CPU,
  fargateMemoryText,
  formatCidr,
  parseCidr,
  show,
  showUrl,
  TRUSTED_HOST,
  VENDOR_ID,
} from './formats';

/** Where a rule reports: a problem at a path below the value it checks. */
type Report = Pick<z.RefinementCtx, 'addIssue'>;

function problem(ctx: Report, path: (string | number)[], message: string): void {
  ctx.addIssue({ code: 'custom', path, message });
}

/**
 * The rules of an environment bound to BOOP production, whatever its name (https/wss, no development
 * host, ven_live_, certificate, production's safety defaults), and those across sections.
 */
export function environmentRules(config: unknown, ctx: Report, requiredFields: readonly DeclaredField[]): void {
  const envName = String(valueAt(config, ['envName']));
  const boopEnvironment = valueAt(config, ['boopEnvironment']) === 'production' ? 'production' : 'development';
  const prod = boopEnvironment === 'production';
  const read = (...path: string[]) => valueAt(config, path);
  const textAt = (...path: string[]) => {
    const value = read(...path);
    return typeof value === 'string' ? value : undefined;
  };

  // Where the stack goes.
  const [account, region] = [read('account'), read('region')];
  if ((account === undefined) !== (region === undefined)) {
    problem(ctx, [], 'account and region: set both to pin the stack to one account, or neither to keep it environment-agnostic');
  }
  const zones = read('network', 'availabilityZones');
  const zonesPath = ['network', 'availabilityZones'];
  if (account !== undefined && region !== undefined && zones === undefined) {
    problem(ctx, zonesPath, 'required when account and region are set (synth makes no lookups); give the two zones, e.g. ["eu-west-1a", "eu-west-1b"]');
  }
  if (zones !== undefined && region === undefined) problem(ctx, zonesPath, 'only used with account and region; remove it or set both');
  if (Array.isArray(zones) && typeof region === 'string') {
    for (const zone of zones.filter((z): z is string => typeof z === 'string')) {
      if (!zone.startsWith(region) || !/^[a-z]$/.test(zone.slice(region.length)))
        problem(ctx, zonesPath, `"${zone}" is not a zone of region ${region} (such as ${region}a)`);
    }
  }
  const certificate = CERTIFICATE_ARN.exec(textAt('loadBalancer', 'certificateArn') ?? '');
  if (certificate && typeof region === 'string' && certificate[1] !== region) {
    problem(
      ctx,
      ['loadBalancer', 'certificateArn'],
      `the certificate is in ${certificate[1]} but the stack is in ${region}; an ALB needs a certificate from its own region`,
    );
  } else if (certificate && typeof account === 'string' && certificate[2] !== account) {
    problem(ctx, ['loadBalancer', 'certificateArn'], `the certificate belongs to account ${certificate[2]} but the stack is in ${account}`);
  }

  // The health check verifies each slot's TLS against this name (docs/health-check.md).
  if (!prod && read('loadBalancer', 'certificateArn') !== undefined && read('loadBalancer', 'hostName') === undefined) {
    problem(
      ctx,
      ['loadBalancer', 'hostName'],
      "required with loadBalancer.certificateArn: the DNS name the certificate is for, which the health check verifies each slot's TLS against",
    );
  }

  // The stack creates the record for hostName in the zone, so the name must be inside it.
  const zoneName = textAt('loadBalancer', 'hostedZone', 'name');
  const hostName = textAt('loadBalancer', 'hostName');
  if (read('loadBalancer', 'hostedZone') !== undefined && hostName === undefined) {
    problem(ctx, ['loadBalancer', 'hostedZone'], 'only used with loadBalancer.hostName, the name the stack creates the record for; set it or remove the zone');
  } else if (zoneName !== undefined && hostName !== undefined && hostName !== zoneName && !hostName.endsWith(`.${zoneName}`)) {
    problem(
      ctx,
      ['loadBalancer', 'hostedZone', 'name'],
      `loadBalancer.hostName ${hostName} is not inside the zone ${zoneName}; name the zone that holds it (such as ${hostName.split('.').slice(1).join('.') || hostName})`,
    );
  }

  const keyArn = KMS_KEY_ARN.exec(textAt('boop', 'apiKeyKmsKeyArn') ?? '');
  if (keyArn && typeof region === 'string' && keyArn[1] !== region) {
    problem(
      ctx,
      ['boop', 'apiKeyKmsKeyArn'],
      `the key is in ${keyArn[1]} but the stack is in ${region}; SSM encrypts a parameter with a key of its own region`,
    );
  } else if (keyArn && typeof account === 'string' && keyArn[2] !== account) {
    problem(ctx, ['boop', 'apiKeyKmsKeyArn'], `the key belongs to account ${keyArn[2]} but the stack is in ${account}`);
  }

  for (const field of requiredFields.filter((f) => f.info.requiredIn?.includes(boopEnvironment))) {
    // Empty text is the type's "missing", or none where the field says so (loading drops it), so absent is the one case here.
    if (read(...field.path) === undefined) {
      const what = typeof field.info.whatToSet === 'function' ? field.info.whatToSet(boopEnvironment) : (field.info.whatToSet ?? 'a value');
      problem(ctx, [...field.path], `${boopEnvironment} needs ${what}`);
    }
  }

  // BOOP (Environment Configuration guide, "Configuration Validation").
  const named = textAt('boop', 'trustedHost', 'host');
  const namesDevelopmentBoop = named !== undefined && isDevelopmentBoop(named.replace(/:\d+$/, ''));
  // Production keys never go to development BOOP, not even as the trusted host.
  if (prod && namesDevelopmentBoop)
    problem(ctx, ['boop', 'trustedHost', 'host'], `is BOOP's development host; production keys go only to ${BOOP_HOSTS.production} or your own egress proxy`);
  const trustedHost = named !== undefined && TRUSTED_HOST.test(named) && !namesDevelopmentBoop ? named : undefined;
  const enforceHttps = read('boop', 'enforceHttps') !== false;
  for (const [field, secure, plain] of [
    ['baseUrl', 'https:', 'http:'],
    ['wsEndpoint', 'wss:', 'ws:'],
  ] as const) {
    const value = textAt('boop', field);
    if (!value || !URL.canParse(value)) continue;
    const url = new URL(value);
    const allowed: readonly string[] = prod || enforceHttps ? [secure] : [secure, plain];
    if (!allowed.includes(url.protocol)) {
      problem(ctx, ['boop', field], `must use ${allowed.map((p) => p.slice(0, -1)).join(' or ')}${prod ? ' in production' : ''}, got ${showUrl(value)}`);
    }
    if (prod) {
      const refusal = productionHostProblem(value, field, trustedHost);
      if (refusal) problem(ctx, ['boop', field], refusal);
    } else if (url.hostname.replace(/\.+$/, '') === BOOP_HOSTS.production) {
      // A fully qualified name (trailing dot) is the same host.
      problem(
        ctx,
        ['boop', field],
        `${envName} talks to BOOP development but points at production BOOP (${showUrl(value)}); use ${BOOP_ENDPOINTS.development[field]}`,
      );
    }
  }
  const vendorId = textAt('boop', 'vendorId');
  const prefix = VENDOR_ID_PREFIX[boopEnvironment];
  if (vendorId && VENDOR_ID.test(vendorId) && !vendorId.startsWith(prefix))
    problem(ctx, ['boop', 'vendorId'], `must start with "${prefix}" against BOOP ${boopEnvironment}, got "${vendorId}"`);
  if (prod && read('boop', 'enforceHttps') === false) {
    problem(ctx, ['boop', 'enforceHttps'], 'must be true in production (Environment Configuration guide: "HTTPS required for production")');
  }

  // Each slot's image under the rule its image parameter enforces (common/images.ts); the form is the field's own check.
  const images = Object.fromEntries(SLOTS.map((slot) => [slot, textAt('service', 'images', slot)]));
  const wellFormed = (slot: Slot) => images[slot] !== undefined && imageProblem(images[slot], { production: false }) === undefined;
  const rules = SLOTS.every(wellFormed) ? imageRules(images as Record<Slot, string>, prod) : undefined;
  for (const slot of SLOTS.filter(wellFormed)) {
    const refusal = imageProblem(images[slot]!, rules?.[slot] ?? { production: prod });
    if (refusal) problem(ctx, ['service', 'images', slot], `${refusal}, got ${show(images[slot])}`);
  }

  waiverRules(config, prod, ctx);
}

/** Production's safety defaults hold, or a waiver says why not; a waiver that sets nothing aside, or outside production, is refused. */
function waiverRules(config: unknown, prod: boolean, ctx: Report): void {
  for (const waiver of WAIVERS) {
    const recorded = valueAt(config, ['productionWaivers', waiver]) !== undefined;
    const weakened = PRODUCTION_SAFETY[waiver].weakened(config);
    const at = ['productionWaivers', waiver];
    if (!prod && recorded) {
      problem(ctx, at, "only an environment bound to BOOP production has production's safety defaults to set aside; remove it");
    } else if (prod && weakened !== undefined && !recorded) {
      problem(
        ctx,
        [...PRODUCTION_SAFETY[waiver].path],
        `production needs ${PRODUCTION_SAFETY[waiver].needs}${weakened}; keep it, or record why not in productionWaivers.${waiver} (one line, e.g. "pre-production, no customer traffic")`,
      );
    } else if (prod && recorded && weakened === undefined) {
      problem(ctx, at, `sets nothing aside: the configuration keeps ${PRODUCTION_SAFETY[waiver].setsAside}; remove it`);
    }
  }
}

/**
 * Why a production BOOP URL may not carry the keys, or undefined when it may: its host must be
 * BOOP's production host, or the configured trusted host, written exactly so (lowercase, no
 * trailing dot, user, password or port beyond the trusted host's own), and nothing but a path may
 * follow it. Compared as written, so no look-alike, encoded or differently spelled host passes.
 */
function productionHostProblem(value: string, field: 'baseUrl' | 'wsEndpoint', trustedHost: string | undefined): string | undefined {
  const scheme = field === 'baseUrl' ? 'https://' : 'wss://';
  const hosts = [BOOP_HOSTS.production, ...(trustedHost === undefined ? [] : [trustedHost])];
  // The authority is everything up to the first character that may end it in any URL parser (WHATWG also ends it at a backslash).
  const authority = value.startsWith(scheme) ? /^[^/?#\\]*/.exec(value.slice(scheme.length))![0] : undefined;
  const rest = authority === undefined ? '' : value.slice(scheme.length + authority.length);
  if (authority !== undefined && hosts.includes(authority) && /^(?:\/[^?#\\]*)?$/.test(rest)) return undefined;
  const host = URL.canParse(value) ? new URL(value).hostname.replace(/\.+$/, '') : '';
  const why = isDevelopmentBoop(host)
    ? 'Development URL detected in production configuration'
    : `in production the vendor id and API keys go only to BOOP's production host ${BOOP_HOSTS.production}${trustedHost ? ` or the trusted host ${trustedHost}` : ''}, written exactly so, with nothing but a path after it`;
  return `${why}; got ${showUrl(value)}; use ${BOOP_ENDPOINTS.production[field]}${trustedHost ? '' : ', or name your own egress proxy in boop.trustedHost with a reason'}`;
}

/** Whether a host name is BOOP's development host or one under it. */
function isDevelopmentBoop(host: string): boolean {
  return host === BOOP_HOSTS.development || host.endsWith(`.${BOOP_HOSTS.development}`);
}

/** Fargate allows only some memory sizes per CPU size. */
export function serviceRules(service: unknown, ctx: Report): void {
  const [cpu, memory] = [valueAt(service, ['cpu']), valueAt(service, ['memoryMiB'])];
  if (typeof cpu !== 'number' || !Object.hasOwn(FARGATE_MEMORY_BY_CPU, cpu) || typeof memory !== 'number') return;
  if (!FARGATE_MEMORY_BY_CPU[cpu].includes(memory))
    problem(ctx, ['memoryMiB'], `Fargate with ${cpu} CPU units allows ${fargateMemoryText(cpu)}, got ${memory}`);
}

/** The rollout only goes up, and ends with green taking all traffic. */
export function rolloutStepRules(steps: unknown, ctx: Report): void {
  if (!Array.isArray(steps) || steps.length === 0 || !steps.every((step) => typeof step === 'number')) return;
  if (steps.some((step, i) => i > 0 && step <= steps[i - 1])) problem(ctx, [], `must rise strictly, got ${show(steps)}`);
  if (steps[steps.length - 1] !== 100) problem(ctx, [], `must end at 100 so green can take all traffic, got ${show(steps)}`);
}

/** A network listed twice, in any notation. */
export const testerCidrListRules = listedOnce((entry) => {
  const cidr = parseCidr(entry);
  return cidr ? formatCidr(cidr) : entry;
});

/** An address listed twice for one severity, in any case (SNS would subscribe it twice; CDK refuses the second with a stack trace). */
export const emailListRules = listedOnce((entry) => entry.toLowerCase());

/** A rule refusing an entry listed twice, entries compared as `sameAs` writes them. */
function listedOnce(sameAs: (entry: string) => string) {
  return (list: unknown, ctx: Report): void => {
    if (!Array.isArray(list)) return;
    const seen = new Map<string, string>();
    list.forEach((entry: unknown, i) => {
      if (typeof entry !== 'string') return;
      const key = sameAs(entry);
      const first = seen.get(key);
      if (first === undefined) seen.set(key, entry);
      else problem(ctx, [i], `"${entry}" is listed twice${first === entry ? '' : ` (as "${first}")`}`);
    });
  };
}

/** An override together with the row's other numbers must still be an alarm CloudWatch accepts. */
export function overrideRules(row: ThresholdRow, override: unknown, ctx: Report): void {
  if (!isPlainObject(override)) return;
  const number = (key: 'periodMinutes' | 'evaluationPeriods' | 'datapointsToAlarm') => {
    const value = Object.hasOwn(override, key) ? override[key] : row[key];
    return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : undefined;
  };
  const [period, evaluations, datapoints] = [number('periodMinutes'), number('evaluationPeriods'), number('datapointsToAlarm')];
  if (period && evaluations && period * evaluations > CLOUDWATCH_LONGEST_WINDOW_MINUTES) {
    problem(ctx, [], `periodMinutes × evaluationPeriods must not exceed one day (CloudWatch), got ${period} × ${evaluations}`);
  }
  if (datapoints && evaluations && datapoints > evaluations) {
    if (Object.hasOwn(override, 'datapointsToAlarm'))
      problem(ctx, ['datapointsToAlarm'], `must not exceed evaluationPeriods (${evaluations}), got ${datapoints}`);
    else
      problem(
        ctx,
        ['evaluationPeriods'],
        `must not be below the table's datapointsToAlarm (${datapoints}), got ${evaluations}; override datapointsToAlarm too`,
      );
  }
}
