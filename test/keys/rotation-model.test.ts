/**
 * The runbook's key rotation, walked step by step through the keys CLI against an in-memory SSM,
 * stack and ECS (key-world.ts), where a deploy is refused by the presence check's rules and ECS
 * starts a task only when it can read every secret: at every step both slots can start tasks and
 * every running task reaches BOOP. Then a property over generated sequences of operator steps: no
 * step of the CLI, and no deploy the presence check accepted, ever leaves a slot unable to start
 * tasks, unless a parameter was deleted behind the CLI's back, and `keys check` then says so.
 *
 * The walkthrough's commands and what `keys check` printed after each step are docs/key-rotation.md,
 * which the runbook's rotation links to: the test fails when they differ, and
 * UPDATE_KEY_ROTATION_DOC=1 writes them there.
 */
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { numRuns } from '../support/properties';
import { CliError } from '../../cli/errors';
import { KEY_SLOTS, KeySlot } from '../../common/keys/api-keys';
import { BUILT_IN_ENVIRONMENTS } from '../../common/names';
import { SLOTS } from '../../common/slots';
import { CliRun, fakeKey, KeyWorld } from './key-world';

const ENV = 'prod';
/** The BOOP environment ENV talks to, as every project declares it. */
const BOOP = BUILT_IN_ENVIRONMENTS[ENV];
const ROTATION_DOC = path.join(__dirname, '..', '..', 'docs', 'key-rotation.md');
const WALKTHROUGH_START = '<!-- walkthrough:start -->';
const WALKTHROUGH_END = '<!-- walkthrough:end -->';

