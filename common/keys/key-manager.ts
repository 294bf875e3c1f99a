/**
 * The BOOP API key manager: which key to call BOOP with, and the one fallback when BOOP rejects it.
 * ENV "API Key Management" (ApiKeyManager) made safe to run: it never loops, never logs, and never
 * puts a key in an error message.
 *
 * This file is also the reference for the integration service's authors. ECS gives every task of
 * both slots the variables the guide names (KEY_VARIABLES in ./api-keys): BOOP_API_KEY always, and
 * during a rotation BOOP_API_KEY_SECONDARY and BOOP_KEY_ROTATION_DATE (YYYY-MM-DD, from 00:00 UTC
 * of that day). A task reads them when it starts, so a changed key reaches it only after
 * `npm run keys -- restart`. The service's rules, which this class implements:
 *   - the current key is the secondary from the rotation date on, else the primary; if the current
 *     one is absent (blank counts as absent), the other;
 *   - when BOOP rejects a key (HTTP 401, or an error code in INVALID_KEY_CODES), try the other key
 *     once and report which worked; if both are rejected, stop and report it (no retry loop);
 *   - keep the keys no longer than BOOP_CACHE_TTL seconds, so a service that reads them from SSM
 *     sees a new key within that time;
 *   - never log a key, nor put one in an error.
 * In TypeScript:
 *   const keys = new KeyManager({ source: keysFromEnvironment(process.env), cacheTtlSeconds: Number(process.env.BOOP_CACHE_TTL) });
 *   const { value, slot, fellBack } = await keys.withKey((key) => callBoop({ headers: { 'X-API-Key': key } }));
 * Plain TypeScript with no imports beyond common/ and the SSM client, so a function bundle loads it.
 */
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { currentKeySlot, INVALID_KEY_CODES, KEY_REJECTED_STATUS, KEY_VARIABLES, KeySlot, otherKeySlot } from './api-keys';

/** The keys and rotation date as read from their source; absent or blank ones are undefined. */
export interface KeySet {
  /** The primary key (BOOP_API_KEY). */
  readonly primary?: string;
  /** The secondary key (BOOP_API_KEY_SECONDARY); present during a rotation. */
  readonly secondary?: string;
  /** The day the secondary becomes current, YYYY-MM-DD (BOOP_KEY_ROTATION_DATE). */
  readonly rotationDate?: string;
}

/** Reads the keys once; the manager decides how often. */
export type KeySource = (() => Promise<KeySet>) & {
  /** Where each key is read, in words (variable or parameter names, never values), for the message when none is there. */
  readonly locations?: Readonly<Record<KeySlot, string>>;
};

