/**
 * The health check's HTTP checks against real servers on 127.0.0.1: BOOP's /health and each slot
 * through a stand-in load balancer, with every way they can fail told apart by cause and reason.
 */
import http from 'http';
import https from 'https';
import { AddressInfo, Socket } from 'net';
import { TLSSocket } from 'tls';
import { SLOT_HEADER, SLOTS, Slot } from '../../common/slots';
import { checkBoopApi } from '../../lambda/health-check/boop-api';
import { CheckOptions } from '../../lambda/health-check/check-result';
import { probe, PROBE_BODY_LIMIT_BYTES } from '../../lambda/health-check/http-probe';
import { checkSlot } from '../../lambda/health-check/slot';
import { SLOT_HEALTH_CHECK_PATH } from '../../lib/guides';
import { ANSWER_BOUND_MS, SETTLE_BOUND_MS, settleAfterAbort, soon, TEST_HOST_NAME } from '../support/boop-world';
import { testCertificateAuthority } from '../support/test-certificates';

const BOOP_HOST = 'boop-health.test';
const LOCAL = '127.0.0.1';

const authority = testCertificateAuthority();
/** For a check that gets an answer (a failure to connect is one); the tests of a server that never answers abort their own signal. */
const options = (): CheckOptions => ({ signal: AbortSignal.timeout(ANSWER_BOUND_MS), ca: authority.ca });

interface Server {
  readonly origin: string;
  readonly port: number;
  /** Every connection the server accepted, in order. */
  readonly sockets: Socket[];
  close(): Promise<void>;
}