/** The transcript as markdown: each step a heading, what was typed and printed a text block. */
function asMarkdown(transcript: readonly string[]): string {
  const sections = transcript
    .join('\n')
    .split(/^### /m)
    .filter((section) => section.trim() !== '');
  return sections
    .map((section) => {
      const [title, ...body] = section.split('\n');
      return `### ${title}\n\n\`\`\`text\n${body.join('\n').trim()}\n\`\`\`\n\n`;
    })
    .join('');
}
const DAY_MS = 24 * 3_600_000;
const RUN = 'npm run keys --';

/** The date `days` whole days after `now`, as boop.keyRotationDate is written. */
function dateAfter(now: Date, days: number): string {
  return new Date(now.getTime() + days * DAY_MS).toISOString().slice(0, 10);
}

/** What both slots need at every step of a rotation: new tasks can start, and the running ones work. */
function expectServing(world: KeyWorld): void {
  for (const slot of SLOTS) expect({ slot, missing: world.missingFor(slot) }).toEqual({ slot, missing: [] });
  for (const task of world.runningTasks()) expect({ task: task.arn, works: world.taskWorks(task) }).toEqual({ task: task.arn, works: true });
}

function expectSucceeded(run: CliRun): void {
  expect(run.error?.message).toBeUndefined();
}

describe('the runbook rotation, step by step', () => {
  test('both slots can start tasks and every running task reaches BOOP at every step', async () => {
    const world = new KeyWorld({ env: ENV, now: new Date('2026-11-02T09:00:00Z') });
    const oldKey = fakeKey(BOOP, 'a');
    const newKey = fakeKey(BOOP, 'b');
    const transcript: string[] = [];
    /** One runbook step: its commands (shown as the operator types them), then `keys check` afterwards. */
    const step = async (title: string, at: string, act: () => Promise<void> | void) => {
      world.advance(Date.parse(at) - world.now.getTime());
      transcript.push(`### ${title}`, '');
      await act();
      const check = await world.cli(['check', '--env', ENV]);
      expectSucceeded(check);
      // No key value in what check prints, whatever the step.
      expect(check.output).not.toContain(oldKey.slice(8));
      expect(check.output).not.toContain(newKey.slice(8));
      transcript.push(`$ ${RUN} check --env ${ENV}`, check.output, '');
      return check;
    };
    /** A command of the step, shown as the operator types it, with what it printed. */
    const cli = async (argv: string[], stdin?: string) => {
      const run = await world.cli(argv, stdin);
      expectSucceeded(run);
      transcript.push(`$ ${RUN} ${argv.join(' ')}`, ...run.lines, '');
      return run;
    };
    const deploy = () => {
      expect(world.deploy()).toEqual([]);
      transcript.push(`$ npx cdk deploy -c env=${ENV}`, '');
    };

    world.boopAccepts.add(oldKey);
    await step('Before the first deploy: put the primary key', '2026-11-02T09:00:00Z', async () => {
      await cli(['put', '--env', ENV, '--slot', 'primary'], oldKey);
    });
    const first = await step('The first deploy', '2026-11-02T09:30:00Z', deploy);
    expectServing(world);
    expect(first.output).toMatch(/blue new tasks\s+can start/);

    // BOOP issues the new key: it goes in as the secondary, while the services keep the primary.
    world.boopAccepts.add(newKey);
    const afterPut = await step('1. Put the new key as the secondary', '2026-11-20T10:00:00Z', async () => {
      const put = await cli(['put', '--env', ENV, '--slot', 'secondary'], newKey);
      expect(put.output).toMatch(/next: set boop\.keyRotationDate/);
    });
    expectServing(world);
    expect(afterPut.output).toMatch(/rotation ready\s+no rotation configured/);

    // The rotation date, deployed: both slots restart and read both keys.
    const date = '2026-12-01';
    const configured = await step(`2. Set boop.keyRotationDate to ${date} and deploy`, '2026-11-20T10:30:00Z', () => {
      world.config = { rotationDate: date };
      deploy();
    });
    expectServing(world);
    for (const task of world.runningTasks()) expect(task.keys).toEqual({ primary: oldKey, secondary: newKey });
    expect(configured.output).toMatch(/rotation ready\s+yes: the secondary key is in place, 11 days before 2026-12-01/);
    expect(configured.output).toMatch(/key in use\s+primary/);

    // Before the date, promote changes nothing.
    const early = await world.cli(['promote', '--env', ENV]);
    expect(early.error).toBeInstanceOf(CliError);
    expect(early.error?.message).toMatch(new RegExp(`the rotation date ${date} has not come`));
    expect(world.parameters.get(world.keyName('primary'))?.value).toBe(oldKey);

    // The date comes: the services use the secondary, the primary as fallback.
    const dateCame = await step(`3. ${date}: the services use the secondary key`, '2026-12-01T09:00:00Z', () => undefined);
    expectServing(world);
    expect(dateCame.output).toMatch(/key in use\s+secondary/);

    // promote: the primary gets the new key; tasks still hold the old one as primary.
    const promoted = await step('4. Promote: the primary becomes the new key', '2026-12-01T09:05:00Z', async () => {
      await cli(['promote', '--env', ENV]);
    });
    expectServing(world);
    expect(world.parameters.get(world.keyName('primary'))?.value).toBe(newKey);
    for (const slot of SLOTS) expect(promoted.output).toMatch(new RegExp(`${slot} keys\\s+STALE until restarted: 2 of 2 running tasks`));

    // Green first, checked, then blue.
    const greenDone = await step('5. Restart green and check it', '2026-12-01T09:10:00Z', async () => {
      await cli(['restart', '--env', ENV, '--slot', 'green']);
    });
    expectServing(world);
    expect(greenDone.output).toMatch(/green keys\s+current/);
    expect(greenDone.output).toMatch(/blue keys\s+STALE/);
    const blueDone = await step('6. Restart blue', '2026-12-01T09:30:00Z', async () => {
      await cli(['restart', '--env', ENV, '--slot', 'blue']);
    });
    expectServing(world);
    expect(blueDone.output).toMatch(/blue keys\s+current/);
    for (const task of world.runningTasks()) expect(task.keys).toEqual({ primary: newKey, secondary: newKey });

    // The old key is revoked at BOOP: nothing holds it any more.
    await step('7. Revoke the old key at BOOP', '2026-12-01T10:00:00Z', () => {
      world.boopAccepts.delete(oldKey);
    });
    expectServing(world);

    // promote now keeps the secondary: the deployed tasks still read it.
    await step('8. Promote before the date is removed: the secondary stays', '2026-12-01T10:30:00Z', async () => {
      const tooSoon = await cli(['promote', '--env', ENV]);
      expect(tooSoon.output).toMatch(/nothing was changed/);
      expect(tooSoon.output).toMatch(/remove boop\.keyRotationDate/);
    });
    expect(world.parameters.has(world.keyName('secondary'))).toBe(true);
    expectServing(world);

    // The date removed and deployed: the tasks read the primary alone.
    await step('9. Remove boop.keyRotationDate and deploy', '2026-12-01T11:00:00Z', () => {
      world.config = {};
      deploy();
    });
    expectServing(world);
    for (const task of world.runningTasks()) expect(task.keys).toEqual({ primary: newKey });

    // promote again: the secondary goes.
    const finished = await step('10. Promote again: the secondary is deleted', '2026-12-01T11:30:00Z', async () => {
      await cli(['promote', '--env', ENV]);
    });
    expectServing(world);
    expect(world.parameters.has(world.keyName('secondary'))).toBe(false);
    expect(finished.output).toMatch(new RegExp(`${world.keyName('secondary').replace(/\//g, '\\/')}\\s+no`));

    // And once more: no harm.
    await step('11. Promote once more: nothing to do', '2026-12-01T11:35:00Z', async () => {
      const again = await cli(['promote', '--env', ENV]);
      expect(again.output).toMatch(/nothing to promote/);
    });
    expectServing(world);

    const document = fs.readFileSync(ROTATION_DOC, 'utf8');
    const [before, rest] = document.split(WALKTHROUGH_START);
    const after = rest?.split(WALKTHROUGH_END)[1];
    expect(after).toBeDefined();
    const rendered = `${before}${WALKTHROUGH_START}\n${asMarkdown(transcript)}${WALKTHROUGH_END}${after}`;
    if (process.env.UPDATE_KEY_ROTATION_DOC) fs.writeFileSync(ROTATION_DOC, rendered);
    // The document shows exactly what the commands print (regenerate with UPDATE_KEY_ROTATION_DOC=1).
    expect(document).toBe(rendered);
  });
});

/** One operator step, as the property generates it. */
type Step =
  | { readonly kind: 'put'; readonly slot: KeySlot; readonly key: 'fresh' | 'empty' | 'blank' | 'other-environment' }
  | { readonly kind: 'promote' }
  | { readonly kind: 'restart'; readonly slot: (typeof SLOTS)[number] }
  | { readonly kind: 'deploy'; readonly days: number | null }
  | { readonly kind: 'configure'; readonly days: number | null }
  | { readonly kind: 'wait'; readonly hours: number }
  | { readonly kind: 'check' }
  | { readonly kind: 'delete-out-of-band'; readonly slot: KeySlot };

/** Weighted towards the steps a rotation is made of, so that sequences reach its later stages. */
const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('put' as const),
      slot: fc.constantFrom(...KEY_SLOTS),
      key: fc.oneof({ weight: 4, arbitrary: fc.constant('fresh' as const) }, fc.constantFrom('empty' as const, 'blank' as const, 'other-environment' as const)),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('promote' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('restart' as const), slot: fc.constantFrom(...SLOTS) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('deploy' as const), days: fc.option(fc.integer({ min: -3, max: 10 }), { nil: null, freq: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('configure' as const), days: fc.option(fc.integer({ min: -3, max: 10 }), { nil: null, freq: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), hours: fc.integer({ min: 1, max: 240 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('check' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete-out-of-band' as const), slot: fc.constantFrom(...KEY_SLOTS) }) },
);

describe('any sequence of operator steps', () => {
  test('leaves both slots able to start tasks, unless a parameter was deleted behind the CLI, which check reports', async () => {
    /** What the generated sequences reached, so the property cannot pass by never getting there. */
    const reached = { promotedPrimary: 0, deletedSecondary: 0, refusedDeploy: 0, restarted: 0, brokenOutOfBand: 0 };
    await fc.assert(
      // Half the runs start in the middle of a rotation (secondary put, a date deployed that has come), so promote's stages are reached often.
      fc.asyncProperty(fc.boolean(), fc.array(stepArbitrary, { minLength: 1, maxLength: 30, size: 'max' }), async (midRotation, steps) => {
        const world = new KeyWorld({ env: ENV, desiredCount: 1 });
        let fill = 0;
        const nextKey = () => fakeKey(BOOP, 'abcdefghijklmnopqrstuvwxyz'[fill++ % 26]);
        expectSucceeded(await world.cli(['put', '--env', ENV, '--slot', 'primary'], nextKey()));
        expect(world.deploy()).toEqual([]);
        if (midRotation) {
          expectSucceeded(await world.cli(['put', '--env', ENV, '--slot', 'secondary'], nextKey()));
          world.config = { rotationDate: dateAfter(world.now, -1) };
          expect(world.deploy()).toEqual([]);
        }
        /** Parameters deleted behind the CLI's back and not written since. */
        const deletedOutOfBand = new Set<string>();

        for (const step of steps) {
          let run: CliRun | undefined;
          const before = JSON.stringify([...world.parameters]);
          switch (step.kind) {
            case 'put': {
              const value = { 'fresh': nextKey(), 'empty': '', 'blank': '   ', 'other-environment': fakeKey('development', 'q') }[step.key];
              run = await world.cli(['put', '--env', ENV, '--slot', step.slot], value);
              // A refused value writes nothing.
              if (step.key !== 'fresh') {
                expect(run.error).toBeInstanceOf(CliError);
                expect(JSON.stringify([...world.parameters])).toBe(before);
              }
              break;
            }
            case 'promote':
              run = await world.cli(['promote', '--env', ENV]);
              if (/the primary key is now/.test(run.output)) reached.promotedPrimary++;
              if (/deleted /.test(run.output)) reached.deletedSecondary++;
              break;
            case 'restart':
              run = await world.cli(['restart', '--env', ENV, '--slot', step.slot]);
              if (!run.error) reached.restarted++;
              break;
            case 'configure':
            case 'deploy': {
              world.config = step.days === null ? {} : { rotationDate: dateAfter(world.now, step.days) };
              if (step.kind === 'deploy') {
                const refused = world.deploy().length > 0;
                if (refused) reached.refusedDeploy++;
                // A deploy the presence check accepted starts tasks that can start.
                if (!refused) for (const slot of SLOTS) expect(world.missingFor(slot)).toEqual([]);
              }
              break;
            }
            case 'wait':
              world.advance(step.hours * 3_600_000);
              break;
            case 'check':
              run = await world.cli(['check', '--env', ENV]);
              break;
            case 'delete-out-of-band':
              if (world.parameters.delete(world.keyName(step.slot))) deletedOutOfBand.add(world.keyName(step.slot));
              break;
          }
          // A refusal is a CliError, one line; never anything else.
          if (run?.error) expect(run.error).toBeInstanceOf(CliError);
          for (const name of [...deletedOutOfBand]) if (world.parameters.has(name)) deletedOutOfBand.delete(name);

          const broken = SLOTS.map((slot) => ({ slot, missing: world.missingFor(slot) })).filter(({ missing }) => missing.length > 0);
          if (broken.length === 0) continue;
          reached.brokenOutOfBand++;
          const check = await world.cli(['check', '--env', ENV]);
          expectSucceeded(check);
          for (const { slot, missing } of broken) {
            for (const name of missing) {
              // Only a delete behind the CLI's back may leave a slot unable to start tasks ...
              expect({ step, slot, name, deletedOutOfBand: deletedOutOfBand.has(name) }).toEqual({ step, slot, name, deletedOutOfBand: true });
              // ... and check says so, naming the parameter and the command that puts it back.
              expect(check.output).toMatch(
                new RegExp(`${slot} new tasks\\s+CANNOT START: .*${name.replace(/\//g, '\\/')} does not exist; put it with: ${RUN}`),
              );
            }
          }
        }
      }),
      { numRuns: numRuns(200) },
    );
    for (const [what, count] of Object.entries(reached)) expect({ what, reached: count > 0 }).toEqual({ what, reached: true });
  });
});
