/**
 * How a configuration field is declared: its zod type (value-types.ts) registered with what the
 * type cannot say, its defaults per environment, description and source. The schema (schema.ts)
 * is built from these; the defaults, the README table and the JSON Schema read them back.
 */
import { z } from 'zod';
import { EnvironmentName } from './environments';
import { group } from './value-types';

/** What a field says about itself besides its type. */
export interface SettingInfo<T = unknown> {
  /** What the field sets, in one line, in the user's words. */
  readonly description: string;
  /** Where the value comes from: a BOOP guide's title and section, or the AWS limit or choice behind it. */
  readonly source: string;
  /** The default in dev. @default none: the field is absent unless set (or required, when its type is not optional) */
  readonly dev?: T;
  /** The default in prod. @default none, as for dev */
  readonly prod?: T;
  /** Environments that need this optional field set. @default none */
  readonly requiredIn?: readonly EnvironmentName[];
  /** What a value looks like, where the type cannot say it in a few words (the README table). @default read from the type */
  readonly allowed?: string;
  /** What to set when the field is missing, e.g. "your ven_live_... id from BOOP". @default none */
  readonly whatToSet?: string | ((env: EnvironmentName) => string);
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

/** The same default in both environments. */
export function both<T>(value: T): { readonly dev: T; readonly prod: T } {
  return { dev: value, prod: value };
}

/** A group of fields; unknown fields in it are refused. */
export function section<S extends z.ZodRawShape>(description: string, shape: S) {
  const type = group(shape);
  type.register(SECTIONS, { description });
  return type;
}
