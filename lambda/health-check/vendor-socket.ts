/**
 * The vendor WebSocket check (docs/design.md "Health check"): connect to BOOP's vendor WebSocket,
 * authenticate, send BOOP's keep-alive ping, expect its pong, and close normally. BOOP's API
 * reference "Vendor WebSocket" gives three ways (dialects) to authenticate; the check tries them
 * in turn, each on a fresh connection, and remembers the one BOOP understood. A rejected key falls
 * back once to the other key (KeyManager.withKey). It never throws: every outcome is a result.
 */
import WebSocket, { RawData } from 'ws';
import { INVALID_KEY_CODES, KEY_REJECTED_STATUS, KeySlot } from '../../common/keys/api-keys';
import { KeyManager, KeysRejectedError } from '../../common/keys/key-manager';
import { REDACTED, redactText } from '../../common/logging';
import { CheckOptions, CheckResult, Failure, trustedCertificateAuthorities } from './check-result';
import { connectionFailure, messageOf } from './errors';

/** The ways to authenticate, in the order they are tried: the API reference's frame, another page's frame, upgrade headers. */
export const DIALECTS = ['authenticate', 'vendor_hello', 'headers'] as const;
export type Dialect = (typeof DIALECTS)[number];

/** Where the check is pointed. */
export interface VendorSocketCheckProps {
  /** BOOP's vendor WebSocket, e.g. wss://app.boop.it/ws/vendor. */
  readonly endpoint: string;
  /** The vendor id BOOP issued (ven_live_... in production). */
  readonly vendorId: string;
}

/** What the vendor WebSocket check found. */
export interface VendorSocketResult extends CheckResult {
  /** True when BOOP rejected the key tried first, whether or not the other key then worked. */
  readonly keyFallback: boolean;
  /** The dialect BOOP understood in this run; absent when it understood none or was not reached. */
  readonly dialect?: Dialect;
}

/** A normal close, the only one that is not an abnormal closure (API "Vendor WebSocket"). */
const NORMAL_CLOSE = 1000;
/** A close frame without a code: an echo of our own close that omits the code still completes it normally (RFC 6455 7.1.5). */
const NO_STATUS_CLOSE = 1005;
/** Close codes meaning "I do not take this frame" (unsupported data, policy violation): BOOP did not understand the dialect. */
const NOT_UNDERSTOOD_CLOSES: readonly number[] = [1003, 1008];
/** BOOP's keep-alive, a JSON text frame (not a WebSocket control ping). */
const PING_FRAME = JSON.stringify({ type: 'ping' });
/** The largest frame read from BOOP; its answers are a few hundred bytes, so anything bigger is refused rather than buffered. */
const MAX_FRAME_BYTES = 64 * 1024;
/** How much of a text BOOP chose (an error message, a close reason, a frame) a reason quotes. */
const MAX_QUOTED_CHARS = 120;

/** Each dialect in words, as a reason names it. */
const DIALECT_WORDS: Readonly<Record<Dialect, string>> = {
  authenticate: 'with an "authenticate" frame',
  vendor_hello: 'with a "vendor_hello" frame',
  headers: 'in the X-Vendor-Id and X-API-Key upgrade headers',
};

/** Where one connection is in its conversation; a reason names it when time runs out. */
type Stage = 'connecting' | 'authenticating' | 'waiting for pong' | 'closing';

/** How one connection in one dialect ended. */
type Talk =
  | { readonly kind: 'healthy' }
  | { readonly kind: 'failed'; readonly failure: Failure; readonly reason: string }
  /** BOOP did not take this dialect: the next one is worth a try. */
  | { readonly kind: 'not-understood'; readonly answer: string }
  | { readonly kind: 'key-rejected'; readonly answer: string; readonly code?: string; readonly status?: number };

/** A connection's end, and whether BOOP showed it understood the dialect (answered the authentication, or the pong in the headers dialect). */
type TalkEnd = Talk & { readonly understood: boolean };

/** What one key's attempt ends in when the key was not rejected. */
type KeyOutcome = Exclude<Talk, { kind: 'not-understood' | 'key-rejected' }>;

/** Thrown from an attempt so that withKey tries the other key: carries BOOP's status or code, which isKeyRejection reads, never the key. */
class SocketKeyRejection extends Error {
  readonly code?: string;
  readonly status?: number;

