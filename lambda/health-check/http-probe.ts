/**
 * One HTTP(S) GET with a bounded wait: an answer (status, body, latency) or a failure classified by
 * cause. The only bound is the caller's abort signal, so a probe leaves no timer behind, and each
 * probe opens its own connection, so a run never inherits a stale socket from an earlier one.
 */
import http from 'http';
import https from 'https';
import { isIP } from 'net';
import { CheckOptions, Failure, trustedCertificateAuthorities } from './check-result';
import { connectionFailure, errorCode, messageOf, oneLine } from './errors';

/** How much of a body a probe keeps; a health answer is tiny, and a hostile or broken server must not fill the memory. */
export const PROBE_BODY_LIMIT_BYTES = 64 * 1024;

/** Sent on every probe, so BOOP's and the load balancer's logs can tell the health check apart. */
const PROBE_USER_AGENT = 'boop-deploy-health-check';

/** What a probe requests. */
export interface ProbeRequest {
  /** The URL to GET, http:// or https://; the connection goes to its host and port. */
  readonly url: string;
  /** Extra request headers. @default none */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The name the server is known by when the URL's host is only where to connect (a load balancer's
   * DNS name): sent as the Host header and, over https, as SNI and the name the certificate must match.
   * @default the URL's host
   */
  readonly hostName?: string;
}

/** The server answered over HTTP. */
export interface ProbeAnswer {
  readonly answered: true;
  /** The HTTP status code. */
  readonly status: number;
  /** The body as UTF-8 text, at most PROBE_BODY_LIMIT_BYTES of it. */
  readonly body: string;
  /** True when the body was longer than PROBE_BODY_LIMIT_BYTES and was cut there. */
  readonly truncated: boolean;
  /** From the start of the request to the whole body (or the cut), ms. */
  readonly latencyMs: number;
}

/** The causes a probe tells apart; 'internal' is a URL or header the request could not even be made with. */
export type ProbeFailure = Extract<Failure, 'timeout' | 'refused' | 'dns' | 'tls' | 'network' | 'internal'>;

/** The server did not answer over HTTP. */
export interface ProbeFailed {
  readonly answered: false;
  /** Why. */
  readonly failure: ProbeFailure;
  /** One line naming the host and, where there is one, the error code. */
  readonly reason: string;
}

export type ProbeOutcome = ProbeAnswer | ProbeFailed;

/** GETs `request.url` once and settles when the body is in, the connection fails, or `options.signal` aborts, whichever is first. */
export function probe(request: ProbeRequest, options: CheckOptions): Promise<ProbeOutcome> {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return Promise.resolve(failed('internal', `cannot check "${request.url}": it is not an absolute URL`));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.resolve(failed('internal', `cannot check "${request.url}": only http:// and https:// URLs can be checked`));
  }
  const where = request.hostName === undefined ? url.host : `${request.hostName} (via ${url.host})`;
  if (options.signal.aborted) return Promise.resolve(aborted(where));

  return new Promise<ProbeOutcome>((resolve) => {
    const started = performance.now();
    const secure = url.protocol === 'https:';
    let connected = false;
    let secured = false;
    let settled = false;
    let outgoing: http.ClientRequest | undefined;
    const settle = (outcome: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      options.signal.removeEventListener('abort', onAbort);
      // Whatever the outcome, the connection is done with: nothing stays open for a later run to trip over.
      outgoing?.destroy();
      resolve(outcome);
    };
    const onAbort = () => settle(aborted(where));
    const onError = (error: unknown) => settle(classify(error, where, secure && connected && !secured));

    const headers: Record<string, string> = { 'user-agent': PROBE_USER_AGENT };
    for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
    if (request.hostName !== undefined) headers.host = request.hostName;
    const requestOptions: https.RequestOptions = {
      method: 'GET',
      // URL keeps an IPv6 literal's brackets; a socket address has none.
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      headers,
      // A fresh agent per request: no keep-alive socket is shared between probes or runs.
      agent: false,
      ...(secure
        ? {
            rejectUnauthorized: true,
            ...(request.hostName !== undefined && isIP(request.hostName) === 0 ? { servername: request.hostName } : {}),
            ...(options.ca !== undefined ? { ca: trustedCertificateAuthorities(options.ca) } : {}),
          }
        : {}),
    };

    try {
      outgoing = (secure ? https : http).request(requestOptions, (response) => {
        const chunks: Buffer[] = [];
        let length = 0;
        const answer = (truncated: boolean): ProbeAnswer => ({
          answered: true,
          status: response.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          truncated,
          latencyMs: Math.round(performance.now() - started),
        });
        response.on('data', (chunk: Buffer) => {
          const room = PROBE_BODY_LIMIT_BYTES - length;
          chunks.push(chunk.subarray(0, Math.max(room, 0)));
          length += Math.min(chunk.length, Math.max(room, 0));
          if (chunk.length > room) settle(answer(true));
        });
        response.on('end', () => settle(answer(false)));
        response.on('error', onError);
        // A connection cut mid-body may close the response without an error; that is no answer either.
        response.on('close', () => {
          if (!response.complete) onError(Object.assign(new Error('the connection closed before the whole body arrived'), { code: 'ECONNRESET' }));
        });
      });
    } catch (error) {
      // Node refuses some requests before sending anything, e.g. a header value with a line break.
      settle(failed('internal', `cannot check ${where}: ${oneLine(messageOf(error))}`));
      return;
    }
    outgoing.on('socket', (socket) => {
      socket.once('connect', () => (connected = true));
      socket.once('secureConnect', () => (secured = true));
    });
    // Stays attached after settling: a late error of a destroyed request must not become an uncaught exception.
    outgoing.on('error', onError);
    options.signal.addEventListener('abort', onAbort, { once: true });
    outgoing.end();
  });
}

function failed(failure: ProbeFailure, reason: string): ProbeFailed {
  return { answered: false, failure, reason };
}

function aborted(where: string): ProbeFailed {
  return failed('timeout', `${where} did not answer before the check timeout`);
}

/** Names the cause of a connection error; `inHandshake` is an https connection that failed after TCP connected and before TLS completed. */
function classify(error: unknown, where: string, inHandshake: boolean): ProbeFailed {
  const code = errorCode(error);
  const detail = `(${code ?? 'no error code'}): ${oneLine(messageOf(error))}`;
  const failure = connectionFailure(error);
  if (failure === 'refused') return failed('refused', `${where} refused the connection (${code})`);
  if (failure === 'dns') return failed('dns', `cannot resolve ${where} (${code})`);
  if (failure === 'tls' || inHandshake) return failed('tls', `TLS with ${where} failed ${detail}`);
  return failed('network', `the connection to ${where} failed ${detail}`);
}
