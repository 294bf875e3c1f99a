/**
 * Where a function's deployed code lies: the bundle the CLI uploads, found through the asset path
 * the function's metadata records in the cloud assembly (test/support/synth.ts `synthAssembly`).
 */
import * as path from 'path';
import { Assembly } from './synth';
import { CfnResource, resourcesOfType } from './resources';

/** A function of the stack and the directory of its bundle. */
export interface FunctionBundle {
  readonly logicalId: string;
  readonly resource: CfnResource;
  /** The bundle's directory, absolute: the handler's file and anything bundled beside it. */
  readonly directory: string;
}

/** Every AWS::Lambda::Function of the assembly's stack, with its bundle. */
export function functionBundles(assembly: Assembly): FunctionBundle[] {
  return resourcesOfType(assembly, 'AWS::Lambda::Function').map(([logicalId, resource]) => {
    const assetPath: string | undefined = resource.Metadata?.['aws:asset:path'];
    if (!assetPath) throw new Error(`function ${logicalId} records no aws:asset:path; synthesize with synthAssembly`);
    return { logicalId, resource, directory: path.join(assembly.directory, assetPath) };
  });
}

/** The bundle of the one function whose logical id starts with `idPrefix` (a construct path, e.g. `TrafficControlController`). */
export function functionBundle(assembly: Assembly, idPrefix: string): FunctionBundle {
  const found = functionBundles(assembly).filter((f) => f.logicalId.startsWith(idPrefix));
  if (found.length !== 1) throw new Error(`${found.length} functions have a logical id starting with ${idPrefix}, expected 1`);
  return found[0];
}
