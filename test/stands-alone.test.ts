/**
 * The repository stands alone: nothing in it points at files that exist only outside it (an old
 * shared design, BOOP's guide pages by their file names), and what its documents reference
 * (sections of docs/design.md, README sections, paths) resolves inside it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { THRESHOLDS } from '../lib/monitoring/thresholds';
import { anchor, headings } from './support/markdown';

const ROOT = path.join(__dirname, '..');
const THIS_FILE = path.relative(ROOT, __filename).split(path.sep).join('/');
const DESIGN_DOC = 'docs/design.md';
const README = 'README.md';
/** Top-level folders whose paths the documents name; a backticked path under one must exist. */
const REPOSITORY_FOLDERS = ['.ci', 'benchmark', 'bin', 'cli', 'common', 'docs', 'examples', 'lambda', 'lib', 'schema', 'test'];

/** What points outside the repository, and what to write instead. This file names them, so it is not scanned. */
const OUTSIDE_REFERENCES: readonly { readonly pattern: RegExp; readonly instead: string }[] = [
  { pattern: /\.\.\/shared\b/, instead: 'a path into ../shared exists on one machine only; cite docs/design.md or the guide by title and section' },
  { pattern: /\/work\/shared\b/, instead: 'an absolute path outside the repository; cite docs/design.md or the guide by title and section' },
  { pattern: /\bDESIGN\b(?:\.md)?/, instead: 'the outside design; cite docs/design.md "<section>"' },
  { pattern: /\b\d{3}_[0-9a-f]{16}(?:\.txt)?\b/, instead: 'a guide file name; cite the guide by its title and section, e.g. MON "Alert Severity Levels"' },
  { pattern: /\bBOOP-API\.md\b/, instead: "a file outside the repository; cite BOOP's API reference by section" },
  { pattern: /\bseeds\//, instead: "the guides' folder outside the repository; cite the guide by its title and section" },
];

/** Folders that are installed or generated, never the project's own (as .gitignore lists them). */
const NOT_THE_PROJECTS = new Set(['.git', 'node_modules', 'cdk.out', 'coverage', '.cdk.staging']);

/** Every file of the repository, found by walking it, so the test needs Node and nothing else. */
function repositoryFiles(dir = ''): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return NOT_THE_PROJECTS.has(entry.name) || entry.name.startsWith('cdk.out') ? [] : repositoryFiles(file);
    return entry.isFile() && !file.endsWith('.d.ts') && !(file.endsWith('.js') && file !== 'jest.config.js') && file !== 'cdk.context.json' ? [file] : [];
  });
}

/** The file's text, or undefined for a binary file. */
function readText(file: string): string | undefined {
  const bytes = fs.readFileSync(path.join(ROOT, file));
  return bytes.includes(0) ? undefined : bytes.toString('utf8');
}

/** Each line that points outside the repository, as `file:line: "match" (what to write instead)`. */
function outsideReferences(file: string, text: string): string[] {
  return text.split('\n').flatMap((line, index) => {
    const found = OUTSIDE_REFERENCES.flatMap(({ pattern, instead }) => {
      const match = pattern.exec(line);
      return match ? [{ match: match[0], instead }] : [];
    });
    if (found.length === 0) return [];
    return [`${file}:${index + 1}: ${found.map(({ match }) => `"${match}"`).join(', ')} points outside the repository (${found[0].instead})`];
  });
}

/** The `(#anchor)` links of a markdown document. */
function anchorLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(#([^)\s]+)\)/g)].map((match) => match[1]);
}

/** The text of one `## ` section, up to the next `## ` heading. */
function section(markdown: string, title: string): string {
  const start = markdown.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`no "## ${title}" section`);
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

const files = repositoryFiles();
const texts = new Map(
  files.flatMap((file) => {
    const text = readText(file);
    return text === undefined ? [] : [[file, text] as const];
  }),
);
const design = texts.get(DESIGN_DOC) ?? '';
const readme = texts.get(README) ?? '';

