/**
 * The check of BOOP's own health endpoint, `GET {baseUrl}/health` (BOOP's public API reference,
 * "GET {baseUrl}/health"): healthy only on 200 with a JSON body whose `status` is "ok".
 */
import { CheckOptions, CheckResult } from './check-result';
import { probe } from './http-probe';

/** BOOP's health endpoint, below the base URL. */
const BOOP_HEALTH_PATH = '/health';

/** The status BOOP answers when it knows it is unhealthy (API reference: "503 when BOOP is unhealthy"). */
const BOOP_UNHEALTHY_STATUS = 503;

/** How much of an unexpected value (a status, a body, a version) a reason or a result quotes. */
const QUOTE_LIMIT = 64;

/** What the check of BOOP's /health found. */
export interface BoopApiResult extends CheckResult {
  /** BOOP's deployed build (the git hash in the body's `version`); absent when the body gave none. */
  readonly version?: string;
  /** From the request to BOOP's whole answer, ms; only when BOOP answered over HTTP, whatever the status. */
  readonly latencyMs?: number;
}

/** GETs BOOP's /health below `baseUrl` once and says whether BOOP reports itself healthy. */
export async function checkBoopApi(baseUrl: string, options: CheckOptions): Promise<BoopApiResult> {
  const started = Date.now();
  const result = (fields: Omit<BoopApiResult, 'ms'>): BoopApiResult => ({ ...fields, ms: Date.now() - started });
  const url = healthUrl(baseUrl);
  if (url === undefined) {
    return result({ healthy: false, failure: 'internal', reason: `BOOP's base URL ${quote(baseUrl)} is not an absolute http:// or https:// URL` });
  }

  const outcome = await probe({ url, headers: { accept: 'application/json' } }, options);
  if (!outcome.answered) return result({ healthy: false, failure: outcome.failure, reason: `BOOP's /health: ${outcome.reason}` });
  const { status, body, latencyMs } = outcome;
  if (status === BOOP_UNHEALTHY_STATUS) {
    return result({ healthy: false, failure: 'http-status', reason: `BOOP reports itself unhealthy (${status})`, latencyMs });
  }
  if (status !== 200) return result({ healthy: false, failure: 'http-status', reason: `BOOP's /health answered HTTP ${status}, expected 200`, latencyMs });

  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    const cut = outcome.truncated ? ' (cut at the size limit)' : '';
    return result({
      healthy: false,
      failure: 'invalid-json',
      reason: `BOOP's /health answered 200 with a body that is not JSON${cut}: ${quote(body)}`,
      latencyMs,
    });
  }
  const fields = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  const version = typeof fields.version === 'string' && fields.version !== '' ? fields.version.slice(0, QUOTE_LIMIT) : undefined;
  const measured = { latencyMs, ...(version === undefined ? {} : { version }) };
  if (fields.status !== 'ok') {
    const gave = 'status' in fields ? `status ${quote(fields.status)}` : 'no status';
    return result({ healthy: false, failure: 'not-ok', reason: `BOOP's /health answered 200 with ${gave}, expected "ok"`, ...measured });
  }
  return result({ healthy: true, reason: `BOOP is healthy (version ${version ?? 'not given'}, ${latencyMs} ms)`, ...measured });
}

/** `{baseUrl}/health`, keeping a path the base URL has and never doubling its trailing slash; undefined when baseUrl is no http(s) URL. */
function healthUrl(baseUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${BOOP_HEALTH_PATH}`;
  url.hash = '';
  return url.toString();
}

/** A value as one line of JSON, cut to QUOTE_LIMIT characters. */
function quote(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}…` : text;
}
