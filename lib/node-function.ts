import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';

const REPO_ROOT = path.join(__dirname, '..');

/** Where a function's handler file is: `lambda/<folder>/handler.ts`. */
export function handlerEntry(folder: string): string {
  return path.join(REPO_ROOT, 'lambda', folder, 'handler.ts');
}

/**
 * How every function of the stack is built and run: bundled locally with esbuild from the lock
 * file (no Docker), on the newest Node.js runtime on Graviton.
 */
export const FUNCTION_DEFAULTS = {
  handler: 'handler',
  projectRoot: REPO_ROOT,
  depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
  runtime: lambda.Runtime.NODEJS_24_X,
  architecture: lambda.Architecture.ARM_64,
  bundling: {
    minify: true,
    sourceMap: true,
    target: 'node24',
    // The runtime provides the AWS SDK v3; bundling it would only grow the cold start.
    externalModules: ['@aws-sdk/*'],
    forceDockerBundling: false,
    // esbuild's size table on every synth is noise; its warnings and errors still print.
    logLevel: nodejs.LogLevel.WARNING,
  },
} satisfies Partial<nodejs.NodejsFunctionProps>;
