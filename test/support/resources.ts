/**
 * Finding resources in a synthesized template: by type, by the construct that made them, and by
 * what a `{ Ref }` or `{ Fn::GetAtt }` points at.
 */
import { CfnElement, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * A value read from a synthesized template or dashboard body: schemaless JSON, read by field name.
 * The one place these tests give up static types.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Cfn = any;

/** A resource of a template, with the attributes these tests read typed. */
export type CfnResource = {
  Type: string;
  Properties: Record<string, Cfn>;
  DependsOn?: string | string[];
  Metadata?: Record<string, Cfn>;
  [key: string]: unknown;
};

/** Logical id → resource, for one resource type, from anything holding a template's resources. */
export function resourcesOfType<R extends { Type: string }>(from: { readonly resources: Readonly<Record<string, R>> }, type: string): [string, R][] {
  return Object.entries(from.resources).filter(([, r]) => r.Type === type);
}

/** The logical id of the resource a construct (an L2, through its default child) synthesizes to. */
export function logicalIdOf(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

/** The logical id a `{ Ref }` or `{ Fn::GetAtt }` points at, or undefined for anything else. */
export function referencedId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string') return v.Ref;
  if (Array.isArray(v['Fn::GetAtt'])) return v['Fn::GetAtt'][0] as string;
  return undefined;
}
