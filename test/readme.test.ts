/**
 * The README is a way in: its "First deploy" checklist can be followed top to bottom. Each step
 * has a command; every command is one that exists with that syntax (this project's scripts and
 * CLIs read with their own parsers, the cdk CLI's commands and options read from its own registry,
 * AWS CLI operations and options checked against the AWS CLI reference, listed below); the names
 * it types are the names the stack gives; the configuration it shows loads as a complete
 * production configuration. Every relative link of the README and docs/ leads to a file and a
 * heading. Its environments example synthesizes (in-process, as `cdk synth -c env=staging` would).
 * No AWS call; one child process per npm script this project's parsers cannot read in-process.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { putKeyCommand } from '../common/keys/api-keys';
import { BUILT_IN_ENVIRONMENTS, CONFIRM_PRODUCTION_PARAMETER, environmentNames, MAX_ENVIRONMENT_NAME_LENGTH } from '../common/names';
import { ENVIRONMENTS_CONTEXT_KEY, loadConfig } from '../lib/config/load-config';
import { SUPPORTED_REGIONS } from '../lib/regions';
import { CLIS, commandProblems, snippets, Word } from './support/commands';
import { anchor, headings } from './support/markdown';
import { build } from './support/synth';

const ROOT = path.join(__dirname, '..');
const README_FILE = 'README.md';
const README = fs.readFileSync(path.join(ROOT, README_FILE), 'utf8');
const FIRST_DEPLOY = 'First deploy';
const PROD = environmentNames('prod');

/** The text of one `## ` section of the README, up to the next `## ` heading. */
function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`${README_FILE} has no "## ${title}" section`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

const checklist = section(FIRST_DEPLOY);

/** The numbered steps of the checklist, each with its text up to the next step. */
function steps(): { readonly number: number; readonly text: string }[] {
  const starts = [...checklist.matchAll(/^(\d+)\. /gm)];
  return starts.map((match, i) => ({ number: Number(match[1]), text: checklist.slice(match.index, starts[i + 1]?.index) }));
}

/** One command of a shell line: its words, quotes removed; a line splits at `|`, `;` and `&&` outside quotes, and ends at a comment. */
function commandsOf(line: string): Word[][] {
  const commands: Word[][] = [[]];
  let current: Word | undefined;
  let quote: string | undefined;
  const endWord = () => {
    if (current) commands[commands.length - 1].push(current);
    current = undefined;
  };
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quote) {
      if (char === quote) quote = undefined;
      else current!.text += char;
    } else if (char === '"' || char === "'") {
      current ??= { text: '', quoted: false };
      current.quoted = true;
      quote = char;
    } else if (/\s/.test(char)) endWord();
    else if (char === '#' && !current) break;
    else if (char === '|' || char === ';' || (char === '&' && line[i + 1] === '&')) {
      endWord();
      commands.push([]);
      if (char === '&') i++;
    } else {
      current ??= { text: '', quoted: false };
      current.text += char;
    }
  }
  endWord();
  return commands.filter((words) => words.length > 0);
}

/** The commands of the checklist's bash blocks, each with the line it is on. */
const typed = snippets(checklist)
  .filter((snippet) => snippet.block === 'bash')
  .flatMap((snippet) => commandsOf(snippet.text).map((words) => ({ line: snippet.line, words })));

// ---------------------------------------------------------------------------------------------
// What each program of the checklist takes.

/**
 * The AWS CLI operations the checklist uses and the options each takes, checked one by one against
 * the AWS CLI command reference (`aws <service> <operation> help`; the same in CLI v1 and v2).
 * A new operation or option goes here only once it is checked there.
 */
const AWS_OPERATIONS: Readonly<Record<string, readonly string[]>> = {
  'sts get-caller-identity': [],
  'account enable-region': ['--region-name'],
  'lambda get-account-settings': [],
  'service-quotas request-service-quota-increase': ['--service-code', '--quota-code', '--desired-value'],
  'acm request-certificate': ['--domain-name', '--validation-method'],
  'acm describe-certificate': ['--certificate-arn'],
  'acm wait certificate-validated': ['--certificate-arn'],
  'ecr create-repository': ['--repository-name', '--image-tag-mutability'],
  'ecr get-login-password': [],
  'ssm put-parameter': ['--type', '--name', '--value'],
  'chatbot describe-slack-workspaces': [],
  'cloudformation describe-stacks': ['--stack-name'],
  'sns list-subscriptions-by-topic': ['--topic-arn'],
};
/** The AWS CLI's global options the checklist uses. */
const AWS_GLOBAL_OPTIONS = ['--region', '--query', '--output'];

