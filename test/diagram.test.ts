/**
 * The architecture diagram (docs/design.md "Architecture") names the stack's constructs by their
 * path in the construct tree. Each path it names must still exist, and every construct the stack is
 * built from must be in it. It is drawn once: the README links to it, and any other mermaid block
 * of the README or docs/ is the same diagram, unchanged.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CfnElement, CustomResourceProviderBase } from 'aws-cdk-lib';
import { BoopIntegrationStack } from '../lib/boop-integration-stack';
import { REPO_ROOT } from './support/context';
import { build } from './support/synth';

const DESIGN_DOC = 'docs/design.md';
const README = 'README.md';
/** The documents besides the design that may show the diagram: the README and every page of docs/. */
const OTHER_DOCUMENTS = [
  README,
  ...fs
    .readdirSync(path.join(REPO_ROOT, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .map((file) => `docs/${file}`)
    .filter((file) => file !== DESIGN_DOC),
];

/** Every ```mermaid block of a markdown document, without its fences. */
function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```mermaid[ \t]*\r?\n([\s\S]*?)^```[ \t]*$/gm)].map((match) => match[1]);
}

/**
 * The construct paths a diagram names, relative to the stack: a subgraph whose id starts with a
 * capital is a construct of the stack (`subgraph TrafficControl`), and `Parent/Child` anywhere
 * else in a line is a path (`TrafficControl/Release`). Mermaid comments (`%%`) name nothing.
 */
function constructPaths(diagram: string): string[] {
  const lines = diagram.split('\n').filter((line) => !line.trimStart().startsWith('%%'));
  const paths = lines.flatMap((line) => {
    const subgraph = /^\s*subgraph\s+([A-Z][\w-]*)/.exec(line);
    const nested = [...line.matchAll(/(?<![\w/.:-])[A-Z][A-Za-z0-9]*(?:\/[A-Za-z0-9_-]+)+/g)].map((match) => match[0]);
    return [...(subgraph ? [subgraph[1]] : []), ...nested];
  });
  return [...new Set(paths)];
}

/** Every construct path of the stack, relative to it (`TrafficControl/Release`). */
function treePaths(stack: BoopIntegrationStack): Set<string> {
  const prefix = `${stack.node.path}/`;
  return new Set(stack.node.findAll().map((construct) => construct.node.path.slice(prefix.length)));
}

/** The stack's own building blocks: its top-level constructs, less parameters, outputs, rules and CDK's singleton providers. */
function topLevelConstructs(stack: BoopIntegrationStack): string[] {
  return stack.node.children.filter((child) => !(child instanceof CfnElement) && !(child instanceof CustomResourceProviderBase)).map((child) => child.node.id);
}

function read(file: string): string {
  return fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
}

const designBlocks = mermaidBlocks(read(DESIGN_DOC));
const diagram = designBlocks[0] ?? '';
const named = constructPaths(diagram);

describe('the diagram is drawn once', () => {
  test(`${DESIGN_DOC} has the architecture diagram`, () => {
    expect(designBlocks.length).toBeGreaterThan(0);
  });

  test(`${README} links to it`, () => {
    expect(read(README)).toContain(`](${DESIGN_DOC}#architecture)`);
  });

  test('every other mermaid block of the design, the README and docs/ is the same diagram', () => {
    const differing = [
      ...designBlocks.map((block, n) => ({ block, where: `${DESIGN_DOC} block ${n + 1}` })),
      ...OTHER_DOCUMENTS.flatMap((file) => mermaidBlocks(read(file)).map((block, n) => ({ block, where: `${file} block ${n + 1}` }))),
    ]
      .filter(({ block }) => block !== diagram)
      .map(({ where }) => `${where} differs from ${DESIGN_DOC} block 1: link to it instead, or copy it unchanged`);
    expect(differing).toEqual([]);
  });
});

describe('the diagram matches the construct tree', () => {
  let tree: Set<string>;
  let topLevel: string[];

  beforeAll(() => {
    // One build of the dev stack, without bundling: the construct tree is all this reads.
    const { stack } = build('dev');
    tree = treePaths(stack);
    topLevel = topLevelConstructs(stack);
  });

  test('every construct the diagram names exists in the stack', () => {
    const missing = named.filter((name) => !tree.has(name)).map((name) => `${name} is named in the diagram but is not in the stack's construct tree`);
    expect(missing).toEqual([]);
  });

  test('every construct the stack is built from is in the diagram', () => {
    const absent = topLevel.filter((id) => !named.includes(id)).map((id) => `${id} is in the stack but not in the diagram: add a subgraph ${id}`);
    expect(absent).toEqual([]);
  });
});

describe('reading construct paths from a diagram', () => {
  test('subgraphs of constructs and Parent/Child paths count; files, comments, headers and outside subgraphs do not', () => {
    const sample = [
      '%% TrafficControl/Comment names nothing',
      'subgraph TrafficControl',
      '  release["TrafficControl/Release<br/>release guard"]',
      '  rule["lib/traffic-control.ts, X-Boop-Slot, GET /health/boop"]',
      'end',
      'subgraph people["operator"]',
      'end',
      'a -->|"green to 0 tasks<br/>TrafficControl/ScaleGreenPolicy"| b',
      'c["Alarms/SLOT_UNHEALTHY-green, Alarms/UPTIME_LOW"]',
    ].join('\n');
    expect(constructPaths(sample)).toEqual([
      'TrafficControl',
      'TrafficControl/Release',
      'TrafficControl/ScaleGreenPolicy',
      'Alarms/SLOT_UNHEALTHY-green',
      'Alarms/UPTIME_LOW',
    ]);
  });

  test('only fenced mermaid blocks are diagrams', () => {
    expect(mermaidBlocks('text\n```mermaid\nflowchart TB\n  a --> b\n```\n```\nnot one\n```\n')).toEqual(['flowchart TB\n  a --> b\n']);
  });
});
