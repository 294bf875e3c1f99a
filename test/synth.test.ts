/**
 * `npx cdk synth` as the user runs it: a child process with no AWS or CDK variables and an empty
 * HOME (no ~/.aws), so it proves synth works offline without credentials. Then the cloud assembly's
 * validation report: no error and no AwsSolutions (cdk-nag) finding may be left unacknowledged,
 * and a negative control shows those checks are live.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { createApp } from '../lib/app';
import { stackName } from '../common/stack-outputs';
import { CONFIRM_PRODUCTION_PARAMETER } from '../lib/boop-integration-stack';
import { ENVIRONMENT_NAMES } from '../lib/config/environment-config';
import { appContext, Json, PROD_EXAMPLE_FILE, prodExampleContext, REPO_ROOT } from './support/context';

const CDK = path.join(REPO_ROOT, 'node_modules', '.bin', 'cdk');
/** One synth takes 5-10 s on two busy cores; this is the point where it is stuck, not slow. */
const SYNTH_TIMEOUT_MS = 90_000;
/** An acknowledgement must say why, in a sentence. */
const MIN_REASON_LENGTH = 40;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'boop-synth-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The environment minus every AWS_* and CDK_* variable, with an empty HOME: no credentials anywhere. */
function offlineEnvironment(): NodeJS.ProcessEnv {
  const home = fs.mkdtempSync(path.join(tmp, 'home-'));
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(AWS_|CDK_)/.test(key)) env[key] = value;
  // npm (behind `npx tsx` in cdk.json's app command) would otherwise check the registry for updates.
  return { ...env, HOME: home, npm_config_update_notifier: 'false' };
}

interface SynthRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly outdir: string;
}

function cdkSynth(args: readonly string[]): Promise<SynthRun> {
  const outdir = fs.mkdtempSync(path.join(tmp, 'cdk.out-'));
  return new Promise((resolve, reject) => {
    const child = spawn(CDK, ['synth', '-q', '--no-notices', '-o', outdir, ...args], { cwd: REPO_ROOT, env: offlineEnvironment() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), SYNTH_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, outdir });
    });
  });
}

interface Violation {
  readonly ruleName: string;
  readonly severity?: string;
  readonly description?: string;
  readonly violatingConstructs?: Array<{ constructPath?: string }>;
}
interface PluginReport {
  readonly pluginName?: string;
  readonly summary?: { pluginName?: string };
  readonly violations?: Violation[];
}

/**
 * Findings left in a cloud assembly's validation reports that must not ship: any error, and any
 * AwsSolutions (cdk-nag) finding at all. Acknowledged findings sit in `suppressedViolations` and
 * do not count. Reads validation-report.json and, when written, the legacy policy-validation-report.json.
 */
function unacknowledgedFindings(outdir: string): string[] {
  const files = ['validation-report.json', 'policy-validation-report.json'].map((f) => path.join(outdir, f)).filter((f) => fs.existsSync(f));
  expect(files.length).toBeGreaterThan(0);
  return files.flatMap((file) => {
    const reports = (JSON.parse(fs.readFileSync(file, 'utf8')) as { pluginReports: PluginReport[] }).pluginReports;
    return reports.flatMap((report) => {
      const plugin = report.pluginName ?? report.summary?.pluginName ?? '?';
      return (report.violations ?? [])
        .filter((v) => ['error', 'fatal'].includes(v.severity ?? 'error') || /AwsSolutions/.test(`${plugin} ${v.ruleName}`))
        .map((v) => `${plugin} ${v.ruleName} (${v.severity}): ${v.description} at ${(v.violatingConstructs ?? []).map((c) => c.constructPath).join(', ')}`);
    });
  });
}

function noStackTrace(output: string): void {
  expect(output).not.toMatch(/^\s+at /m);
  expect(output).not.toContain('node:internal');
}

let devRun: SynthRun;
let prodRun: SynthRun;
let badProdRun: SynthRun;
let stagingRun: SynthRun;

beforeAll(async () => {
  [devRun, prodRun, badProdRun, stagingRun] = await Promise.all([
    cdkSynth([]),
    cdkSynth(['-c', 'env=prod', '-c', `configFile=${PROD_EXAMPLE_FILE}`]),
    cdkSynth(['-c', 'env=prod']),
    cdkSynth(['-c', 'env=staging']),
  ]);
}, 2 * SYNTH_TIMEOUT_MS);