/** The docker commands the checklist uses, with their options (Docker CLI reference). */
const DOCKER_COMMANDS: Readonly<Record<string, readonly string[]>> = { login: ['--username', '--password-stdin'], tag: [], push: [] };

/** The cdk CLI's own description of its commands and options, as it parses them. */
interface CdkOption {
  readonly alias?: string | readonly string[];
}
interface CdkRegistry {
  readonly globalOptions: Readonly<Record<string, CdkOption>>;
  readonly commands: Readonly<Record<string, { readonly aliases?: readonly string[]; readonly options?: Readonly<Record<string, CdkOption>> }>>;
}
// The package's exports hide the file from require; it is the same file the installed CLI parses its command line with.
const CDK_REGISTRY = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'aws-cdk', 'lib', 'cli', 'cli-type-registry.json'), 'utf8')) as CdkRegistry;

/** The option words (`--name`, `-a`) of a set of cdk options. */
function cdkOptionWords(options: Readonly<Record<string, CdkOption>> = {}): string[] {
  return Object.entries(options).flatMap(([name, option]) => [
    `--${name}`,
    ...[option.alias ?? []].flat().map((alias) => (alias.length === 1 ? `-${alias}` : `--${alias}`)),
  ]);
}

/** The context keys a cdk command of the checklist may set: the environment only (everything else lives in cdk.json). */
const CONTEXT_KEYS = ['env'];

function cdkProblems(words: readonly Word[]): string[] {
  const [sub, ...rest] = words.map((word) => word.text);
  const command = Object.entries(CDK_REGISTRY.commands).find(([name, spec]) => name === sub || spec.aliases?.includes(sub));
  if (!command) return [`"${sub}" is not a command of the cdk CLI (${Object.keys(CDK_REGISTRY.commands).join(', ')})`];
  const known = new Set([...cdkOptionWords(CDK_REGISTRY.globalOptions), ...cdkOptionWords(command[1].options)]);
  const problems = rest.filter((word) => word.startsWith('-') && !known.has(word.split('=')[0])).map((word) => `cdk ${sub} has no option ${word}`);
  rest.forEach((word, i) => {
    const key = rest[i + 1]?.split('=')[0];
    if (word === '-c' && !CONTEXT_KEYS.includes(key))
      problems.push(`-c ${key}: the checklist sets no context but ${CONTEXT_KEYS.join(', ')}; configuration lives in cdk.json`);
  });
  return problems;
}

function awsProblems(words: readonly Word[]): string[] {
  const texts = words.map((word) => word.text);
  if (texts.length === 1 && texts[0] === '--version') return [];
  const operation = texts[1] === 'wait' ? texts.slice(0, 3).join(' ') : texts.slice(0, 2).join(' ');
  const options = AWS_OPERATIONS[operation];
  if (!options) return [`aws ${operation} is not an operation checked against the AWS CLI reference (AWS_OPERATIONS)`];
  return words
    .filter((word) => !word.quoted && word.text.startsWith('--'))
    .map((word) => word.text)
    .filter((option) => !options.includes(option) && !AWS_GLOBAL_OPTIONS.includes(option))
    .map((option) => `aws ${operation} takes no option ${option} in the reference checked (AWS_OPERATIONS)`);
}

function dockerProblems(words: readonly Word[]): string[] {
  const [sub, ...rest] = words.map((word) => word.text);
  const options = DOCKER_COMMANDS[sub];
  if (!options) return [`docker ${sub} is not a docker command the checklist may use (${Object.keys(DOCKER_COMMANDS).join(', ')})`];
  return rest.filter((word) => word.startsWith('-') && !options.includes(word)).map((option) => `docker ${sub} has no option ${option} here`);
}

const SCRIPTS = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** `npm run <script> ...`: the script exists; rollout and keys commands parse with their CLIs' parsers. */
function npmProblems(words: readonly Word[], line: number): string[] {
  const [run, script] = words.map((word) => word.text);
  if (run !== 'run' || !script) return [`npm ${words.map((word) => word.text).join(' ')}: the checklist runs this project's scripts only, as npm run <script>`];
  if (!(script in SCRIPTS)) return [`npm run ${script}: package.json has no "${script}" script (scripts: ${Object.keys(SCRIPTS).join(', ')})`];
  if (script in CLIS)
    return commandProblems(README_FILE, { line, text: `npm ${words.map((word) => (word.quoted ? `"${word.text}"` : word.text)).join(' ')}`, block: 'bash' });
  return [];
}