  constructor(answer: string, code?: string, status?: number) {
    super(`BOOP rejected the key on the vendor WebSocket (${answer})`);
    this.name = 'SocketKeyRejection';
    this.code = code;
    this.status = status;
  }
}

/** Checks BOOP's vendor WebSocket; keep one instance across runs, so it remembers the dialect BOOP speaks. */
export class VendorSocketCheck {
  private readonly endpoint: string;
  private readonly vendorId: string;
  /** The dialect BOOP last understood: the next run starts with it. */
  private dialect?: Dialect;

  constructor(props: VendorSocketCheckProps) {
    this.endpoint = props.endpoint;
    this.vendorId = props.vendorId;
  }

  /** Authenticates with the key `keys` picks (the other one once if BOOP rejects it), pings, expects pong, closes normally. Never throws. */
  async run(keys: KeyManager, options: CheckOptions): Promise<VendorSocketResult> {
    const started = Date.now();
    const usedKeys: string[] = [];
    const rejected: string[] = [];
    let understood: Dialect | undefined;
    const result = (healthy: boolean, reason: string, failure?: Failure): VendorSocketResult => ({
      healthy,
      ...(failure === undefined ? {} : { failure }),
      // One line: Node's TLS errors carry OpenSSL's own line breaks.
      reason: scrub(reason, usedKeys).replace(/\s+/g, ' ').trim(),
      keyFallback: rejected.length > 0,
      ...(understood === undefined ? {} : { dialect: understood }),
      ms: Date.now() - started,
    });
    try {
      const { value, slot } = await keys.withKey(async (key: string, keySlot: KeySlot): Promise<KeyOutcome> => {
        usedKeys.push(key);
        const { talk, dialect } = await this.tryDialects(key, options);
        if (dialect !== undefined) understood = dialect;
        if (talk.kind === 'key-rejected') {
          rejected.push(`the ${keySlot} key (${talk.answer})`);
          throw new SocketKeyRejection(talk.answer, talk.code, talk.status);
        }
        return talk;
      });
      if (value.kind === 'failed') {
        const before = rejected.length > 0 ? `BOOP rejected ${rejected.join(' and ')}; with the ${slot} key, ` : '';
        return result(false, `${before}${value.reason}`, value.failure);
      }
      const before = rejected.length > 0 ? `rejected ${rejected.join(' and ')} and ` : '';
      const how = understood === undefined ? '' : ` ${DIALECT_WORDS[understood]}`;
      return result(true, `BOOP ${before}accepted the ${slot} key${how}, answered the ping with a pong and closed normally (${NORMAL_CLOSE})`);
    } catch (error) {
      // Says which slots were rejected and whether the other key was absent or rejected too; never a key.
      if (error instanceof KeysRejectedError) return result(false, error.message, 'key-rejected');
      // Nothing but loading the keys throws before an attempt ran (SSM unreachable, no key at all).
      if (usedKeys.length === 0) return result(false, `could not read the BOOP API keys: ${messageOf(error)}`, 'keys-unreadable');
      return result(false, `the vendor WebSocket check failed: ${messageOf(error)}`, 'internal');
    }
  }

  /** One key through the dialects, starting with the remembered one, until BOOP understands one or none is left. */
  private async tryDialects(key: string, options: CheckOptions): Promise<{ talk: Exclude<Talk, { kind: 'not-understood' }>; dialect?: Dialect }> {
    const remembered = this.dialect;
    const order = remembered === undefined ? DIALECTS : [remembered, ...DIALECTS.filter((dialect) => dialect !== remembered)];
    const refusals: string[] = [];
    for (const dialect of order) {
      const talk = await converse({ endpoint: this.endpoint, vendorId: this.vendorId, key, dialect, options });
      if (talk.understood) this.dialect = dialect;
      if (talk.kind !== 'not-understood') return { talk, dialect: talk.understood ? dialect : undefined };
      // BOOP stopped taking the remembered dialect: the next run starts over from the first.
      if (this.dialect === dialect) this.dialect = undefined;
      refusals.push(`${DIALECT_WORDS[dialect]}: ${talk.answer}`);
    }
    return { talk: { kind: 'failed', failure: 'auth-failed', reason: `BOOP refused every way to authenticate (${refusals.join('; ')})` } };
  }
}

/** One connection to make. */
interface Conversation {
  readonly endpoint: string;
  readonly vendorId: string;
  readonly key: string;
  readonly dialect: Dialect;
  readonly options: CheckOptions;
}

