/**
 * Every cdk-nag acknowledgement of the stack stands for a finding that really fires: the app is
 * synthesized with every acknowledgement withheld, and each must then be matched by a finding of
 * its rule on its construct or one below it. An acknowledgement for a rule that never fires would
 * hide a future finding. (aws-cdk-lib acknowledges some CloudFormation validation rules itself, for
 * its own constructs; those are not this project's.)
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Validations } from 'aws-cdk-lib';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import { createApp } from '../lib/app';
import { environmentContext } from './support/context';

interface Acknowledged {
  readonly path: string;
  readonly id: string;
}

/** The acknowledgements the app makes, and the findings of its synth when none of them is applied. */
function withheld(env: 'dev' | 'prod'): { acknowledged: Acknowledged[]; findings: Acknowledged[] } {
  const acknowledged: Acknowledged[] = [];
  const spy = jest.spyOn(Validations.prototype, 'acknowledge').mockImplementation(function (this: Validations, ...rules) {
    const scope = (this as unknown as { scope: { node: { path: string } } }).scope;
    for (const rule of rules) if (rule.id.startsWith('AwsSolutions-')) acknowledged.push({ path: scope.node.path, id: rule.id });
  });
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'acknowledgements-'));
  try {
    // cdk-nag alone: CloudFormation's own validation acknowledges nothing of this project's.
    const { app } = createApp({
      outdir,
      context: { ...environmentContext(env), [BUNDLING_STACKS]: [] },
      builtinCloudFormationValidation: false,
      stackTraces: false,
    });
    // Unacknowledged findings fail the synth; the report is written first.
    expect(() => app.synth()).toThrow();
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { violations?: { ruleName: string; violatingConstructs?: { constructPath: string }[] }[] }[];
    };
    const findings = report.pluginReports.flatMap((plugin) =>
      (plugin.violations ?? []).flatMap((v) => (v.violatingConstructs ?? []).map((c) => ({ path: c.constructPath, id: v.ruleName }))),
    );
    return { acknowledged, findings };
  } finally {
    spy.mockRestore();
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

test.each(['dev', 'prod'] as const)(
  '%s: each acknowledgement is matched by a finding of its rule at or below its construct once withheld',
  (env) => {
    const { acknowledged, findings } = withheld(env);
    expect(acknowledged.length).toBeGreaterThan(0);
    const idle = acknowledged.filter((a) => !findings.some((f) => f.id === a.id && (f.path === a.path || f.path.startsWith(`${a.path}/`))));
    expect(idle).toEqual([]);
  },
  60_000,
);