describe('nothing in the repository points outside it', () => {
  test('no file cites the outside design, a path into ../shared or a guide by its file name', () => {
    const hits = [...texts].filter(([file]) => file !== THIS_FILE).flatMap(([file, text]) => outsideReferences(file, text));
    expect(hits).toEqual([]);
  });

  test.each([
    'see ../shared/DESIGN.md',
    'as /work/shared/notes says',
    '(DESIGN section 3)',
    'ENV = 000_340d1e14af3ff23b.txt',
    'API = BOOP-API.md',
    'the guides in seeds/',
  ])('%s is caught, with its file and line', (sample) => {
    expect(outsideReferences('lib/example.ts', `const clean = 1;\n// ${sample}`)).toEqual([expect.stringMatching(/^lib\/example\.ts:2: /)]);
  });

  test("the project's own references are not mistaken for outside ones", () => {
    expect(outsideReferences('lib/example.ts', '// docs/design.md "Rollback"; the design; REGRESSION_SEEDS; MON "Alert Severity Levels"')).toEqual([]);
  });
});

describe('the repository has its own design', () => {
  test('docs/design.md exists and is tracked or about to be', () => {
    expect(files).toContain(DESIGN_DOC);
  });

  test('every docs/design.md "<section>" cited anywhere is a section of it', () => {
    const sections = new Set(headings(design).map((heading) => heading.text));
    const missing = [...texts].flatMap(([file, text]) =>
      text
        .split('\n')
        .flatMap((line, index) =>
          [...line.matchAll(/docs\/design\.md`? "([^"<]+)"/g)]
            .filter((match) => !sections.has(match[1]))
            .map((match) => `${file}:${index + 1}: docs/design.md has no section "${match[1]}"`),
        ),
    );
    expect(missing).toEqual([]);
  });

  test('every link to a section of docs/design.md or the README leads to one', () => {
    const anchors = {
      [DESIGN_DOC]: headings(design).map((heading) => anchor(heading.text)),
      [README]: headings(readme).map((heading) => anchor(heading.text)),
    };
    const broken = [
      ...anchorLinks(design)
        .filter((link) => !anchors[DESIGN_DOC].includes(link))
        .map((link) => `${DESIGN_DOC}: #${link}`),
      ...anchorLinks(readme)
        .filter((link) => !anchors[README].includes(link))
        .map((link) => `${README}: #${link}`),
      ...[...readme.matchAll(/docs\/design\.md#([^)\s]+)/g)]
        .filter((match) => !anchors[DESIGN_DOC].includes(match[1]))
        .map((match) => `${README}: docs/design.md#${match[1]}`),
    ];
    expect(broken).toEqual([]);
  });

  test('it says why each row of the thresholds table exists, and names no row that is not there', () => {
    const rows = [...section(design, 'Thresholds').matchAll(/^\| ([A-Z][A-Z_]+) \|/gm)].map((match) => match[1]);
    expect([...rows].sort()).toEqual(THRESHOLDS.map((row) => row.name).sort());
  });
});

describe('the README finds its way around the repository', () => {
  test('its table of contents links every section', () => {
    const contents = section(readme, 'Contents');
    const unlisted = headings(readme)
      .filter((heading) => heading.level === 2 && heading.text !== 'Contents')
      .filter((heading) => !contents.includes(`](#${anchor(heading.text)})`))
      .map((heading) => heading.text);
    expect(unlisted).toEqual([]);
  });

  test.each([README, ...files.filter((file) => /^docs\/[^/]+\.md$/.test(file))])('every path %s names exists', (document) => {
    const text = fs.readFileSync(path.join(ROOT, document), 'utf8');
    const named = [...text.matchAll(/`((?:[\w.-]+\/)+[\w.-]*)`/g)].map((match) => match[1]).filter((name) => REPOSITORY_FOLDERS.includes(name.split('/')[0]));
    // The README and the design always name some; a reference page may name none.
    if (document === README || document === DESIGN_DOC) expect(named.length).toBeGreaterThan(0);
    const missing = [...new Set(named)].filter((name) => !fs.existsSync(path.join(ROOT, name)));
    expect(missing).toEqual([]);
  });
});
