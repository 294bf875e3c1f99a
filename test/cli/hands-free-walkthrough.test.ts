/**
 * The README's hands-free walkthrough shows the CLI's own output. Each situation of its story (day 0
 * after the deploy of the target, day 1, a pause, a rollback in the middle, the walk started again
 * after the acknowledgement, the target reached) is made by the controller's own decisions on a
 * ladder whose time moves (HandsFreeLadder: decideDeploy, decideTick, pause, resume, recordRollback);
 * the README's `$ npm run rollout -- status` line runs against the mocked clients standing there, and
 * its block must be that output, with only the rows the walkthrough leaves out taken away.
 */
import * as fs from 'fs';
import * as path from 'path';
import { runRolloutCli } from '../../cli/rollout';
import { HandsFreeLadder, setup, Stand, standAt } from './rollout-setup';

const README = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
const MARKER = 'hands-free-status';
/** The rows of status the walkthrough shows; the others (images, tasks, releases, alarms, where keys go) are left out. A warning is always shown. */
const SHOWN_ROWS = ['live weights', 'step', 'target', 'next advance', 'waiting', 'stopped', 'last rollback', 'warning'];

const HOUR = 3_600_000;
const REGISTRY = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/boop-integration';
const V1 = `${REGISTRY}:3.0.0`;
const V2 = `${REGISTRY}:3.1.0`;
const V3 = `${REGISTRY}:3.1.1`;
/** Day 0, when the target is deployed: 5 minutes past a tick. */
const DAY0 = new Date('2026-11-23T09:05:00.000Z');
const dayAt = (days: number, hours: number) => new Date(DAY0.getTime() + (days * 24 + hours) * HOUR);

/** One moment of the story the README shows: its name (the block's marker), when, and where the ladder stood. */
interface Situation {
  readonly name: string;
  readonly now: Date;
  readonly stand: Stand;
}

/** The walkthrough's story, as the README tells it, decided step by step by the controller's own functions. */
function story(): Situation[] {
  const ladder = new HandsFreeLadder(DAY0, { blue: V1, green: V2 });
  const situations: Situation[] = [];
  const shown = (name: string) => situations.push({ name, now: ladder.now, stand: ladder.stand() });
  // npx cdk deploy -c env=prod --parameters GreenPercent=100, on day 0.
  ladder.deploy(100);
  ladder.tickUntil(dayAt(0, 1));
  shown('day-0');
  ladder.tickUntil(dayAt(1, 1));
  shown('day-1');
  // npm run rollout -- pause, on day 2; then resume.
  ladder.tickUntil(dayAt(2, 5));
  ladder.pause('INC-9: latency on green, looking');
  ladder.tickUntil(dayAt(2, 6));
  shown('paused');
  ladder.tickUntil(dayAt(2, 8));
  ladder.resume();
  // The rollback alarm fires in the night.
  ladder.tickUntil(dayAt(2, 18));
  ladder.rollBack('PAYMENT_ERROR_RATE-green in ALARM');
  ladder.tickUntil(dayAt(2, 23));
  shown('rolled-back');
  // The acknowledgement with the fixed image, then the target again.
  ladder.deploy(0, { blue: V1, green: V3 });
  ladder.tickUntil(dayAt(3, 1));
  ladder.deploy(100);
  ladder.tickUntil(dayAt(3, 2));
  shown('started-again');
  // No deploy from here on.
  ladder.tickUntil(dayAt(6, 2));
  shown('reached');
  return situations;
}

const SITUATIONS = story();

/** Each `<!-- hands-free-status:<name>:start -->` block of the README: its name, and its lines without their indentation. */
function readmeBlocks(): { readonly name: string; readonly lines: string[] }[] {
  const blocks = [...README.matchAll(new RegExp(`<!-- ${MARKER}:(\\S+):start -->\\n([\\s\\S]*?)\\n\\s*<!-- ${MARKER}:\\1:end -->`, 'g'))];
  return blocks.map(([, name, text]) => {
    const fenced = /^( *)```text\n([\s\S]*?)\n *```$/.exec(text);
    if (!fenced) throw new Error(`README.md ${MARKER}:${name}: not one \`\`\`text block`);
    const [, indent, body] = fenced;
    return { name, lines: body.split('\n').map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line)) };
  });
}

/** What `argv` prints where `situation` stands, with only SHOWN_ROWS kept (a row's later lines go with it). */
async function shownOutput(situation: Situation, argv: readonly string[]): Promise<string[]> {
  const world = setup(situation.now);
  standAt(world, situation.stand);
  await runRolloutCli(argv, world.clients, world.io);
  const [header, ...rows] = world.lines;
  let kept = false;
  return [
    header,
    ...rows.filter((line) => {
      const label = line.slice(2, 18).trim();
      if (label !== '') kept = SHOWN_ROWS.includes(label);
      return kept;
    }),
  ];
}

describe("the README's hands-free walkthrough", () => {
  test('tells the story in order: the target deployed once, a step a day, a pause, a rollback in the middle, the target again, 100 % with no deploy since', () => {
    expect(SITUATIONS.map((s) => [s.name, s.stand.share, s.stand.state.handsFree?.stopped?.why])).toEqual([
      ['day-0', 5, undefined],
      ['day-1', 25, undefined],
      ['paused', 50, 'paused: INC-9: latency on green, looking'],
      ['rolled-back', 0, undefined],
      ['started-again', 5, undefined],
      ['reached', 100, undefined],
    ]);
  });

  test('shows every situation of the story, once, in its order', () => {
    expect(readmeBlocks().map((block) => block.name)).toEqual(SITUATIONS.map((s) => s.name));
  });

  test.each(SITUATIONS.map((s) => [s.name, s] as const))("%s: the block is the command's own output", async (name, situation) => {
    const block = readmeBlocks().find((b) => b.name === name);
    const [command, ...shown] = block?.lines ?? [];
    const typed = /^\$ npm run rollout -- (status .*)$/.exec(command ?? '');
    expect(typed).not.toBeNull();
    expect(shown).toEqual(await shownOutput(situation, typed![1].split(/\s+/)));
  });
});