describe('npx cdk synth, offline and without credentials', () => {
  test('dev, with no flags at all, writes the dev stack', () => {
    expect({ status: devRun.status, stderr: devRun.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
    const template = JSON.parse(fs.readFileSync(path.join(devRun.outdir, `${stackName('dev')}.template.json`), 'utf8'));
    expect(Object.keys(template.Resources).length).toBeGreaterThan(0);
    expect(template.Parameters?.[CONFIRM_PRODUCTION_PARAMETER]).toBeUndefined();
  }, 10_000);

  test(`prod, with -c env=prod -c configFile=${PROD_EXAMPLE_FILE}, writes the prod stack`, () => {
    expect({ status: prodRun.status, stderr: prodRun.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
    const template = JSON.parse(fs.readFileSync(path.join(prodRun.outdir, `${stackName('prod')}.template.json`), 'utf8'));
    expect(template.Parameters?.[CONFIRM_PRODUCTION_PARAMETER]).toBeDefined();
  }, 10_000);

  test.each([['dev', () => devRun], ['prod', () => prodRun]])('%s: synth needed no context lookups', (_name, run) => {
    const manifest = JSON.parse(fs.readFileSync(path.join(run().outdir, 'manifest.json'), 'utf8'));
    expect(manifest.missing ?? []).toEqual([]);
  }, 10_000);

  test.each([['dev', () => devRun], ['prod', () => prodRun]])('%s: cdk-nag and CloudFormation validation leave no unacknowledged finding', (_name, run) => {
    expect(unacknowledgedFindings(run().outdir)).toEqual([]);
  }, 10_000);

  test('a bad config (-c env=prod, no config file) fails naming the fields, without a stack trace', () => {
    expect(badProdRun.status).not.toBe(0);
    expect(badProdRun.stderr).toContain('boop.vendorId');
    expect(badProdRun.stderr).toContain('loadBalancer.certificateArn');
    noStackTrace(badProdRun.stderr);
    noStackTrace(badProdRun.stdout);
    expect(fs.existsSync(path.join(badProdRun.outdir, `${stackName('prod')}.template.json`))).toBe(false);
  }, 10_000);

  test('-c env=staging fails listing the known environments', () => {
    expect(stagingRun.status).not.toBe(0);
    expect(stagingRun.stderr).toContain('"staging"');
    expect(stagingRun.stderr).toContain(ENVIRONMENT_NAMES.join(', '));
    noStackTrace(stagingRun.stderr);
  }, 10_000);
});

describe('the validation checks are live (negative controls)', () => {
  test('a tiny app with cdk-nag: a bucket without TLS enforcement and an invalid property are findings', () => {
    const outdir = fs.mkdtempSync(path.join(tmp, 'control-'));
    const app = new App({ outdir, context: appContext() });
    const stack = new Stack(app, 'Control');
    new s3.Bucket(stack, 'PlainBucket', { enforceSSL: false });
    new CfnResource(stack, 'BadQueue', { type: 'AWS::SQS::Queue', properties: { VisibilityTimeout: 'soon' } });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-S10/);
    const findings = unacknowledgedFindings(outdir);
    expect(findings).toEqual(expect.arrayContaining([
      expect.stringMatching(/AwsSolutions-S10 .*Control\/PlainBucket/),
      expect.stringMatching(/CloudFormation Validate .*\(error\).*Control\/BadQueue/),
    ]));
  }, 30_000);

  test('the real app refuses the same bucket: its cdk-nag wiring is on', () => {
    const outdir = fs.mkdtempSync(path.join(tmp, 'control-app-'));
    const { app, stack } = createApp({ outdir, context: appContext() });
    new s3.Bucket(stack, 'PlainBucket', { enforceSSL: false });
    expect(() => app.synth()).toThrow(/AwsSolutions-S10/);
    expect(unacknowledgedFindings(outdir)).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`AwsSolutions-S10 .*${stackName('dev')}/PlainBucket`))]));
  }, 30_000);
});

describe('acknowledged findings say why', () => {
  test.each([['dev', appContext], ['prod', prodExampleContext]])(`%s: every acknowledgement carries a reason of at least ${MIN_REASON_LENGTH} characters`, (_name, context) => {
    const { app } = createApp({ context: (context as () => Json)() });
    const acknowledgements: Array<{ path: string; id: string; reason: unknown }> = [];
    for (const construct of app.node.findAll()) {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, unknown>)) acknowledgements.push({ path: construct.node.path, id, reason });
      }
    }
    // The stack acknowledges cdk-nag rules, so this check has something to look at.
    expect(acknowledgements.filter((a) => a.id.includes('AwsSolutions-')).length).toBeGreaterThan(0);
    const weak = acknowledgements.filter((a) => typeof a.reason !== 'string' || a.reason.trim().length < MIN_REASON_LENGTH || a.id.includes(a.reason.trim()));
    expect(weak).toEqual([]);
  }, 30_000);
});