/** Every problem of one checklist command. */
function problemsOf(words: readonly Word[], line: number): string[] {
  const [program, ...rest] = words;
  switch (program.text) {
    case 'node':
      return rest.map((word) => word.text).join(' ') === '--version' ? [] : ['node is run only as node --version'];
    case 'npm':
      return npmProblems(rest, line);
    case 'npx':
      return rest[0]?.text === 'cdk' ? cdkProblems(rest.slice(1)) : [`npx ${rest[0]?.text}: the checklist runs only npx cdk`];
    case 'aws':
      return awsProblems(rest);
    case 'docker':
      return dockerProblems(rest);
    default:
      return [`${program.text} is not a program the checklist may use (node, npm, npx cdk, aws, docker)`];
  }
}

// ---------------------------------------------------------------------------------------------

describe(`the README's "${FIRST_DEPLOY}" checklist`, () => {
  test('is numbered from 1 without a gap, and every step has a command to type', () => {
    const found = steps();
    expect(found.map((step) => step.number)).toEqual(found.map((_, i) => i + 1));
    expect(found.length).toBeGreaterThan(10);
    expect(found.filter((step) => !step.text.includes('```bash')).map((step) => `step ${step.number} has no bash block`)).toEqual([]);
  });

  test('every command exists with that syntax', () => {
    expect(typed.length).toBeGreaterThan(0);
    const problems = typed.flatMap(({ line, words }) =>
      problemsOf(words, line).map((problem) => `${README_FILE} "${FIRST_DEPLOY}" line ${line}: ${words.map((word) => word.text).join(' ')}: ${problem}`),
    );
    expect(problems).toEqual([]);
  });

  test('every npm script it runs answers --help', () => {
    // rollout and keys are read in-process with their parsers above; any other script once, as the operator would run it.
    const others = [...new Set(typed.filter(({ words }) => words[0].text === 'npm').map(({ words }) => words[2]?.text))].filter(
      (script) => script !== undefined && !(script in CLIS),
    );
    const failing = others.flatMap((script) => {
      if (!(script in SCRIPTS))
        return [`npm run ${script}: package.json has no "${script}" script yet; the checklist needs it (npm run ${script} -- --help must succeed)`];
      try {
        execFileSync('npm', ['run', '--silent', script, '--', '--help'], { cwd: ROOT, stdio: 'pipe', timeout: 60_000 });
        return [];
      } catch (error) {
        return [`npm run ${script} -- --help failed: ${(error as Error).message.split('\n')[0]}`];
      }
    });
    expect(failing).toEqual([]);
  });

  test.each([
    ['a cdk command that does not exist', 'npx cdk deploi -c env=prod'],
    ['a cdk option that does not exist', 'npx cdk synth -c env=prod --quite'],
    ['configuration given outside cdk.json', 'npx cdk synth -c env=prod -c configFile=prod.json'],
    ['an AWS operation not checked against the reference', 'aws acm request-certificat --domain-name boop.example.com'],
    ['an AWS option the operation does not take', 'aws acm request-certificate --domain boop.example.com'],
    ['a docker command not listed', 'aws ecr get-login-password | docker run x'],
    ['a rollout command that does not exist', 'npm run rollout -- stauts --env prod'],
    ['a script package.json does not have', 'npm run deploy -- --env prod'],
    ['another program', 'curl https://example.com'],
  ])('%s is caught', (_, line) => {
    expect(commandsOf(line).flatMap((words) => problemsOf(words, 1))).not.toEqual([]);
  });

  test('correct commands pass, a pipeline and a comment included', () => {
    const lines = [
      'aws ecr get-login-password --region <region> | docker login --username AWS --password-stdin <account>.dkr.ecr.<region>.amazonaws.com',
      'npm run keys -- put --env prod --slot primary     # nothing is echoed',
      'npx cdk bootstrap aws://<account>/<region>',
    ];
    expect(lines.flatMap((line) => commandsOf(line).flatMap((words) => problemsOf(words, 1)))).toEqual([]);
  });

  test('the lines that name the stack, its topic, its parameter and the key are the names the code gives', () => {
    expect(checklist).toContain(`--stack-name ${PROD.stack} `);
    expect(checklist).toContain(`:${PROD.alertTopic('critical')} `);
    expect(checklist).toContain(`--parameters ${CONFIRM_PRODUCTION_PARAMETER}=true`);
    expect(checklist).toContain(putKeyCommand('prod', 'primary'));
  });

  test('the configuration it shows for production loads as a complete, pinned production configuration', () => {
    const json = snippets(checklist)
      .filter((snippet) => snippet.block === 'json')
      .map((snippet) => snippet.text)
      .join('\n');
    const prod = (JSON.parse(`{${json}}`) as { prod: { alerts: { pagerDutyIntegrationUrlParameter: string } } }).prod;
    const config = loadConfig({ context: { env: 'prod', [ENVIRONMENTS_CONTEXT_KEY]: { prod } } });
    expect({ account: config.account, region: config.region }).toEqual({ account: expect.stringMatching(/^\d{12}$/), region: expect.any(String) });
    // The parameter it stores the PagerDuty URL in is the one the configuration names.
    expect(checklist).toContain(`--name ${prod.alerts.pagerDutyIntegrationUrlParameter} `);
  });

  test('the regions it names are the ones the configuration accepts', () => {
    const listed = /<!-- supported-regions:start -->([\s\S]*?)<!-- supported-regions:end -->/.exec(checklist)?.[1];
    expect(listed?.replace(/\s+/g, ' ').trim()).toBe(`${SUPPORTED_REGIONS.join(', ')}.`);
  });
});

