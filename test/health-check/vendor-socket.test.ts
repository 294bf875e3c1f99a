import { IncomingHttpHeaders } from 'http';
import { AddressInfo, createServer, Socket } from 'net';
import WebSocket, { WebSocketServer } from 'ws';
import { KeyManager, KeySet } from '../../common/keys/key-manager';
import { Dialect, DIALECTS, VendorSocketCheck, VendorSocketResult } from '../../lambda/health-check/vendor-socket';
import { ANSWER_BOUND_MS, SETTLE_BOUND_MS, settleAfterAbort, soon } from '../support/boop-world';

const PRIMARY = 'sk_test_primary_not_real';
const SECONDARY = 'sk_test_secondary_not_real';
const VENDOR_ID = 'ven_test_health_check';
const BOTH_KEYS: KeySet = { primary: PRIMARY, secondary: SECONDARY };

/** What the fake BOOP does; each test sets what it needs. */
interface Behaviour {
  /** The one dialect it understands, or none. */
  dialect: Dialect | 'none';
  /** The keys it accepts. */
  accepts: readonly string[];
  /** Answers every upgrade with this status instead of upgrading. */
  upgradeStatus?: number;
  /** How it answers the authentication frame. @default 'answer' */
  auth?: 'answer' | 'silent' | 'not-json';
  /** How it answers the ping. @default 'pong' */
  ping?: 'pong' | 'silent' | 'close-1011' | 'unknown-frame';
  /** How a refused vendor_hello writes its error: an object with a code, or the code alone. @default 'object' */
  helloError?: 'object' | 'string';
}

/** A BOOP vendor WebSocket on 127.0.0.1 speaking one dialect, as the API reference's pages describe each. It echoes a rejected key back, as a careless server might. */
class FakeBoop {
  /** Upgrade requests received, accepted or not. */
  readonly upgrades: IncomingHttpHeaders[] = [];
  /** The close code of every connection that ended, as the server saw it. */
  readonly closeCodes: number[] = [];
  /** Resolves once BOOP holds a frame it leaves unanswered (a silent authentication or ping): a test aborts then. */
  readonly leftUnanswered: Promise<void>;
  private leaveUnanswered = () => {};

  private constructor(
    readonly behaviour: Behaviour,
    private readonly server: WebSocketServer,
  ) {
    this.leftUnanswered = new Promise((resolve) => (this.leaveUnanswered = resolve));
  }

