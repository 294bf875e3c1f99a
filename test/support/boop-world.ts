/**
 * Everything a health-check run talks to, as real local servers on 127.0.0.1: BOOP's REST API
 * (`GET /health`), its vendor WebSocket (the API reference's `authenticate` dialect), and a load
 * balancer that routes `X-Boop-Slot` to a slot, over HTTPS with a test CA's certificate or plain
 * HTTP. Each part is healthy, down or hanging; used by the run tests and the benchmark. Tells a test
 * when a hanging part holds a request, so the test aborts then, not after a guess at how long it takes.
 */
import * as http from 'http';
import * as https from 'https';
import { AddressInfo, Socket } from 'net';
import { TLSSocket } from 'tls';
import WebSocket, { WebSocketServer } from 'ws';
import { SLOT_HEADER, Slot } from '../../common/slots';
import { SLOT_HEALTH_CHECK_PATH } from '../../lib/guides';
import { testCertificateAuthority } from './test-certificates';

/** How one part behaves: answers as it should, answers that it is down, or never answers. */
export type PartState = 'healthy' | 'down' | 'hanging';

/** A part that can be left hanging: BOOP's /health, its vendor WebSocket, or a slot. */
export type WorldPart = 'boop' | 'socket' | Slot;

/** How long a test waits for something from 127.0.0.1 that takes milliseconds: far above need, so a busy machine cannot turn an answer into a timeout. */
export const ANSWER_BOUND_MS = 30_000;
/** How soon after its abort a check must end: wide, as it shows that the abort ends the wait (which would otherwise last forever), not how fast this machine is. */
export const SETTLE_BOUND_MS = 10_000;

export interface BoopWorldOptions {
  /** BOOP's `GET /health`: 200 ok, 503, or no answer. @default 'healthy' */
  readonly boop?: PartState;
  /** The vendor WebSocket: authenticates and pongs, closes abnormally, or never answers. @default 'healthy' */
  readonly socket?: PartState;
  /** The keys the WebSocket accepts. @default every key */
  readonly acceptedKeys?: readonly string[];
  /** Each slot behind the load balancer: 200, 503, or no answer. @default both healthy */
  readonly slots?: Partial<Record<Slot, PartState>>;
  /** The load balancer speaks HTTPS with a certificate for `hostName` (verified against the test CA). @default true */
  readonly https?: boolean;
}

export interface BoopWorld {
  readonly boopBaseUrl: string;
  readonly wsEndpoint: string;
  /** The load balancer's origin (`https://127.0.0.1:<port>`) and the name its certificate is for. */
  readonly slotTarget: { readonly origin: string; readonly hostName: string };
  /** The test CA, PEM, that signed the load balancer's certificate. */
  readonly ca: string;
  /** The TLS names (SNI) and Host headers the load balancer saw, per request. */
  readonly slotRequests: { readonly slot: string | undefined; readonly servername?: string; readonly host?: string }[];
  /** Resolves once a hanging part holds what it leaves unanswered: BOOP or a slot a request, the WebSocket an upgrade. */
  hung(part: WorldPart): Promise<void>;
  /** Resolves once a connection that asked for `slot` has closed: the probe closes it only after the whole answer, or on giving up. */
  slotClosed(slot: Slot): Promise<void>;
  close(): Promise<void>;
}

/** The public name of the test load balancer. */
export const TEST_HOST_NAME = 'slot.boop-health.test';
/** What BOOP's /health reports as its build. */
export const TEST_BOOP_VERSION = 'a1b2c3d';