describe(`the README's environments`, () => {
  const part = section('Where the configuration lives');
  const json = snippets(part)
    .filter((snippet) => snippet.block === 'json')
    .map((snippet) => snippet.text)
    .join('\n');
  const example = (JSON.parse(`{${json}}`) as Record<string, Record<string, { boopEnvironment?: string }>>)[ENVIRONMENTS_CONTEXT_KEY];

  test('the example declares dev, staging and prod, each loading bound to the BOOP environment it says', () => {
    expect(Object.keys(example)).toEqual(['dev', 'staging', 'prod']);
    for (const env of Object.keys(example)) {
      const config = loadConfig({ context: { env, [ENVIRONMENTS_CONTEXT_KEY]: example } });
      expect([env, config.boopEnvironment]).toEqual([env, example[env].boopEnvironment ?? BUILT_IN_ENVIRONMENTS[env]]);
    }
  });

  test('npx cdk synth -c env=staging, after declaring staging as the README shows, builds the staging stack', () => {
    const { stack } = build('dev', { [ENVIRONMENTS_CONTEXT_KEY]: example, env: 'staging' });
    expect(stack.stackName).toBe(environmentNames('staging').stack);
  });

  test('the longest environment name it states is the one the code allows', () => {
    expect(part).toContain(`at most ${MAX_ENVIRONMENT_NAME_LENGTH} characters`);
  });
});

describe('every command the README shows is one this project has', () => {
  test('npm run rollout / keys and npx cdk deploy, in every section', () => {
    expect(snippets(README).flatMap((snippet) => commandProblems(README_FILE, snippet))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Links.

/** The README and every page of docs/. */
const DOCUMENTS = [
  README_FILE,
  ...fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .map((file) => `docs/${file}`),
];

/** The relative link targets of a markdown document, outside fenced code blocks. */
function relativeLinks(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').flatMap((line) => {
    if (line.trimStart().startsWith('```')) fenced = !fenced;
    if (fenced) return [];
    // Inline code is not a link.
    return [...line.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]).filter((target) => !/^[a-z]+:/.test(target));
  });
}

describe('every relative link of the README and docs/ leads somewhere', () => {
  test.each(DOCUMENTS)('%s', (document) => {
    const broken = relativeLinks(fs.readFileSync(path.join(ROOT, document), 'utf8')).flatMap((target) => {
      const [file, fragment] = target.split('#');
      const resolved = file ? path.join(ROOT, path.dirname(document), file) : path.join(ROOT, document);
      if (!fs.existsSync(resolved)) return [`${target}: no such file`];
      if (fragment === undefined) return [];
      if (!resolved.endsWith('.md')) return [`${target}: an anchor into a file that is not markdown`];
      return headings(fs.readFileSync(resolved, 'utf8'))
        .map((heading) => anchor(heading.text))
        .includes(fragment)
        ? []
        : [`${target}: no such heading`];
    });
    expect(broken).toEqual([]);
  });

  test('links are read outside code, and only relative ones', () => {
    expect(relativeLinks('[a](docs/none.md) [b](#x) `[c](d)` [e](https://example.com)\n```\n[f](g)\n```')).toEqual(['docs/none.md', '#x']);
  });
});