/** Blank means absent: ECS and SSM hand over an empty or whitespace-only value as a string. */
function present(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** The keys in a process's environment, under the guide's variable names (KEY_VARIABLES). */
export function keysFromEnvironment(env: Record<string, string | undefined>): KeySource {
  const source = async (): Promise<KeySet> => ({
    primary: present(env[KEY_VARIABLES.primary]),
    secondary: present(env[KEY_VARIABLES.secondary]),
    rotationDate: present(env[KEY_VARIABLES.rotationDate]),
  });
  return Object.assign(source, {
    locations: { primary: `the variable ${KEY_VARIABLES.primary}`, secondary: `the variable ${KEY_VARIABLES.secondary}` },
  });
}

/** The names of an environment's key parameters in SSM (common/names.ts has them per environment). */
export interface KeyParameterNames {
  /** The primary key's SecureString parameter. */
  readonly primary: string;
  /** The secondary key's SecureString parameter. */
  readonly secondary: string;
  /** The rotation date's String parameter. */
  readonly rotationDate: string;
}

/** The keys in SSM: one GetParameters call, decrypted; a parameter SSM does not find is absent. `abortSignal` gives up on the call. */
export function keysFromSsm(ssm: SSMClient, names: KeyParameterNames, abortSignal?: AbortSignal): KeySource {
  const source = async (): Promise<KeySet> => {
    const command = new GetParametersCommand({ Names: [names.primary, names.secondary, names.rotationDate], WithDecryption: true });
    const answer = await ssm.send(command, { abortSignal });
    // Names SSM reports in InvalidParameters simply have no entry in Parameters.
    const values = new Map((answer.Parameters ?? []).map((parameter) => [parameter.Name, parameter.Value]));
    return {
      primary: present(values.get(names.primary)),
      secondary: present(values.get(names.secondary)),
      rotationDate: present(values.get(names.rotationDate)),
    };
  };
  return Object.assign(source, {
    locations: { primary: `the SSM parameter ${names.primary}`, secondary: `the SSM parameter ${names.secondary}` },
  });
}

interface RejectionLike {
  readonly status?: unknown;
  readonly statusCode?: unknown;
  readonly code?: unknown;
  readonly error?: { readonly code?: unknown };
}

/** The invalid-key code on an error, from a WebSocket answer (`code`) or a REST body (`error.code`); undefined when there is none. */
function invalidKeyCodeOf(error: RejectionLike): string | undefined {
  const codes = [error.code, typeof error.error === 'object' && error.error !== null ? error.error.code : undefined];
  return codes.find((code): code is string => typeof code === 'string' && (INVALID_KEY_CODES as readonly string[]).includes(code));
}

/** True when BOOP rejected the key: HTTP 401, or an invalid-key error code. Anything else (403, 429, 5xx, a timeout) is not the key's fault. */
export function isKeyRejection(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as RejectionLike;
  return e.status === KEY_REJECTED_STATUS || e.statusCode === KEY_REJECTED_STATUS || invalidKeyCodeOf(e) !== undefined;
}

/** How BOOP rejected a key, in words that hold no key: its status and its invalid-key code. */
function rejectionInWords(error: RejectionLike): string {
  const status = error.status ?? error.statusCode;
  return [typeof status === 'number' ? `HTTP ${status}` : undefined, invalidKeyCodeOf(error)].filter(Boolean).join(' ');
}

/** One key BOOP rejected: which slot, and how (never the key). */
export interface KeyRejection {
  /** The slot whose key was rejected. */
  readonly slot: KeySlot;
  /** The status and code BOOP answered, e.g. "HTTP 401 UNAUTHORIZED". */
  readonly answer: string;
}

/** BOOP rejected every key there is. Names the slots tried, never a key. */
export class KeysRejectedError extends Error {
  /** The slots tried, in order, with BOOP's answer to each. */
  readonly rejections: readonly KeyRejection[];

  constructor(rejections: readonly KeyRejection[], locations: Readonly<Record<KeySlot, string>>) {
    const tried = rejections.map((r) => `the ${r.slot} key (${r.answer})`).join(' and ');
    const untried = rejections.length === 1 ? `; the ${otherKeySlot(rejections[0].slot)} key is absent` : '';
    super(
      `BOOP rejected ${tried}${untried}; check that ${rejections.map((r) => locations[r.slot]).join(' and ')} ${rejections.length === 1 ? 'holds' : 'hold'} this environment's current key from BOOP`,
    );
    this.name = 'KeysRejectedError';
    this.rejections = rejections;
  }
}

/** What withKey returns: the attempt's value, the slot whose key BOOP accepted, and whether that was the fallback. */
export interface KeyedResult<T> {
  readonly value: T;
  readonly slot: KeySlot;
  /** True when the current key was rejected and the other one worked: time to check the rotation. */
  readonly fellBack: boolean;
}

/** How a KeyManager reads and keeps the keys. */
export interface KeyManagerOptions {
  /** Where the keys come from: keysFromEnvironment in a service, keysFromSsm in a function. */
  readonly source: KeySource;
  /** How long loaded keys are kept, seconds (the environment's BOOP_CACHE_TTL); 0 loads them for every call. */
  readonly cacheTtlSeconds: number;
  /** The clock, for the rotation date and the cache. @default () => new Date() */
  readonly now?: () => Date;
}

/** Where keys are read, in words, when the source does not say. */
const UNNAMED_LOCATIONS: Readonly<Record<KeySlot, string>> = { primary: 'the primary key', secondary: 'the secondary key' };

/** Picks the key to call BOOP with and falls back once when BOOP rejects it. */
export class KeyManager {
  private readonly source: KeySource;
  private readonly cacheTtlMs: number;
  private readonly now: () => Date;
  private readonly locations: Readonly<Record<KeySlot, string>>;
  private cached?: { readonly keys: KeySet; readonly loadedAtMs: number };
  private loading?: Promise<KeySet>;
  /** Bumped when the cache is dropped, so a load that started before the drop is not kept. */
  private generation = 0;

  constructor(options: KeyManagerOptions) {
    if (!Number.isFinite(options.cacheTtlSeconds) || options.cacheTtlSeconds < 0) {
      throw new Error(`the key cache TTL must be a number of seconds, 0 or more (BOOP_CACHE_TTL), not ${options.cacheTtlSeconds}`);
    }
    this.source = options.source;
    this.cacheTtlMs = options.cacheTtlSeconds * 1000;
    this.now = options.now ?? (() => new Date());
    this.locations = options.source.locations ?? UNNAMED_LOCATIONS;
  }

  /** The key to call BOOP with now, and its slot. Fails, naming where the keys are read, when there is none. */
  async current(): Promise<{ slot: KeySlot; key: string }> {
    const keys = await this.load();
    const slot = this.slotToUse(keys);
    return { slot, key: keys[slot] as string };
  }

  /**
   * Runs `attempt` with the current key; when BOOP rejects that key, runs it once more with the
   * other key if there is one. At most two attempts. Errors that are not a key rejection pass
   * through untouched; every key rejected ends in a KeysRejectedError and drops the cached keys.
   */
  async withKey<T>(attempt: (key: string, slot: KeySlot) => Promise<T>): Promise<KeyedResult<T>> {
    const keys = await this.load();
    const first = this.slotToUse(keys);
    let firstRejection: RejectionLike;
    try {
      return { value: await attempt(keys[first] as string, first), slot: first, fellBack: false };
    } catch (error) {
      if (!isKeyRejection(error)) throw error;
      firstRejection = error as RejectionLike;
    }
    const rejections: KeyRejection[] = [{ slot: first, answer: rejectionInWords(firstRejection) }];
    const second = otherKeySlot(first);
    const secondKey = keys[second];
    if (secondKey !== undefined) {
      try {
        return { value: await attempt(secondKey, second), slot: second, fellBack: true };
      } catch (error) {
        if (!isKeyRejection(error)) throw error;
        rejections.push({ slot: second, answer: rejectionInWords(error as RejectionLike) });
      }
    }
    // The keys may have been replaced since they were loaded: the next call reads them again.
    this.dropCache();
    throw new KeysRejectedError(rejections, this.locations);
  }

  /** The slot whose key is current (ENV getCurrentKey), or the other when that key is absent. */
  private slotToUse(keys: KeySet): KeySlot {
    const preferred = currentKeySlot(keys.rotationDate, this.now());
    if (keys[preferred] !== undefined) return preferred;
    if (keys[otherKeySlot(preferred)] !== undefined) return otherKeySlot(preferred);
    throw new Error(
      `no BOOP API key: ${this.locations.primary} and ${this.locations.secondary} are both absent or blank; set the primary key to this environment's key from BOOP`,
    );
  }

  /** The cached keys while fresh, else one load shared by everyone who asks meanwhile. A failed load is not kept. */
  private load(): Promise<KeySet> {
    if (this.cached !== undefined && this.now().getTime() - this.cached.loadedAtMs < this.cacheTtlMs) return Promise.resolve(this.cached.keys);
    if (this.loading === undefined) {
      const generation = this.generation;
      const loading = this.source().then((keys) => {
        if (generation === this.generation) this.cached = { keys, loadedAtMs: this.now().getTime() };
        return keys;
      });
      this.loading = loading;
      const forget = () => {
        if (this.loading === loading) this.loading = undefined;
      };
      loading.then(forget, forget);
    }
    return this.loading;
  }

  private dropCache(): void {
    this.cached = undefined;
    this.loading = undefined;
    this.generation += 1;
  }
}
