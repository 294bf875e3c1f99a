/**
 * How a configuration field is declared, and the declarations read back. A field is its zod type
 * (formats.ts) registered with what the type cannot say: its defaults per environment, description
 * and source. The schema (schema.ts) is built from these; loading, the defaults, the README table
 * and the JSON Schema walk them.
 */
import { z } from 'zod';
import type { BoopEnvironment } from '../../common/names';
import { group } from './formats';

/** What a field says about itself besides its type. */
export interface SettingInfo<T = unknown> {
  /** What the field sets, in one line, in the user's words. */
  readonly description: string;
  /** Where the value comes from: a BOOP guide's title and section, or the AWS limit or choice behind it. */
  readonly source: string;
  /** The default of an environment bound to BOOP development. @default none: the field is absent unless set (or required, when its type is not optional) */
  readonly development?: T;
  /** The default of an environment bound to BOOP production. @default none, as for development */
  readonly production?: T;
  /** The BOOP environments whose environments need this optional field set. @default none */
  readonly requiredIn?: readonly BoopEnvironment[];
  /** Whether an empty value means none (`-c field=` clears what cdk.json sets); only for optional fields. @default false: empty text is missing */
  readonly emptyMeansNone?: boolean;
  /** What a value looks like, where the type cannot say it in a few words (the README table). @default read from the type */
  readonly allowed?: string;
  /** What to set when the field is missing, e.g. "your ven_live_... id from BOOP". @default none */
  readonly whatToSet?: string | ((boopEnvironment: BoopEnvironment) => string);
}

/** Every declared field's info, keyed by its zod type. */
export const SETTINGS = z.registry<SettingInfo>();
/** A section's one-line description (boop, service, ...), for the JSON Schema. */
export const SECTIONS = z.registry<{ readonly description: string }>();

/** Declares one field: its type and its info, with defaults typed by the type. */
export function setting<T extends z.ZodType>(type: T, info: SettingInfo<Readonly<z.output<T>>>): T {
  SETTINGS.add(type as z.ZodType, info as SettingInfo);
  return type;
}

/** The same default against both BOOP environments. */
export function both<T>(value: T): { readonly development: T; readonly production: T } {
  return { development: value, production: value };
}

/** A group of fields; unknown fields in it are refused. */
export function section<S extends z.ZodRawShape>(description: string, shape: S) {
  const type = group(shape);
  type.register(SECTIONS, { description });
  return type;
}

// ---------------------------------------------------------------------------------------------
// Reading the declarations back.

/** A field's place in the configuration, e.g. ['boop', 'baseUrl']. */
export type FieldPath = readonly string[];

/** A declared field: where it is, its type, and its info. */
export interface DeclaredField {
  readonly path: FieldPath;
  readonly type: z.ZodType;
  readonly info: SettingInfo;
  /** Whether the field (or a group it sits in) may be absent. */
  readonly optional: boolean;
}

/** The type inside `.optional()`. */
function unwrapOptional(type: z.ZodType): z.ZodType {
  return type instanceof z.ZodOptional ? unwrapOptional(type.unwrap() as z.ZodType) : type;
}

/** The fields of a group by name, own keys only (so `toString` or `__proto__` is never a field); undefined when the type is no group. */
export function groupFields(type: z.ZodType): Readonly<Record<string, z.ZodType>> | undefined {
  const inner = unwrapOptional(type);
  return inner instanceof z.ZodObject ? (inner.shape as Record<string, z.ZodType>) : undefined;
}

/** The field of a group with this name, if the group declares it. */
export function fieldOf(type: z.ZodType, name: string): z.ZodType | undefined {
  const fields = groupFields(type);
  return fields && Object.hasOwn(fields, name) ? fields[name] : undefined;
}

/** Whether a field holds text, which a `-c` value gives as is rather than as JSON. */
export function isTextField(type: z.ZodType): boolean {
  return unwrapOptional(type) instanceof z.ZodString;
}

/** Every declared field under `type`, depth first in declaration order; a declared group is one field. */
export function declaredFields(type: z.ZodType, path: FieldPath = [], optional = false): DeclaredField[] {
  const info = SETTINGS.get(type);
  const isOptional = optional || type instanceof z.ZodOptional;
  if (info) return [{ path, type, info, optional: isOptional }];
  const fields = groupFields(type);
  if (!fields) throw new Error(`configuration field ${path.join('.')} is declared without setting()`);
  return Object.entries(fields).flatMap(([name, child]) => declaredFields(child, [...path, name], isOptional));
}

/** A field's default in an environment bound to this BOOP environment: its value, or whether it must be set ("required") or may stay absent ("none"). */
export function defaultIn(field: DeclaredField, boopEnvironment: BoopEnvironment): { readonly value: unknown } | 'required' | 'none' {
  const value = field.info[boopEnvironment];
  if (value !== undefined) return { value };
  return field.info.requiredIn?.includes(boopEnvironment) || !field.optional ? 'required' : 'none';
}

/**
 * Every declared default of an environment bound to this BOOP environment, frozen. Each group that may not be absent starts
 * empty, so a missing required field is named by its own path.
 */
export function declaredDefaults(type: z.ZodType, boopEnvironment: BoopEnvironment): Readonly<Record<string, unknown>> {
  const defaults: Record<string, unknown> = {};
  const ensureGroups = (group: z.ZodType, target: Record<string, unknown>) => {
    for (const [name, child] of Object.entries(groupFields(group) ?? {})) {
      if (child instanceof z.ZodObject) ensureGroups(child, (target[name] = {}) as Record<string, unknown>);
    }
  };
  ensureGroups(type, defaults);
  for (const { path, info } of declaredFields(type)) {
    const value = info[boopEnvironment];
    if (value === undefined) continue;
    let target = defaults;
    for (const segment of path.slice(0, -1)) target = (isPlainObject(target[segment]) ? target[segment] : (target[segment] = {})) as Record<string, unknown>;
    target[path[path.length - 1]] = structuredClone(value);
  }
  return deepFreeze(defaults);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) Object.values(value).forEach(deepFreeze);
  return Object.freeze(value);
}

/** `boop.baseUrl`, `alerts.emails.high[0]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, segment) => (typeof segment === 'number' ? `${text}[${segment}]` : text ? `${text}.${String(segment)}` : String(segment)),
    '',
  );
}

/** The value at a path, or undefined where the path leads nowhere. */
export function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (node, segment) =>
      isPlainObject(node) || Array.isArray(node) ? (Object.hasOwn(node, segment) ? (node as Record<PropertyKey, unknown>)[segment] : undefined) : undefined,
    value,
  );
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