/** A JSON frame from BOOP: an object with a string `type`. */
type Frame = { readonly type: string } & Readonly<Record<string, unknown>>;

/** BOOP's answer to an authentication, in either frame dialect: accepted, or refused with its code. */
type AuthAnswer = { readonly accepted: true } | { readonly accepted: false; readonly code?: string; readonly words: string };

/**
 * One connection in one dialect: upgrade, authenticate, ping, pong, close. Ends on the first thing
 * that decides it, and then terminates the socket, so an aborted or failed conversation leaves
 * neither a socket nor a timer behind.
 */
function converse(conversation: Conversation): Promise<TalkEnd> {
  const { endpoint, vendorId, key, dialect, options } = conversation;
  const { signal } = options;
  if (signal.aborted) return Promise.resolve({ kind: 'failed', failure: 'timeout', reason: 'the time ran out before connecting', understood: false });
  // Quotes text BOOP chose, after taking out the key (BOOP may echo it back), so cutting it short cannot leave half a key.
  const quote = (text: string) => {
    const clean = scrub(text, [key]);
    return JSON.stringify(clean.length > MAX_QUOTED_CHARS ? `${clean.slice(0, MAX_QUOTED_CHARS)}…` : clean);
  };
  const frameName = dialect === 'headers' ? 'upgrade' : `"${dialect}" frame`;

  return new Promise<TalkEnd>((resolve) => {
    let stage: Stage = 'connecting';
    let understood = false;
    let ended = false;
    let socket: WebSocket | undefined;

    const end = (talk: Talk) => {
      if (ended) return;
      ended = true;
      signal.removeEventListener('abort', onAbort);
      if (socket !== undefined && socket.readyState !== WebSocket.CLOSED) socket.terminate();
      resolve({ ...talk, understood });
    };
    const fail = (failure: Failure, reason: string) => end({ kind: 'failed', failure, reason });
    const onAbort = () => {
      if (stage === 'waiting for pong') fail('no-pong', `BOOP did not answer the ping with a pong in time`);
      else fail('timeout', `the time ran out while ${stage}${stage === 'authenticating' ? ` (no answer to the ${frameName})` : ''}`);
    };

    try {
      socket = new WebSocket(endpoint, {
        // The credentials go only where the dialect puts them.
        headers: dialect === 'headers' ? { 'X-Vendor-Id': vendorId, 'X-API-Key': key } : undefined,
        // Node's `ca` replaces its trusted authorities; an extra one is trusted besides them.
        ca: options.ca === undefined ? undefined : trustedCertificateAuthorities(options.ca),
        maxPayload: MAX_FRAME_BYTES,
        perMessageDeflate: false,
        followRedirects: false,
      });
    } catch (error) {
      fail('internal', `the vendor WebSocket endpoint cannot be used: ${messageOf(error)}`);
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });

    socket.on('unexpected-response', (_request, response) => {
      const status = response.statusCode ?? 0;
      const answer = `HTTP ${status}${response.statusMessage ? ` ${quote(response.statusMessage)}` : ''}`;
      if (status !== KEY_REJECTED_STATUS) return fail('upgrade-rejected', `BOOP answered the WebSocket upgrade with ${answer}`);
      // A 401 to an upgrade that carried no key asks for credentials in the upgrade: another dialect, not a bad key.
      if (dialect !== 'headers') return end({ kind: 'not-understood', answer: `${answer} on an upgrade that carried no key` });
      understood = true;
      end({ kind: 'key-rejected', answer: `${answer} on the upgrade`, status });
    });

    /** An authentication refused: a bad key, or a dialect BOOP does not take. */
    const refused = (answer: Extract<AuthAnswer, { accepted: false }>) => {
      if (isInvalidKeyCode(answer.code)) {
        understood = true;
        return end({ kind: 'key-rejected', answer: answer.code, code: answer.code });
      }
      end({ kind: 'not-understood', answer: answer.words });
    };

    socket.on('open', () => {
      if (dialect === 'headers') {
        stage = 'waiting for pong';
        socket?.send(PING_FRAME);
      } else {
        stage = 'authenticating';
        socket?.send(JSON.stringify({ type: dialect, vendor_id: vendorId, api_key: key }));
      }
    });

    socket.on('message', (data: RawData, isBinary: boolean) => {
      const frame = isBinary ? undefined : parseFrame(data);
      const what = isBinary
        ? 'a binary frame'
        : frame === undefined
          ? `a frame that is not JSON (${quote(data.toString())})`
          : `a frame of type ${quote(frame.type)}`;
      const answer = frame === undefined ? undefined : authAnswer(frame, quote);
      if (stage === 'authenticating') {
        if (answer === undefined) return fail('unknown-frame', `BOOP answered the ${frameName} with ${what}`);
        if (answer.accepted) {
          understood = true;
          stage = 'waiting for pong';
          socket?.send(PING_FRAME);
          return;
        }
        return refused(answer);
      }
      if (stage === 'waiting for pong') {
        if (frame?.type === 'pong') {
          understood = true;
          stage = 'closing';
          socket?.close(NORMAL_CLOSE);
          return;
        }
        // A confirmation of the authentication (a headers-dialect BOOP may send one) is no answer to the ping: keep waiting.
        if (answer?.accepted) return;
        if (answer !== undefined && (isInvalidKeyCode(answer.code) || dialect === 'headers')) return refused(answer);
        if (answer !== undefined) return fail('no-pong', `BOOP answered the ping with ${answer.words} instead of a pong`);
        return fail('unknown-frame', `BOOP answered the ping with ${what}`);
      }
      // While closing, whatever BOOP still sends changes nothing.
    });

    socket.on('close', (code: number, reasonBytes: Buffer) => {
      const reason = reasonBytes.toString();
      const how =
        code === 1006 ? 'dropped the connection without a close frame (1006)' : `closed the connection with ${code}${reason ? ` ${quote(reason)}` : ''}`;
      if (stage === 'closing') {
        if (code === NORMAL_CLOSE || code === NO_STATUS_CLOSE) return end({ kind: 'healthy' });
        return fail('abnormal-close', `after the pong, BOOP ${how} instead of a normal close`);
      }
      if (stage === 'connecting') return fail('network', `the connection ended before the upgrade completed (${code})`);
      const beforeAnswer = stage === 'authenticating' || dialect === 'headers';
      if (beforeAnswer && NOT_UNDERSTOOD_CLOSES.includes(code)) return end({ kind: 'not-understood', answer: `BOOP ${how}` });
      if (code === NORMAL_CLOSE && stage === 'authenticating') return fail('auth-failed', `BOOP ${how} without answering the ${frameName}`);
      if (code === NORMAL_CLOSE) return fail('no-pong', `BOOP ${how} without answering the ping`);
      fail('abnormal-close', `BOOP ${how} while ${stage}`);
    });

    socket.on('error', (error: Error) => {
      if (stage === 'connecting') return fail(connectionFailure(error), `could not connect to ${endpoint}: ${messageOf(error)}`);
      fail('abnormal-close', `the connection failed while ${stage}: ${messageOf(error)}`);
    });
  });
}