  static start(behaviour: Behaviour): Promise<FakeBoop> {
    return new Promise((resolve) => {
      let boop: FakeBoop | undefined = undefined;
      const server = new WebSocketServer({ host: '127.0.0.1', port: 0, verifyClient: (info, done) => boop?.verify(info.req.headers, done) }, () =>
        resolve(boop as FakeBoop),
      );
      boop = new FakeBoop(behaviour, server);
      server.on('connection', (socket) => boop?.converse(socket));
    });
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/ws/vendor`;
  }

  stop(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private verify(headers: IncomingHttpHeaders, done: (ok: boolean, status?: number) => void): void {
    this.upgrades.push(headers);
    const { upgradeStatus, dialect, accepts } = this.behaviour;
    if (upgradeStatus !== undefined) return done(false, upgradeStatus);
    if (dialect !== 'headers') return done(true);
    const key = headers['x-api-key'];
    done(headers['x-vendor-id'] === VENDOR_ID && typeof key === 'string' && accepts.includes(key), 401);
  }

  private converse(socket: WebSocket): void {
    const { dialect, accepts, auth = 'answer', ping = 'pong', helloError = 'object' } = this.behaviour;
    let authenticated = dialect === 'headers';
    socket.on('close', (code) => this.closeCodes.push(code));
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { type: string; vendor_id?: string; api_key?: string };
      const send = (value: object) => socket.send(JSON.stringify(value));
      if (!authenticated) {
        if (frame.type !== dialect) {
          if (dialect === 'authenticate') return send({ type: 'error', code: 'NOT_AUTHENTICATED', message: 'send authenticate first' });
          return socket.close(1003, `expected ${dialect}`);
        }
        if (auth === 'silent') return this.leaveUnanswered();
        if (auth === 'not-json') return socket.send('welcome, vendor');
        const ok = frame.vendor_id === VENDOR_ID && frame.api_key !== undefined && accepts.includes(frame.api_key);
        authenticated = ok;
        const message = `key ${frame.api_key} is not valid`;
        if (dialect === 'authenticate') return send(ok ? { type: 'authenticated' } : { type: 'error', code: 'VENDOR_INVALID_KEY', message });
        const error = helloError === 'object' ? { code: 'AUTH_FAILED', message } : 'AUTH_FAILED';
        return send(ok ? { type: 'vendor_hello_response', success: true } : { type: 'vendor_hello_response', success: false, error });
      }
      if (frame.type !== 'ping') return socket.close(1008, 'credentials go in the upgrade');
      if (ping === 'pong') send({ type: 'pong' });
      else if (ping === 'silent') this.leaveUnanswered();
      else if (ping === 'close-1011') socket.close(1011, `internal error for ${PRIMARY}`);
      else if (ping === 'unknown-frame') send({ type: 'surprise' });
    });
  }
}

/** Every result of this file, for the check that none holds a key. */
const results: VendorSocketResult[] = [];

function keyManager(keys: KeySet = BOTH_KEYS, fail?: Error): KeyManager {
  return new KeyManager({
    source: async () => {
      if (fail) throw fail;
      return keys;
    },
    cacheTtlSeconds: 0,
  });
}

/** One run; the tests where BOOP never answers pass a signal they abort themselves. */
async function check(subject: VendorSocketCheck, keys: KeyManager = keyManager(), signal = AbortSignal.timeout(ANSWER_BOUND_MS)): Promise<VendorSocketResult> {
  const result = await subject.run(keys, { signal });
  results.push(result);
  return result;
}

describe('VendorSocketCheck', () => {
  let boop: FakeBoop | undefined;
  const serve = async (behaviour: Behaviour) => {
    boop = await FakeBoop.start(behaviour);
    return { boop, subject: new VendorSocketCheck({ endpoint: boop.url, vendorId: VENDOR_ID }) };
  };
  afterEach(async () => {
    await boop?.stop();
    boop = undefined;
  });

  it.each(DIALECTS)('is healthy when BOOP speaks the %s dialect, and closes normally', async (dialect) => {
    const { boop, subject } = await serve({ dialect, accepts: [PRIMARY] });
    const result = await check(subject);
    expect(result).toMatchObject({ healthy: true, dialect, keyFallback: false });
    expect(result.failure).toBeUndefined();
    expect(result.reason).toContain('primary key');
    // Only the connection that understood completes a close; the server saw ours as a normal one.
    expect(boop.closeCodes.at(-1)).toBe(1000);
    // The key travels in the upgrade only in the headers dialect.
    const withKeyHeader = boop.upgrades.filter((headers) => headers['x-api-key'] !== undefined);
    expect(withKeyHeader).toHaveLength(dialect === 'headers' ? 1 : 0);
  });

  it.each([
    ['authenticate', 'object'],
    ['vendor_hello', 'object'],
    ['vendor_hello', 'string'],
  ] as const)('falls back to the other key when the %s dialect rejects the first (error as %s)', async (dialect, helloError) => {
    const { subject } = await serve({ dialect, accepts: [SECONDARY], helloError });
    const result = await check(subject);
    expect(result).toMatchObject({ healthy: true, keyFallback: true, dialect });
    expect(result.reason).toMatch(/rejected the primary key.*accepted the secondary key/);
  });

  it('falls back to the other key when the upgrade answers 401 to the first', async () => {
    const { subject } = await serve({ dialect: 'headers', accepts: [SECONDARY] });
    const result = await check(subject);
    expect(result).toMatchObject({ healthy: true, keyFallback: true, dialect: 'headers' });
    expect(result.reason).toMatch(/rejected the primary key \(HTTP 401\b.*\).*accepted the secondary key/);
  });

  it.each(DIALECTS)('fails key-rejected when the %s dialect rejects both keys', async (dialect) => {
    const { subject } = await serve({ dialect, accepts: [] });
    const result = await check(subject);
    expect(result).toMatchObject({ healthy: false, failure: 'key-rejected', keyFallback: true, dialect });
    expect(result.reason).toMatch(/primary key .* and the secondary key/);
  });

  it('fails key-rejected, saying the other key is absent, when the only key is rejected', async () => {
    const { subject } = await serve({ dialect: 'authenticate', accepts: [SECONDARY] });
    const result = await check(subject, keyManager({ primary: PRIMARY }));
    expect(result).toMatchObject({ healthy: false, failure: 'key-rejected', keyFallback: true });
    expect(result.reason).toContain('the secondary key is absent');
  });

  it('fails keys-unreadable when the keys cannot be loaded, or there is none', async () => {
    const { boop, subject } = await serve({ dialect: 'authenticate', accepts: [PRIMARY] });
    const unreachable = await check(subject, keyManager(BOTH_KEYS, new Error('SSM did not answer')));
    expect(unreachable).toMatchObject({ healthy: false, failure: 'keys-unreadable', keyFallback: false });
    expect(unreachable.reason).toContain('SSM did not answer');
    const none = await check(subject, keyManager({}));
    expect(none).toMatchObject({ healthy: false, failure: 'keys-unreadable' });
    expect(none.reason).toContain('no BOOP API key');
    expect(boop.upgrades).toHaveLength(0);
  });

  it('fails upgrade-rejected with the status when the upgrade is answered 503', async () => {
    const { subject } = await serve({ dialect: 'authenticate', accepts: [PRIMARY], upgradeStatus: 503 });
    const result = await check(subject);
    expect(result).toMatchObject({ healthy: false, failure: 'upgrade-rejected', keyFallback: false });
    expect(result.reason).toContain('503');
  });

  it('fails no-pong when the pong never comes', async () => {
    const { boop, subject } = await serve({ dialect: 'authenticate', accepts: [PRIMARY], ping: 'silent' });
    const deadline = new AbortController();
    const checking = check(subject, keyManager(), deadline.signal);
    await soon(boop.leftUnanswered, 'BOOP to hold the ping');
    const { result, afterAbortMs } = await settleAfterAbort(deadline, checking);
    expect(afterAbortMs).toBeLessThanOrEqual(SETTLE_BOUND_MS);
    expect(result).toMatchObject({ healthy: false, failure: 'no-pong', dialect: 'authenticate' });
  });

  it('fails abnormal-close with the code and reason when BOOP closes with 1011 after authenticating', async () => {
    const { subject } = await serve({ dialect: 'vendor_hello', accepts: [PRIMARY], ping: 'close-1011' });
    const result = await check(subject);
    expect(result).toMatchObject({ healthy: false, failure: 'abnormal-close' });
    expect(result.reason).toMatch(/closed the connection with 1011 "internal error for /);
  });

  it.each([
    ['the ping is answered by an undocumented type', { ping: 'unknown-frame' }, /ping with a frame of type "surprise"/],
    ['the authentication is answered by text that is not JSON', { auth: 'not-json' }, /"authenticate" frame with a frame that is not JSON/],
  ] as const)('fails unknown-frame when %s', async (_when, behaviour, reason) => {
    const { subject } = await serve({ dialect: 'authenticate', accepts: [PRIMARY], ...behaviour });
    const result = await check(subject);
    expect(result).toMatchObject({ healthy: false, failure: 'unknown-frame' });
    expect(result.reason).toMatch(reason);
  });

  it('fails timeout naming the stage when BOOP never answers the authentication', async () => {
    const { boop, subject } = await serve({ dialect: 'authenticate', accepts: [PRIMARY], auth: 'silent' });
    const deadline = new AbortController();
    const checking = check(subject, keyManager(), deadline.signal);
    await soon(boop.leftUnanswered, 'BOOP to hold the authentication');
    const { result, afterAbortMs } = await settleAfterAbort(deadline, checking);
    expect(afterAbortMs).toBeLessThanOrEqual(SETTLE_BOUND_MS);
    expect(result).toMatchObject({ healthy: false, failure: 'timeout' });
    expect(result.reason).toContain('authenticating');
  });

  it('remembers the dialect BOOP understood: the next run uses one connection', async () => {
    const { boop, subject } = await serve({ dialect: 'headers', accepts: [PRIMARY] });
    expect((await check(subject)).healthy).toBe(true);
    expect(boop.upgrades).toHaveLength(DIALECTS.length);
    expect((await check(subject)).healthy).toBe(true);
    expect(boop.upgrades).toHaveLength(DIALECTS.length + 1);
  });

  it('starts over from the first dialect when the remembered one stops being understood', async () => {
    const { boop, subject } = await serve({ dialect: 'vendor_hello', accepts: [PRIMARY] });
    expect((await check(subject)).dialect).toBe('vendor_hello');
    boop.behaviour.dialect = 'authenticate';
    const upgradesBefore = boop.upgrades.length;
    expect(await check(subject)).toMatchObject({ healthy: true, dialect: 'authenticate' });
    // The remembered vendor_hello, refused, then authenticate.
    expect(boop.upgrades.length - upgradesBefore).toBe(2);
  });

  it('fails auth-failed, naming every refusal, when no dialect is understood', async () => {
    const { subject } = await serve({ dialect: 'none', accepts: [PRIMARY] });
    const result = await check(subject);
    expect(result).toMatchObject({ healthy: false, failure: 'auth-failed', keyFallback: false });
    expect(result.dialect).toBeUndefined();
    expect(result.reason.match(/closed the connection with 1003/g)).toHaveLength(DIALECTS.length);
  });
});

describe('VendorSocketCheck when BOOP cannot be reached', () => {
  const sockets = new Set<Socket>();
  let hold = () => {};
  /** Resolves once the hanging server holds an upgrade request, which it never answers. */
  const upgradeHeld = new Promise<void>((resolve) => (hold = resolve));
  const hanging = createServer((socket) => {
    sockets.add(socket);
    socket.once('data', () => hold());
  });
  beforeAll(() => new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve)));
  afterAll(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => hanging.close(() => resolve()));
  });
  const at = (endpoint: string) => new VendorSocketCheck({ endpoint, vendorId: VENDOR_ID });

  it('ends at the abort when the server never answers the upgrade', async () => {
    const deadline = new AbortController();
    const checking = check(at(`ws://127.0.0.1:${(hanging.address() as AddressInfo).port}/ws/vendor`), keyManager(), deadline.signal);
    await soon(upgradeHeld, 'the server to hold the upgrade');
    const { result, afterAbortMs } = await settleAfterAbort(deadline, checking);
    // A bound that catches a check held open by a socket, not a speed claim.
    expect(afterAbortMs).toBeLessThanOrEqual(SETTLE_BOUND_MS);
    expect(result).toMatchObject({ healthy: false, failure: 'timeout', keyFallback: false });
    expect(result.reason).toContain('connecting');
  });

  it('fails refused when nothing listens', async () => {
    const boop = await FakeBoop.start({ dialect: 'authenticate', accepts: [PRIMARY] });
    const url = boop.url;
    await boop.stop();
    expect(await check(at(url))).toMatchObject({ healthy: false, failure: 'refused' });
  });

  it('fails dns when the name does not resolve', async () => {
    // .invalid never resolves (RFC 6761).
    expect(await check(at('ws://boop-health-check.invalid/ws/vendor'))).toMatchObject({ healthy: false, failure: 'dns' });
  });

  it('fails tls when the other side does not speak TLS', async () => {
    const boop = await FakeBoop.start({ dialect: 'authenticate', accepts: [PRIMARY] });
    try {
      expect(await check(at(boop.url.replace(/^ws:/, 'wss:')))).toMatchObject({ healthy: false, failure: 'tls' });
    } finally {
      await boop.stop();
    }
  });
});

// Runs last: every result above, healthy or not, including those where BOOP echoed the key back.
it('puts no key in any reason', () => {
  expect(results.length).toBeGreaterThan(20);
  const leaks = results.filter((result) => [PRIMARY, SECONDARY, 'not_real'].some((secret) => JSON.stringify(result).includes(secret)));
  expect(leaks).toEqual([]);
});
