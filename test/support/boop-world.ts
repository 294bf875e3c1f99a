/**
 * Everything a health-check run talks to, as real local servers on 127.0.0.1: BOOP's REST API
 * (`GET /health`), its vendor WebSocket (the API reference's `authenticate` dialect), and a load
 * balancer that routes `X-Boop-Slot` to a slot, over HTTPS with a test CA's certificate or plain
 * HTTP. Each part is healthy, down or hanging; used by the run tests and the benchmark.
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
  close(): Promise<void>;
}

/** The public name of the test load balancer. */
export const TEST_HOST_NAME = 'slot.boop-health.test';
/** What BOOP's /health reports as its build. */
export const TEST_BOOP_VERSION = 'a1b2c3d';

export async function startBoopWorld(options: BoopWorldOptions = {}): Promise<BoopWorld> {
  const sockets = new Set<Socket>();
  const track = (server: http.Server) => server.on('connection', (socket: Socket) => (sockets.add(socket), socket.on('close', () => sockets.delete(socket))));

  const boop = http.createServer((req, res) => {
    if (options.boop === 'hanging') return;
    if (req.url !== '/health') return void res.writeHead(404).end();
    if (options.boop === 'down') return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"unavailable"}');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', version: TEST_BOOP_VERSION }));
  });
  track(boop);

  const socketServer = http.createServer();
  track(socketServer);
  const wss = new WebSocketServer({ noServer: true });
  socketServer.on('upgrade', (req, socket, head) => {
    if (options.socket === 'hanging') return;
    wss.handleUpgrade(req, socket, head, (ws) => converse(ws, options));
  });

  const authority = testCertificateAuthority();
  const slotRequests: { slot: string | undefined; servername?: string; host?: string }[] = [];
  const slotHandler: http.RequestListener = (req, res) => {
    const slot = req.headers[SLOT_HEADER.toLowerCase()] as Slot | undefined;
    slotRequests.push({ slot, servername: (req.socket as TLSSocket).servername || undefined, host: req.headers.host });
    const state = slot ? (options.slots?.[slot] ?? 'healthy') : 'healthy';
    if (state === 'hanging') return;
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

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}
