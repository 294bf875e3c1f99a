/** Reading the schema's shape back: the fields of a group, and every declared field with its path. */
import { z } from 'zod';
import { EnvironmentName } from './environments';
import { SettingInfo, SETTINGS } from './setting';

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
export function unwrapOptional(type: z.ZodType): z.ZodType {
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

/** A field's default in an environment: its value, or whether it must be set ("required") or may stay absent ("none"). */
export function defaultIn(field: DeclaredField, envName: EnvironmentName): { readonly value: unknown } | 'required' | 'none' {
  const value = field.info[envName];
  if (value !== undefined) return { value };
  return field.info.requiredIn?.includes(envName) || !field.optional ? 'required' : 'none';
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