const running: Server[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

/** A server on 127.0.0.1 (https when given a certificate), stopped after each test. */
async function serve(handler: http.RequestListener, certificate?: { cert: string; key: string }): Promise<Server> {
  const server = certificate ? https.createServer(certificate, handler) : http.createServer(handler);
  const sockets: Socket[] = [];
  server.on(certificate ? 'secureConnection' : 'connection', (socket: Socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, LOCAL, resolve));
  const { port } = server.address() as AddressInfo;
  const started: Server = {
    origin: `${certificate ? 'https' : 'http'}://${LOCAL}:${port}`,
    port,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  running.push(started);
  return started;
}

/** A stand-in for BOOP answering its /health with this status and body; records the paths asked for. */
async function boop(status: number, body: string, certificate?: { cert: string; key: string }) {
  const paths: string[] = [];
  const server = await serve((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  }, certificate);
  return { ...server, paths };
}

/** A server that takes requests and never answers; `held` resolves once it holds one. */
async function neverAnswers(): Promise<Server & { held: Promise<void> }> {
  let hold = () => {};
  const held = new Promise<void>((resolve) => (hold = resolve));
  return { ...(await serve(() => hold())), held };
}

/** Resolves when the server's end of a connection has closed; fails if it stays open SETTLE_BOUND_MS. */
function socketClosed(socket: Socket): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (socket.destroyed) return resolve();
    const timer = setTimeout(() => reject(new Error(`the connection stayed open ${SETTLE_BOUND_MS} ms`)), SETTLE_BOUND_MS);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe("BOOP's /health", () => {
  test('healthy: 200 with status "ok" records the version and the latency', async () => {
    const server = await boop(200, JSON.stringify({ status: 'ok', version: 'a1b2c3d' }), authority.serverCertificate(LOCAL));
    const started = performance.now();
    const result = await checkBoopApi(server.origin, options());
    const wallMs = Math.ceil(performance.now() - started);
    expect(result).toMatchObject({ healthy: true, version: 'a1b2c3d' });
    expect(result.failure).toBeUndefined();
    // The request's own time: within the time the whole call took, however long that was.
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(result.latencyMs).toBeLessThanOrEqual(wallMs);
    expect(result.reason).toContain('a1b2c3d');
  });

  test.each([
    ['', '/health'],
    ['/', '/health'],
    ['/v1', '/v1/health'],
    ['/v1/', '/v1/health'],
  ])('base URL path "%s" is kept and its trailing slash not doubled: GET %s', async (basePath, expected) => {
    const server = await boop(200, JSON.stringify({ status: 'ok' }));
    expect((await checkBoopApi(`${server.origin}${basePath}`, options())).healthy).toBe(true);
    expect(server.paths).toEqual([expected]);
  });

  test('503: BOOP reports itself unhealthy, and its latency is still recorded', async () => {
    const server = await boop(503, JSON.stringify({ status: 'unavailable' }));
    const result = await checkBoopApi(server.origin, options());
    expect(result).toMatchObject({ healthy: false, failure: 'http-status', reason: 'BOOP reports itself unhealthy (503)' });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
  });

  test('another status (500) is an http-status failure naming the code', async () => {
    const server = await boop(500, JSON.stringify({ success: false, error: { code: 'INTERNAL', message: 'boom' } }));
    const result = await checkBoopApi(server.origin, options());
    expect(result).toMatchObject({ healthy: false, failure: 'http-status' });
    expect(result.reason).toMatch(/\b500\b/);
  });

  test('a body that is not JSON is invalid-json, quoting the start of the body', async () => {
    const server = await boop(200, '<html>gateway says hello</html>');
    const result = await checkBoopApi(server.origin, options());
    expect(result).toMatchObject({ healthy: false, failure: 'invalid-json' });
    expect(result.reason).toContain('not JSON');
    expect(result.reason).toContain('<html>');
  });

  test('JSON whose status is not "ok" is not-ok, saying what status it gave, cut short', async () => {
    const status = `degraded${'!'.repeat(500)}`;
    const result = await checkBoopApi((await boop(200, JSON.stringify({ status, version: 'a1b2c3d' }))).origin, options());
    expect(result).toMatchObject({ healthy: false, failure: 'not-ok', version: 'a1b2c3d' });
    expect(result.reason).toContain('"degraded');
    expect(result.reason.length).toBeLessThan(200);
  });

  test('JSON without a status is not-ok, saying there was none', async () => {
    const result = await checkBoopApi((await boop(200, JSON.stringify({ healthy: true }))).origin, options());
    expect(result).toMatchObject({ healthy: false, failure: 'not-ok' });
    expect(result.reason).toContain('no status');
  });

  test('a server that never answers is a timeout, resolved promptly after the abort, its connection closed', async () => {
    const server = await neverAnswers();
    const deadline = new AbortController();
    const checking = checkBoopApi(server.origin, { signal: deadline.signal, ca: authority.ca });
    await soon(server.held, 'the server to hold the request');
    const { result, afterAbortMs } = await settleAfterAbort(deadline, checking);
    expect(afterAbortMs).toBeLessThanOrEqual(SETTLE_BOUND_MS);
    expect(result).toMatchObject({ healthy: false, failure: 'timeout' });
    expect(result.latencyMs).toBeUndefined();
    expect(result.reason).toContain(`${LOCAL}:${server.port}`);
    // The check hung up itself: the server sees its connection end without closing anything.
    expect(server.sockets).toHaveLength(1);
    await socketClosed(server.sockets[0]);
  });

  test('a signal aborted before the start is a timeout without connecting', async () => {
    const server = await serve((_req, res) => res.end('{"status":"ok"}'));
    const result = await checkBoopApi(server.origin, { signal: AbortSignal.abort() });
    expect(result.failure).toBe('timeout');
    expect(server.sockets).toHaveLength(0);
  });

  test('a closed port is refused, naming the address and ECONNREFUSED', async () => {
    const server = await serve(() => undefined);
    await server.close();
    const result = await checkBoopApi(server.origin, options());
    expect(result).toMatchObject({ healthy: false, failure: 'refused' });
    expect(result.reason).toContain(`${LOCAL}:${server.port}`);
    expect(result.reason).toContain('ECONNREFUSED');
  });

  test('a name that does not resolve (.invalid, RFC 6761) is a dns failure naming the host', async () => {
    const result = await checkBoopApi('https://boop-health.invalid', options());
    expect(result).toMatchObject({ healthy: false, failure: 'dns' });
    expect(result.reason).toContain('boop-health.invalid');
    expect(result.reason).toMatch(/ENOTFOUND|EAI_AGAIN/);
  });

  test('a certificate for another name is a tls failure naming the mismatch', async () => {
    const server = await boop(200, JSON.stringify({ status: 'ok' }), authority.serverCertificate(BOOP_HOST));
    const result = await checkBoopApi(server.origin, options());
    expect(result).toMatchObject({ healthy: false, failure: 'tls' });
    expect(result.reason).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(server.paths).toEqual([]);
  });

  test.each([
    ['another CA', () => ({ ca: authority.ca })],
    ["only Node's own CAs", () => ({})],
  ])('a certificate from a CA not trusted (trusting %s) is a tls failure', async (_trusting, trust) => {
    const untrusted = testCertificateAuthority('untrusted test CA').serverCertificate(LOCAL);
    const server = await boop(200, JSON.stringify({ status: 'ok' }), untrusted);
    const result = await checkBoopApi(server.origin, { signal: AbortSignal.timeout(ANSWER_BOUND_MS), ...trust() });
    expect(result).toMatchObject({ healthy: false, failure: 'tls' });
    expect(result.reason).toContain('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(server.paths).toEqual([]);
  });

  test('a base URL that is no http(s) URL is a clear internal failure', async () => {
    const result = await checkBoopApi('app.boop.it', options());
    expect(result).toMatchObject({ healthy: false, failure: 'internal' });
    expect(result.reason).toContain('"app.boop.it" is not an absolute http:// or https:// URL');
  });
});

describe('the probe', () => {
  test(`keeps at most ${PROBE_BODY_LIMIT_BYTES} bytes of a body and says it cut it`, async () => {
    const server = await serve((_req, res) => res.end('x'.repeat(PROBE_BODY_LIMIT_BYTES * 4)));
    const outcome = await probe({ url: server.origin }, options());
    expect(outcome).toMatchObject({ answered: true, status: 200, truncated: true });
    expect(outcome.answered && outcome.body.length).toBe(PROBE_BODY_LIMIT_BYTES);
  });

  test('opens a new connection for each probe and closes it', async () => {
    const server = await serve((_req, res) => res.end('ok'));
    await probe({ url: server.origin }, options());
    await probe({ url: server.origin }, options());
    expect(server.sockets).toHaveLength(2);
    await Promise.all(server.sockets.map(socketClosed));
  });

  test('a connection reset before the answer is a network failure naming the code', async () => {
    const server = await serve((req) => req.socket.resetAndDestroy());
    const outcome = await probe({ url: server.origin }, options());
    expect(outcome).toMatchObject({ answered: false, failure: 'network' });
    expect(!outcome.answered && outcome.reason).toContain('ECONNRESET');
  });
});

describe('each slot through the load balancer', () => {
  /** A stand-in ALB: answers each slot's health path with that slot's status, only for the right SNI and Host. */
  async function loadBalancer(secure: boolean) {
    const statuses: Record<Slot, number> = { blue: 200, green: 200 };
    const seen: { servername?: string | false | null; host?: string; slot?: string }[] = [];
    const server = await serve(
      (req, res) => {
        const servername = req.socket instanceof TLSSocket ? req.socket.servername : undefined;
        const slot = req.headers[SLOT_HEADER.toLowerCase()] as Slot | undefined;
        seen.push({ servername, host: req.headers.host, slot });
        // 421 Misdirected Request: what a server answers a request meant for another name.
        if ((secure && servername !== TEST_HOST_NAME) || req.headers.host !== TEST_HOST_NAME) return void res.writeHead(421).end();
        if (req.url !== SLOT_HEALTH_CHECK_PATH || slot === undefined || !(slot in statuses)) return void res.writeHead(404).end();
        res.writeHead(statuses[slot]).end('{"status":"healthy"}');
      },
      secure ? authority.serverCertificate(TEST_HOST_NAME) : undefined,
    );
    return { ...server, statuses, seen, target: { origin: server.origin, hostName: TEST_HOST_NAME } };
  }

  test('both slots up: each is healthy, asked with its own header, SNI and Host the public name', async () => {
    const alb = await loadBalancer(true);
    for (const slot of SLOTS) {
      const result = await checkSlot(alb.target, slot, options());
      expect(result).toMatchObject({ healthy: true });
      expect(result.reason).toContain(slot);
    }
    expect(alb.seen).toEqual(SLOTS.map((slot) => ({ servername: TEST_HOST_NAME, host: TEST_HOST_NAME, slot })));
  });

  test('green down (503): green is unhealthy with a reason naming it and the status, blue stays healthy', async () => {
    const alb = await loadBalancer(true);
    alb.statuses.green = 503;
    const [blue, green] = await Promise.all([checkSlot(alb.target, 'blue', options()), checkSlot(alb.target, 'green', options())]);
    expect(blue.healthy).toBe(true);
    expect(green).toMatchObject({ healthy: false, failure: 'http-status' });
    expect(green.reason).toContain('green');
    expect(green.reason).toContain('503');
  });

  test('a certificate for another name than hostName is a tls failure, and nothing reaches the slot', async () => {
    const alb = await loadBalancer(true);
    const result = await checkSlot({ ...alb.target, hostName: `other.${BOOP_HOST}` }, 'blue', options());
    expect(result).toMatchObject({ healthy: false, failure: 'tls' });
    expect(result.reason).toContain('blue');
    expect(result.reason).toContain(`other.${BOOP_HOST}`);
    expect(alb.seen).toEqual([]);
  });

  test('an http origin (no certificate) works, with the public name as Host', async () => {
    const alb = await loadBalancer(false);
    expect(alb.origin).toMatch(/^http:/);
    for (const slot of SLOTS) expect(await checkSlot(alb.target, slot, options())).toMatchObject({ healthy: true });
    expect(alb.seen.map((request) => request.host)).toEqual(SLOTS.map(() => TEST_HOST_NAME));
  });

  test('a slot the load balancer does not answer in time is a timeout naming the slot', async () => {
    const server = await neverAnswers();
    const deadline = new AbortController();
    const checking = checkSlot({ origin: server.origin, hostName: TEST_HOST_NAME }, 'green', { signal: deadline.signal });
    await soon(server.held, 'the load balancer to hold the request');
    const { result, afterAbortMs } = await settleAfterAbort(deadline, checking);
    expect(afterAbortMs).toBeLessThanOrEqual(SETTLE_BOUND_MS);
    expect(result).toMatchObject({ healthy: false, failure: 'timeout' });
    expect(result.reason).toContain('green');
  });
});
