/**
 * `npx cdk synth` as the user runs it: a child process with no AWS or CDK variables and an empty
 * HOME (no ~/.aws), so it proves synth works offline without credentials. Then the cloud assembly's
 * validation report: no error and no AwsSolutions (cdk-nag) finding may be left unacknowledged,
 * and a negative control shows those checks are live.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { createApp } from '../lib/app';
import { environmentNames } from '../common/names';
import { CONFIRM_PRODUCTION_PARAMETER } from '../common/names';
import { appContext, environmentContext, PROD_EXAMPLE_FILE, REPO_ROOT } from './support/context';
import { ProcessRun, runProcess } from './support/process';

const CDK = path.join(REPO_ROOT, 'node_modules', '.bin', 'cdk');
/** One synth takes 5-15 s on two idle cores; this, twenty times that, is the point where it is stuck, not slow. */
const SYNTH_TIMEOUT_MS = 300_000;
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

interface SynthRun extends ProcessRun {
  readonly outdir: string;
}

async function cdkSynth(args: readonly string[]): Promise<SynthRun> {
  const outdir = fs.mkdtempSync(path.join(tmp, 'cdk.out-'));
  const run = await runProcess(CDK, ['synth', '-q', '--no-notices', '-o', outdir, ...args], {
    cwd: REPO_ROOT,
    env: offlineEnvironment(),
    timeoutMs: SYNTH_TIMEOUT_MS,
  });
  return { ...run, outdir };
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

// One refused configuration shows what the process does with any (exit code, no stack trace); each message is tested in-process (test/config).
beforeAll(async () => {
  [devRun, prodRun, badProdRun] = await Promise.all([
    cdkSynth([]),
    cdkSynth(['-c', 'env=prod', '-c', `configFile=${PROD_EXAMPLE_FILE}`]),
    cdkSynth(['-c', 'env=prod']),
  ]);
}, 2 * SYNTH_TIMEOUT_MS);

describe('npx cdk synth, offline and without credentials', () => {
  test('dev, with no flags at all, writes the dev stack', () => {
    expect({ code: devRun.code, stderr: devRun.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const template = JSON.parse(fs.readFileSync(path.join(devRun.outdir, `${environmentNames('dev').stack}.template.json`), 'utf8'));
    expect(Object.keys(template.Resources).length).toBeGreaterThan(0);
    expect(template.Parameters?.[CONFIRM_PRODUCTION_PARAMETER]).toBeUndefined();
  }, 10_000);

  test(`prod, with -c env=prod -c configFile=${PROD_EXAMPLE_FILE}, writes the prod stack`, () => {
    expect({ code: prodRun.code, stderr: prodRun.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const template = JSON.parse(fs.readFileSync(path.join(prodRun.outdir, `${environmentNames('prod').stack}.template.json`), 'utf8'));
    expect(template.Parameters?.[CONFIRM_PRODUCTION_PARAMETER]).toBeDefined();
  }, 10_000);

  test.each([
    ['dev', () => devRun],
    ['prod', () => prodRun],
  ])(
    '%s: synth needed no context lookups',
    (_name, run) => {
      const manifest = JSON.parse(fs.readFileSync(path.join(run().outdir, 'manifest.json'), 'utf8'));
      expect(manifest.missing ?? []).toEqual([]);
    },
    10_000,
  );

  test.each([
    ['dev', () => devRun],
    ['prod', () => prodRun],
  ])(
    '%s: cdk-nag and CloudFormation validation leave no unacknowledged finding',
    (_name, run) => {
      expect(unacknowledgedFindings(run().outdir)).toEqual([]);
    },
    10_000,
  );

  test('a bad config (-c env=prod, no config file) fails naming the fields, without a stack trace', () => {
    expect(badProdRun.code).not.toBe(0);
    expect(badProdRun.stderr).toContain('boop.vendorId');
    expect(badProdRun.stderr).toContain('loadBalancer.certificateArn');
    noStackTrace(badProdRun.stderr);
    noStackTrace(badProdRun.stdout);
    expect(fs.existsSync(path.join(badProdRun.outdir, `${environmentNames('prod').stack}.template.json`))).toBe(false);
    // The README's first-deploy step 2 shows this very list, indented in its step.
    const problems = badProdRun.stderr.split('\n').filter((line) => /^boop-deploy: configuration|^ {2}- /.test(line));
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    expect(problems.length).toBeGreaterThan(1);
    expect(readme).toContain(problems.map((line) => `   ${line}`).join('\n'));
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
    expect(findings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/AwsSolutions-S10 .*Control\/PlainBucket/),
        expect.stringMatching(/CloudFormation Validate .*\(error\).*Control\/BadQueue/),
      ]),
    );
  }, 30_000);

  test('the real app refuses the same bucket: its cdk-nag wiring is on', () => {
    const outdir = fs.mkdtempSync(path.join(tmp, 'control-app-'));
    const { app, stack } = createApp({ outdir, context: appContext({ [BUNDLING_STACKS]: [] }) });
    new s3.Bucket(stack, 'PlainBucket', { enforceSSL: false });
    expect(() => app.synth()).toThrow(/AwsSolutions-S10/);
    expect(unacknowledgedFindings(outdir)).toEqual(
      expect.arrayContaining([expect.stringMatching(new RegExp(`AwsSolutions-S10 .*${environmentNames('dev').stack}/PlainBucket`))]),
    );
  }, 30_000);
});

describe('acknowledged findings say why', () => {
  test.each(['dev', 'prod'] as const)(
    `%s: every acknowledgement carries a reason of at least ${MIN_REASON_LENGTH} characters`,
    (env) => {
      const { app } = createApp({ context: environmentContext(env, { [BUNDLING_STACKS]: [] }) });
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
    },
    30_000,
  );
});