export async function startBoopWorld(options: BoopWorldOptions = {}): Promise<BoopWorld> {
  const sockets = new Set<Socket>();
  const hung = occurrences<WorldPart>();
  const slotClosed = occurrences<Slot>();
  const track = (server: http.Server) => server.on('connection', (socket: Socket) => (sockets.add(socket), socket.on('close', () => sockets.delete(socket))));

  const boop = http.createServer((req, res) => {
    if (options.boop === 'hanging') return hung.happened('boop');
    if (req.url !== '/health') return void res.writeHead(404).end();
    if (options.boop === 'down') return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"unavailable"}');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', version: TEST_BOOP_VERSION }));
  });
  track(boop);

  const socketServer = http.createServer();
  track(socketServer);
  const wss = new WebSocketServer({ noServer: true });
  socketServer.on('upgrade', (req, socket, head) => {
    if (options.socket === 'hanging') return hung.happened('socket');
    wss.handleUpgrade(req, socket, head, (ws) => converse(ws, options));
  });

  const authority = testCertificateAuthority();
  const slotRequests: { slot: string | undefined; servername?: string; host?: string }[] = [];
  const slotHandler: http.RequestListener = (req, res) => {
    const slot = req.headers[SLOT_HEADER.toLowerCase()] as Slot | undefined;
    slotRequests.push({ slot, servername: (req.socket as TLSSocket).servername || undefined, host: req.headers.host });
    if (slot) req.socket.once('close', () => slotClosed.happened(slot));
    const state = slot ? (options.slots?.[slot] ?? 'healthy') : 'healthy';
    if (slot && state === 'hanging') return hung.happened(slot);
    if (req.url !== SLOT_HEALTH_CHECK_PATH) return void res.writeHead(404).end();
    res.writeHead(state === 'healthy' ? 200 : 503).end(JSON.stringify({ status: state }));
  };
  const secure = options.https ?? true;
  const loadBalancer = secure ? https.createServer(authority.serverCertificate(TEST_HOST_NAME), slotHandler) : http.createServer(slotHandler);
  track(loadBalancer);

  const ports = await Promise.all([boop, socketServer, loadBalancer].map((server) => listen(server)));
  return {
    boopBaseUrl: `http://127.0.0.1:${ports[0]}`,
    wsEndpoint: `ws://127.0.0.1:${ports[1]}/ws/vendor`,
    slotTarget: { origin: `${secure ? 'https' : 'http'}://127.0.0.1:${ports[2]}`, hostName: TEST_HOST_NAME },
    ca: authority.ca,
    slotRequests,
    hung: hung.when,
    slotClosed: slotClosed.when,
    async close() {
      for (const client of wss.clients) client.terminate();
      for (const socket of sockets) socket.destroy();
      await Promise.all([boop, socketServer, loadBalancer].map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}

/** The API reference's dialect: `authenticate` → `authenticated` or an invalid-key error; `ping` → `pong`. */
function converse(ws: WebSocket, options: BoopWorldOptions): void {
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as { type?: string; api_key?: string };
    if (frame.type === 'authenticate') {
      const accepted = options.acceptedKeys === undefined || options.acceptedKeys.includes(String(frame.api_key));
      ws.send(JSON.stringify(accepted ? { type: 'authenticated' } : { type: 'error', code: 'VENDOR_INVALID_KEY', message: 'invalid key' }));
    } else if (frame.type === 'ping') {
      if (options.socket === 'down') ws.close(1011, 'internal error');
      else ws.send(JSON.stringify({ type: 'pong' }));
    }
  });
}

/** `promise`, or a failure naming `what` once ANSWER_BOUND_MS has passed without it: a wait that cannot hang a test. */
export async function soon<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`waited ${ANSWER_BOUND_MS} ms for ${what}`)), ANSWER_BOUND_MS);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Aborts `deadline`, then waits for `check`: its result and how many ms after the abort it came. */
export async function settleAfterAbort<T>(deadline: AbortController, check: Promise<T>): Promise<{ result: T; afterAbortMs: number }> {
  const abortedAt = Date.now();
  deadline.abort();
  const result = await check;
  return { result, afterAbortMs: Date.now() - abortedAt };
}

/** Things that happen once per key, and promises that resolve when they have, whether asked for before or after. */
function occurrences<K>() {
  const each = new Map<K, { promise: Promise<void>; resolve: () => void }>();
  const of = (key: K) => {
    let entry = each.get(key);
    if (entry === undefined) {
      let resolve = () => {};
      const promise = new Promise<void>((done) => (resolve = done));
      entry = { promise, resolve };
      each.set(key, entry);
    }
    return entry;
  };
  return { happened: (key: K) => of(key).resolve(), when: (key: K) => of(key).promise };
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}