/** A text frame as BOOP's JSON frame, or undefined when it is not JSON or has no string `type`. */
function parseFrame(data: RawData): Frame | undefined {
  try {
    const value: unknown = JSON.parse(data.toString());
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as { type?: unknown }).type === 'string') return value as Frame;
  } catch {
    // Not JSON: the caller says so.
  }
  return undefined;
}

/** The frame as an answer to an authentication, or undefined when it is not one. Accepts either dialect's answer whichever frame was sent. */
function authAnswer(frame: Frame, quote: (text: string) => string): AuthAnswer | undefined {
  if (frame.type === 'authenticated') return { accepted: true };
  let code: unknown;
  let message: unknown;
  if (frame.type === 'vendor_hello_response') {
    if (frame.success === true) return { accepted: true };
    // The page shows `error` both as an object with a code and as the code itself.
    const error = frame.error;
    code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : error;
    message = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
  } else if (frame.type === 'error') {
    code = frame.code;
    message = frame.message;
  } else {
    return undefined;
  }
  const codeText = typeof code === 'string' && code !== '' ? code : undefined;
  const words = `${frame.type} ${codeText === undefined ? 'without a code' : quote(codeText)}${typeof message === 'string' && message !== '' ? ` ${quote(message)}` : ''}`;
  return { accepted: false, code: codeText, words };
}

function isInvalidKeyCode(code: string | undefined): code is string {
  return code !== undefined && (INVALID_KEY_CODES as readonly string[]).includes(code);
}

/** Text without the keys used: anything shaped like a BOOP key (its prefix kept), then the exact values of keys without one. */
function scrub(text: string, keys: readonly string[]): string {
  return keys.reduce((clean, key) => clean.split(key).join(REDACTED), redactText(text));
}
