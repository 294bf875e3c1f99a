/**
 * The keys CLI's commands (put, check, restart, promote) against the environment's key parameters
 * and, once the stack is deployed, its two services; bin/keys.ts wires them to the terminal,
 * cli/keys-args.ts reads the command line. No command prints, logs or passes on a key's value: it
 * goes from stdin (or from the secondary parameter, for promote) to SSM and nowhere else.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  Service,
  TaskDefinition,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { DeleteParameterCommand, GetParameterCommand, GetParametersCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import {
  apiKeyProblem,
  AWS_MANAGED_SSM_KEY,
  currentKeySlot,
  DAY_MS,
  KEY_SLOTS,
  keyParameterNames,
  KeySlot,
  keySlotsInUse,
  putKeyCommand,
  rotationStartsAt,
} from '../common/keys/api-keys';
import { describeParameters } from '../common/keys/describe-parameters';
import { encryptedWith, KeyRequirements, keyParameterProblems, ParameterFacts } from '../common/keys/parameter-check';
import { BoopEnvironment, CONFIRM_PRODUCTION_PARAMETER, environmentNames } from '../common/names';
import { StackOutputs } from '../common/payloads';
import { BOOP_ENVIRONMENT_FIELD, ENVIRONMENTS_CONTEXT_KEY } from '../lib/config/environments';
import { ConfigError, loadConfig } from '../lib/config/load-config';
import { Slot, SLOTS } from '../common/slots';
import { readCdkJsonContext } from './cdk-context';
import { CliClientOverrides, readClientConfig } from './clients';
import type { EnvironmentSource } from './environments';
import { CliError, explain, failureLineOf } from './errors';
import { KeysArgs, parseKeysArgs, RUN } from './keys-args';
import { Terminal } from './main';
import { bindingOf, DeployedStack, describeStack, findStack } from './stack';

/** How often `restart` asks ECS whether the slot is steady. */
export const RESTART_POLL_MS = 10_000;
/** DescribeTasks takes at most this many tasks per call. */
const DESCRIBE_TASKS_LIMIT = 100;

export interface KeysClients {
  readonly cloudformation: CloudFormationClient;
  readonly ssm: SSMClient;
  readonly ecs: ECSClient;
}

/** The CLI's AWS clients, with the bounded timeouts of cli/clients.ts. */
export function createKeysClients(overrides: CliClientOverrides = {}): KeysClients {
  const read = readClientConfig(overrides);
  return { cloudformation: new CloudFormationClient(read), ssm: new SSMClient(read), ecs: new ECSClient(read) };
}

/** What the environment's configuration says about its keys. */
export interface KeySettings {
  /** `boop.keyRotationDate` (YYYY-MM-DD), when a rotation is configured. */
  readonly rotationDate?: string;
  /** The KMS key the parameters are written and judged with (the deployed stack's, else `boop.apiKeyKmsKeyArn`); undefined for SSM's AWS-managed key. */
  readonly encryptionKeyArn?: string;
  /** False when the configuration could not be read (a deployed environment's commands go on without it). @default true */
  readonly configReadable?: boolean;
  /** `boop.apiKeyKmsKeyArn` as configured (the deployed key when the configuration cannot be read): the next deploy's check applies it. */
  readonly configuredEncryptionKeyArn?: string;
}

export interface KeysIo extends Terminal {
  /** The key from stdin; `prompt` is shown on a terminal only. */
  readonly readKey: (prompt: string) => Promise<string>;
  /** The environment's key settings, from its configuration (see keySettingsFromConfig). */
  readonly keySettings: (env: string, configFile?: string) => KeySettings;
  /** The declared environments `--env` must name. @default cdk.json's in the working directory */
  readonly environments?: EnvironmentSource;
}

/** Runs one command. Every failure is a CliError whose message says what to do. */
export async function runKeysCli(argv: readonly string[], clients: KeysClients, io: KeysIo): Promise<void> {
  const args = parseKeysArgs(argv, io.environments);
  if (args.command === 'help') {
    io.out(args.usage);
    return;
  }
  try {
    // A key is read and judged before any AWS call: a refused key sends nothing anywhere.
    const key = args.command === 'put' ? await readKey(io, args.env, args.boopEnvironment, args.slot) : undefined;
    const settings = await resolveKeySettings(clients, io, args);
    await runCommand(args, clients, io, settings, key);
  } catch (error) {
    throw explain(error);
  }
}

/**
 * The key settings a command acts on. The KMS key is the deployed stack's (the one its execution
 * roles may decrypt with), so a put never writes a key the running services cannot read; the
 * configuration is needed only before the first deploy, and a configuration with problems elsewhere
 * does not stop a command on a deployed environment (a leaked key cannot wait for a config fix).
 * A command that writes a key (put, promote) is refused when the deployed stack is bound otherwise
 * than cdk.json says: the key was judged by cdk.json's binding.
 */
async function resolveKeySettings(clients: KeysClients, io: KeysIo, args: Exclude<KeysArgs, { command: 'help' }>): Promise<KeySettings> {
  const { env, configFile } = args;
  const writes = args.command !== 'check';
  let configured: KeySettings | undefined;
  let configProblem: CliError | undefined;
  try {
    configured = io.keySettings(env, configFile);
  } catch (error) {
    // A configuration file named on the command line must be right; cdk.json's other problems wait for the stack lookup.
    if (!(error instanceof CliError) || configFile !== undefined) throw error;
    configProblem = error;
  }
  const stack = await findStack(clients.cloudformation, env);
  if (!stack) {
    if (configProblem) throw configProblem;
    return { ...configured!, configuredEncryptionKeyArn: configured!.encryptionKeyArn };
  }
  if (args.command === 'put' || args.command === 'promote') refuseOtherBinding(args.command, env, args.boopEnvironment, stack);
  const deployedKey = stack.outputs.apiKeyEncryptionKey;
  const configuredKey = configured?.encryptionKeyArn ?? AWS_MANAGED_SSM_KEY;
  if (writes && configured && configuredKey !== deployedKey) {
    // Writing with either key would leave some tasks unable to decrypt: the deployed roles may use the deployed key alone.
    throw new CliError(
      `boop.apiKeyKmsKeyArn says ${configuredKey} but the deployed ${env} stack's tasks may decrypt only with ${deployedKey}; changing the key of a deployed environment is not supported yet (docs/api-keys.md), so set boop.apiKeyKmsKeyArn back to ${deployedKey === AWS_MANAGED_SSM_KEY ? 'nothing' : deployedKey}; nothing was written`,
    );
  }
  return {
    rotationDate: configured?.rotationDate,
    encryptionKeyArn: deployedKey === AWS_MANAGED_SSM_KEY ? undefined : deployedKey,
    configReadable: configured !== undefined,
    configuredEncryptionKeyArn: configured ? configured.encryptionKeyArn : deployedKey === AWS_MANAGED_SSM_KEY ? undefined : deployedKey,
  };
}

/**
 * Refuses, writing nothing, a key for a stack whose binding (ConfirmProduction, which only a
 * production-bound stack has) is not cdk.json's: a stale checkout or an edited binding would
 * otherwise put a development key into a production stack's parameter, or the other way round.
 */
function refuseOtherBinding(command: 'put' | 'promote', env: string, declared: BoopEnvironment, stack: DeployedStack): void {
  const deployed = bindingOf(stack);
  if (deployed === declared) return;
  const how = stack.production ? `it has the ${CONFIRM_PRODUCTION_PARAMETER} parameter` : `it has no ${CONFIRM_PRODUCTION_PARAMETER} parameter`;
  throw new CliError(
    `${command} refused, nothing was written: stack ${environmentNames(env).stack} is bound to BOOP ${deployed} (${how}) but cdk.json binds ${env} to BOOP ${declared}, which judged the key; ` +
      `set cdk.json's ${ENVIRONMENTS_CONTEXT_KEY}.${env}.${BOOP_ENVIRONMENT_FIELD} to "${deployed}" as the deployed stack is, or, to rebind ${env} on purpose, see "Stack" in docs/preflight.md`,
  );
}

async function runCommand(
  args: Exclude<KeysArgs, { command: 'help' }>,
  clients: KeysClients,
  io: KeysIo,
  settings: KeySettings,
  key: string | undefined,
): Promise<void> {
  switch (args.command) {
    case 'put':
      return put(clients, io, args.env, args.slot, settings, key!);
    case 'check':
      return check(clients, io, args.env, settings);
    case 'restart':
      return restart(clients, io, args.env, args.slot, args.timeoutMinutes, settings);
    case 'promote':
      return promote(clients, io, args.env, args.boopEnvironment, settings);
  }
}

/** The one line a failed command prints on stderr: `keys: <what went wrong and what to do>`. */
export function failureLine(error: unknown): string {
  return failureLineOf('keys', error);
}

/**
 * The environment's key settings, read as the app reads its configuration: cdk.json's context in
 * `cwd`, with `--config-file` as `-c configFile=`. A configuration with problems is one CliError.
 */
export function keySettingsFromConfig(env: string, configFile: string | undefined, cwd: string = process.cwd()): KeySettings {
  const context = readCdkJsonContext(cwd, 'npm run keys');
  try {
    const config = loadConfig({ context: { ...context, env, ...(configFile === undefined ? {} : { configFile }) }, cwd });
    return { rotationDate: config.boop.keyRotationDate, encryptionKeyArn: config.boop.apiKeyKmsKeyArn };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const where = configFile === undefined ? `cdk.json's boop:environments.${env}` : `cdk.json's boop:environments.${env} and ${configFile}`;
    throw new CliError(
      `the configuration of ${env} has ${error.problems.length === 1 ? 'a problem' : `${error.problems.length} problems`}, so its key settings cannot be read: ${error.problems.join('; ')} (fix ${where}, or pass --config-file <path>)`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// What the CLI reads: the parameters (never a key's value, except promote's copy) and the services

/** The environment's key parameters and the rotation date the stack deployed. */
interface ParameterView {
  readonly found: readonly ParameterFacts[];
  readonly bySlot: Readonly<Partial<Record<KeySlot, ParameterFacts>>>;
  readonly rotationDateParameter?: ParameterFacts;
  /** The rotation-date parameter's value: the date the deployed tasks were given. */
  readonly deployedRotationDate?: string;
}

async function readParameters(ssm: SSMClient, env: string): Promise<ParameterView> {
  const rotationDateName = environmentNames(env).parameters.keyRotationDate;
  const names = [...KEY_SLOTS.map((slot) => keyParameterNames(env)[slot]), rotationDateName];
  const found = await describeParameters(ssm, names);
  const byName = new Map(found.map((record) => [record.name, record]));
  const rotationDateParameter = byName.get(rotationDateName);
  let deployedRotationDate: string | undefined;
  if (rotationDateParameter) {
    // The stack's String parameter, not a key.
    deployedRotationDate = await ssm
      .send(new GetParameterCommand({ Name: rotationDateName }))
      .then((answer) => answer.Parameter?.Value)
      .catch((error) => {
        if ((error as { name?: string }).name === 'ParameterNotFound') return undefined;
        throw error;
      });
  }
  const bySlot = Object.fromEntries(
    KEY_SLOTS.flatMap((slot) => (byName.has(keyParameterNames(env)[slot]) ? [[slot, byName.get(keyParameterNames(env)[slot])!]] : [])),
  );
  return { found, bySlot, rotationDateParameter, deployedRotationDate };
}

/** What tasks reading these key slots need of the parameters. */
function requirementsOf(env: string, slots: readonly KeySlot[], settings: KeySettings): KeyRequirements {
  return {
    envName: env,
    parameters: Object.fromEntries(slots.map((slot) => [slot, keyParameterNames(env)[slot]])),
    encryptionKeyArn: settings.encryptionKeyArn,
  };
}

/** A task definition and the key slots its containers read as secrets. */
interface TaskDefinitionView {
  readonly arn: string;
  /** family:revision, as the console shows it. */
  readonly label: string;
  readonly keySlots: readonly KeySlot[];
}

interface TaskView {
  readonly arn: string;
  /** When ECS created the task: it reads its secrets after that, so a key changed before it is certainly read; one changed after may not be. */
  readonly startedAt?: Date;
  readonly taskDefinition: TaskDefinitionView;
}

/** One slot's service as ECS reports it, with the task definitions of its deployments and its running tasks. */
interface SlotView {
  readonly slot: Slot;
  readonly service: Service;
  /** The task definitions of the service's deployments, the current one first, in-flight ones after: what new tasks start from. */
  readonly liveTaskDefinitions: readonly TaskDefinitionView[];
  readonly tasks: readonly TaskView[];
}

/** The parameter name an ECS secret's valueFrom names: the name itself, or an SSM parameter ARN. */
function parameterNameOf(valueFrom: string): string {
  const arn = /^arn:[^:]+:ssm:[^:]*:[^:]*:parameter(\/.*)$/.exec(valueFrom);
  return arn ? arn[1] : valueFrom;
}

/** The key slots whose parameters a task definition's containers read as secrets. */
function keySlotsOf(env: string, taskDefinition: TaskDefinition): KeySlot[] {
  const read = new Set((taskDefinition.containerDefinitions ?? []).flatMap((c) => (c.secrets ?? []).map((s) => parameterNameOf(s.valueFrom ?? ''))));
  return KEY_SLOTS.filter((slot) => read.has(keyParameterNames(env)[slot]));
}

function serviceNameOf(outputs: StackOutputs, slot: Slot): string {
  return slot === 'blue' ? outputs.blueServiceName : outputs.greenServiceName;
}

async function describeService(ecs: ECSClient, cluster: string, serviceName: string, env: string): Promise<Service> {
  const answer = await ecs.send(new DescribeServicesCommand({ cluster, services: [serviceName] }));
  const service = answer.services?.find((s) => s.serviceName === serviceName || s.serviceArn?.endsWith(`/${serviceName}`));
  if (!service || service.status === 'INACTIVE') {
    throw new CliError(`ECS service ${serviceName} is not in cluster ${cluster}; deploy the stack again: npx cdk deploy -c env=${env}`);
  }
  return service;
}

/** Reads task definitions once each. */
function taskDefinitionReader(ecs: ECSClient, env: string) {
  const cache = new Map<string, Promise<TaskDefinitionView>>();
  return (arn: string): Promise<TaskDefinitionView> => {
    if (!cache.has(arn)) {
      cache.set(
        arn,
        ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn })).then(({ taskDefinition }) => {
          if (!taskDefinition) throw new CliError(`ECS does not describe task definition ${arn}; run the command again`);
          const label = taskDefinition.family ? `${taskDefinition.family}:${taskDefinition.revision}` : arn;
          return { arn, label, keySlots: keySlotsOf(env, taskDefinition) };
        }),
      );
    }
    return cache.get(arn)!;
  };
}

async function readSlot(
  ecs: ECSClient,
  outputs: StackOutputs,
  env: string,
  slot: Slot,
  taskDefinition: (arn: string) => Promise<TaskDefinitionView>,
): Promise<SlotView> {
  const cluster = outputs.clusterName;
  const serviceName = serviceNameOf(outputs, slot);
  const service = await describeService(ecs, cluster, serviceName, env);
  const taskArns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(new ListTasksCommand({ cluster, serviceName, desiredStatus: 'RUNNING', nextToken }));
    taskArns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  const described = [];
  for (let i = 0; i < taskArns.length; i += DESCRIBE_TASKS_LIMIT) {
    const answer = await ecs.send(new DescribeTasksCommand({ cluster, tasks: taskArns.slice(i, i + DESCRIBE_TASKS_LIMIT) }));
    described.push(...(answer.tasks ?? []));
  }
  const deploymentDefinitions = [service.taskDefinition, ...(service.deployments ?? []).map((d) => d.taskDefinition)].filter((arn): arn is string => !!arn);
  const liveTaskDefinitions = await Promise.all([...new Set(deploymentDefinitions)].map(taskDefinition));
  const tasks = await Promise.all(
    described
      .filter((task) => task.taskDefinitionArn)
      .map(async (task) => ({
        arn: task.taskArn ?? '?',
        // createdAt, not startedAt: a task created before a put may have read the old key and still start after the put.
        startedAt: task.createdAt ?? task.startedAt,
        taskDefinition: await taskDefinition(task.taskDefinitionArn!),
      })),
  );
  return { slot, service, liveTaskDefinitions, tasks };
}

async function readSlots(ecs: ECSClient, outputs: StackOutputs, env: string): Promise<SlotView[]> {
  const taskDefinition = taskDefinitionReader(ecs, env);
  return Promise.all(SLOTS.map((slot) => readSlot(ecs, outputs, env, slot, taskDefinition)));
}

/** Why new tasks of a slot could not start: each live task definition judged against the parameters, without repeats. */
function slotProblems(env: string, view: SlotView, parameters: ParameterView, settings: KeySettings): string[] {
  const problems = view.liveTaskDefinitions.flatMap((definition) => keyParameterProblems(requirementsOf(env, definition.keySlots, settings), parameters.found));
  return [...new Set(problems)];
}

// ---------------------------------------------------------------------------------------------
// Writing a key

/** How a message names the key a parameter is (to be) encrypted with. */
function keyName(settings: KeySettings): string {
  return settings.encryptionKeyArn ?? AWS_MANAGED_SSM_KEY;
}

/**
 * Writes `value` as the SecureString parameter of `slot`, encrypted with the configured key (named
 * always, so an overwrite never keeps an earlier key). Returns the new version.
 */
async function writeKey(clients: KeysClients, io: KeysIo, env: string, slot: KeySlot, value: string, settings: KeySettings): Promise<number | undefined> {
  const name = keyParameterNames(env)[slot];
  const put = (overwrite: boolean) =>
    clients.ssm.send(
      new PutParameterCommand({
        Name: name,
        Value: value,
        Type: 'SecureString',
        KeyId: keyName(settings),
        Overwrite: overwrite,
        Description: `BOOP API key (${slot}) of boop-deploy's ${env} environment; written by ${RUN} put or promote`,
      }),
    );
  try {
    return (await put(true)).Version;
  } catch (error) {
    const errorName = (error as { name?: string }).name;
    if (errorName === 'HierarchyTypeMismatchException') {
      // SSM will not turn a String into a SecureString in place; the parameter is replaced at once.
      io.out(`${name} is not a SecureString and SSM will not change its type; replacing it (delete, then write) ...`);
      await clients.ssm.send(new DeleteParameterCommand({ Name: name }));
      try {
        return (await put(false)).Version;
      } catch (writeError) {
        throw new CliError(
          `deleted the String parameter ${name} but could not write the SecureString (${explain(writeError).message}); it is missing now, so new tasks reading it cannot start: run ${putKeyCommand(env, slot)} again`,
        );
      }
    }
    if (errorName === 'InvalidKeyId' || errorName === 'KMSInvalidStateException' || errorName === 'KMSNotFoundException') {
      throw new CliError(
        `SSM cannot encrypt with ${keyName(settings)} (${errorName}); check boop.apiKeyKmsKeyArn (it must name an enabled key in this account and region that you may use); nothing was written`,
      );
    }
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// put

/** The key from stdin, refused (nothing written) unless it can be a key of the BOOP environment `env` talks to. */
async function readKey(io: KeysIo, env: string, boopEnvironment: BoopEnvironment, slot: KeySlot): Promise<string> {
  const value = await io.readKey(`Type or paste the ${slot} BOOP API key of ${env}, then Enter (it is not shown; Ctrl-C cancels): `);
  const problem = apiKeyProblem(value, boopEnvironment);
  if (problem) throw new CliError(`${problem}; nothing was written`);
  return value;
}

async function put(clients: KeysClients, io: KeysIo, env: string, slot: KeySlot, settings: KeySettings, value: string): Promise<void> {
  const before = await readParameters(clients.ssm, env);
  const existing = before.bySlot[slot];
  const version = await writeKey(clients, io, env, slot, value, settings);
  const name = keyParameterNames(env)[slot];
  io.out(`put (${env}): wrote the ${slot} key to ${name} (SecureString, encrypted with ${keyName(settings)}${version ? `, version ${version}` : ''})`);
  if (existing?.type === 'SecureString' && !encryptedWith(existing.keyId, settings.encryptionKeyArn)) {
    io.out(
      `warning: it was encrypted with ${existing.keyId}; tasks can read it only once a deploy lets them decrypt with ${keyName(settings)}: npx cdk deploy -c env=${env}`,
    );
  }
  const stack = await findStack(clients.cloudformation, env);
  for (const line of afterPut(env, slot, settings, before.deployedRotationDate, stack !== undefined)) io.out(line);
}

/** What to do after a put, by what the tasks read and what is deployed. */
function afterPut(env: string, slot: KeySlot, settings: KeySettings, deployedDate: string | undefined, deployed: boolean): string[] {
  const deploy = `npx cdk deploy -c env=${env}`;
  if (!deployed) return [`next: deploy the stack, whose tasks read the keys when they start: ${deploy}`];
  if (slot === 'secondary' && deployedDate === undefined) {
    if (settings.rotationDate === undefined) {
      return [
        `next: set boop.keyRotationDate (YYYY-MM-DD, the day the services switch to this key) in cdk.json's boop:environments.${env}, then deploy: ${deploy}`,
        '      the deploy starts new tasks of both slots, which read both keys',
      ];
    }
    return [`next: deploy boop.keyRotationDate ${settings.rotationDate}: ${deploy}; it starts new tasks of both slots, which read both keys`];
  }
  return [`next: running tasks read keys only when they start; ${restartSequence(env)}`];
}

/** The runbook's order: green first, checked, then blue. */
function restartSequence(env: string): string {
  return `restart green, check it, then restart blue: ${RUN} restart --env ${env} --slot green; ${RUN} check --env ${env}; ${RUN} restart --env ${env} --slot blue`;
}

// ---------------------------------------------------------------------------------------------
// check

const time = (at: Date | undefined) => (at ? at.toISOString().replace(/\.000Z$/, 'Z') : '-');

async function check(clients: KeysClients, io: KeysIo, env: string, settings: KeySettings): Promise<void> {
  const now = io.now();
  const names = environmentNames(env);
  const [parameters, stack] = await Promise.all([readParameters(clients.ssm, env), findStack(clients.cloudformation, env)]);
  const slots = stack ? await readSlots(clients.ecs, stack.outputs, env) : undefined;

  io.out(`BOOP API keys of ${env} (${names.stack}${stack ? '' : ', not deployed'}) at ${time(now)}`);
  io.out('');
  const parameterRows = [
    ['parameter', 'exists', 'type', 'encrypted with', 'last change'],
    ...[...KEY_SLOTS.map((slot) => keyParameterNames(env)[slot]), names.parameters.keyRotationDate].map((name) => {
      const p = parameters.found.find((record) => record.name === name);
      if (!p) return [name, 'no', '-', '-', '-'];
      const encrypted = p.type === 'SecureString' ? (p.keyId ?? AWS_MANAGED_SSM_KEY) : '-';
      return [name, 'yes', p.type ?? '?', encrypted, `${time(p.lastModified)}${p.version ? ` (version ${p.version})` : ''}`];
    }),
  ];
  const widths = parameterRows[0].map((_, column) => Math.max(...parameterRows.map((row) => row[column].length)));
  for (const row of parameterRows) io.out(`  ${row.map((cell, column) => cell.padEnd(widths[column])).join('  ')}`.trimEnd());
  io.out('');

  const rows: [string, string][] = [];
  const deployed = parameters.deployedRotationDate;
  const configured = settings.rotationDate;
  rows.push(['rotation date', rotationDateLine(deployed, configured, stack !== undefined)]);
  // The date the tasks were given decides which key they use; before a deploy, the configured one will.
  const effective = stack ? deployed : configured;
  rows.push(['key in use', keyInUseLine(effective, now)]);
  rows.push(['rotation ready', rotationReadyLine(env, effective ?? configured, parameters, settings, now)]);
  // The next deploy judges with the configured key, which may differ from the deployed one.
  const nextDeploy = keyParameterProblems(
    requirementsOf(env, keySlotsInUse(configured), { encryptionKeyArn: settings.configuredEncryptionKeyArn }),
    parameters.found,
  );
  rows.push(['next deploy', nextDeploy.length === 0 ? 'passes the key check' : `refused by the key check: ${nextDeploy.join('; ')}`]);

  if (!slots) {
    rows.push(['services', `not deployed; deploy with: npx cdk deploy -c env=${env}`]);
  } else {
    for (const view of slots) rows.push(...slotRows(env, view, parameters, settings));
  }
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  for (const [label, value] of rows) io.out(`  ${label.padEnd(width)}${value}`);
}

/** Which key the services use today (ENV "API Key Management": getCurrentKey), and from when the other. */
function keyInUseLine(rotationDate: string | undefined, now: Date): string {
  const startsAt = rotationDate === undefined ? undefined : rotationStartsAt(rotationDate);
  if (currentKeySlot(rotationDate, now) === 'secondary') return `secondary (since ${time(startsAt)}), the primary as fallback`;
  return startsAt ? `primary (the secondary from ${time(startsAt)})` : 'primary';
}

function rotationDateLine(deployed: string | undefined, configured: string | undefined, stackDeployed: boolean): string {
  if (!stackDeployed) return configured ? `${configured} configured (not deployed)` : 'none';
  if (deployed === configured) return deployed ? `${deployed} (deployed)` : 'none';
  const configuredPart = `configured: ${configured ?? 'none'} (deploy to apply)`;
  return deployed ? `${deployed} (deployed); ${configuredPart}` : `none deployed; ${configuredPart}`;
}

function rotationReadyLine(env: string, date: string | undefined, parameters: ParameterView, settings: KeySettings, now: Date): string {
  const startsAt = date === undefined ? undefined : rotationStartsAt(date);
  if (!startsAt) {
    const none = 'no rotation configured (boop.keyRotationDate is not set)';
    // Whether it is a new key or the one a finished rotation left, only the operator knows: check never reads a value.
    return parameters.bySlot.secondary
      ? `${none}; a secondary key is in place: to rotate to it, set boop.keyRotationDate and deploy; if a rotation just finished, delete it with: ${RUN} promote --env ${env}`
      : none;
  }
  if (now >= startsAt) return `the rotation date has come (${date}); when both slots read the secondary, finish with: ${RUN} promote --env ${env}`;
  const days = Math.ceil((startsAt.getTime() - now.getTime()) / DAY_MS);
  const problems = keyParameterProblems(requirementsOf(env, ['secondary'], settings), parameters.found);
  if (problems.length === 0) return `yes: the secondary key is in place, ${days} day${days === 1 ? '' : 's'} before ${date}`;
  return `NO: ${problems.join('; ')} (before ${date}, in ${days} day${days === 1 ? '' : 's'})`;
}

/** A slot's rows: its tasks and the keys they read, stale tasks, and whether new tasks can start. */
function slotRows(env: string, view: SlotView, parameters: ParameterView, settings: KeySettings): [string, string][] {
  const { slot, service, tasks } = view;
  const live = view.liveTaskDefinitions[0];
  const reads = live ? (live.keySlots.length ? live.keySlots.join(' and ') : 'no key') : 'unknown';
  const deployments = (service.deployments ?? []).length;
  const rows: [string, string][] = [
    [
      slot,
      `${service.runningCount ?? tasks.length} of ${service.desiredCount ?? '?'} tasks running${deployments > 1 ? `, ${deployments} deployments in flight` : ''}; new tasks read ${reads} (${live?.label ?? '?'})`,
    ],
  ];
  // A task read its keys when it started: a key changed since is not the one it holds.
  const staleKeysOf = (task: TaskView) =>
    task.taskDefinition.keySlots.filter((keySlot) => {
      const changed = parameters.bySlot[keySlot]?.lastModified;
      return changed !== undefined && (!task.startedAt || task.startedAt < changed);
    });
  const staleBy = new Map<KeySlot, number>();
  for (const keySlot of tasks.flatMap(staleKeysOf)) staleBy.set(keySlot, (staleBy.get(keySlot) ?? 0) + 1);
  const staleTasks = tasks.filter((task) => staleKeysOf(task).length > 0).length;
  if (staleTasks === 0) {
    rows.push([`${slot} keys`, tasks.length ? 'current: every running task started after the last change of each key it reads' : 'no running tasks']);
  } else {
    const which = [...staleBy].map(
      ([keySlot, count]) => `${keySlot} changed ${time(parameters.bySlot[keySlot]?.lastModified)}: ${count} task${count === 1 ? '' : 's'}`,
    );
    rows.push([
      `${slot} keys`,
      `STALE until restarted: ${staleTasks} of ${tasks.length} running tasks started before a key they read changed (${which.join('; ')}); restart: ${RUN} restart --env ${env} --slot ${slot}`,
    ]);
  }
  const problems = slotProblems(env, view, parameters, settings);
  rows.push([`${slot} new tasks`, problems.length === 0 ? 'can start' : `CANNOT START: ${problems.join('; ')}`]);
  return rows;
}

// ---------------------------------------------------------------------------------------------
// restart

async function restart(clients: KeysClients, io: KeysIo, env: string, slot: Slot, timeoutMinutes: number, settings: KeySettings): Promise<void> {
  const stack = await describeStack(clients.cloudformation, env);
  const cluster = stack.outputs.clusterName;
  const serviceName = serviceNameOf(stack.outputs, slot);
  const service = await describeService(clients.ecs, cluster, serviceName, env);
  if (!service.taskDefinition) throw new CliError(`ECS service ${serviceName} has no task definition; deploy the stack again: npx cdk deploy -c env=${env}`);
  const definition = await taskDefinitionReader(clients.ecs, env)(service.taskDefinition);
  const parameters = await readParameters(clients.ssm, env);
  const problems = keyParameterProblems(requirementsOf(env, definition.keySlots, settings), parameters.found);
  if (problems.length > 0) {
    throw new CliError(`restart of ${slot} refused, nothing was restarted: its new tasks (${definition.label}) could not start: ${problems.join('; ')}`);
  }

  const started = io.now();
  const updated = await clients.ecs.send(new UpdateServiceCommand({ cluster, service: serviceName, forceNewDeployment: true }));
  const deploymentId = updated.service?.deployments?.find((d) => d.status === 'PRIMARY')?.id;
  io.out(
    `restart (${env}): ${slot} is starting new tasks (${definition.label}, reading ${definition.keySlots.join(' and ') || 'no key'}); waiting up to ${timeoutMinutes} min for it to be steady ...`,
  );
  const describe = `aws ecs describe-services --cluster ${cluster} --services ${serviceName}`;
  const deadline = started.getTime() + timeoutMinutes * 60_000;
  for (;;) {
    await io.sleep(RESTART_POLL_MS);
    const now = io.now();
    const current = await describeService(clients.ecs, cluster, serviceName, env);
    const deployments = current.deployments ?? [];
    const ours = deploymentId ? deployments.find((d) => d.id === deploymentId) : deployments.find((d) => d.status === 'PRIMARY');
    const lastEvent = current.events?.[0]?.message;
    if (!ours || ours.rolloutState === 'FAILED') {
      const why = (ours?.rolloutStateReason ?? lastEvent ?? 'ECS replaced the deployment').replace(/\.$/, '');
      throw new CliError(
        `the restart of ${slot} failed: ${why}; ECS keeps (or rolls back to) the tasks it had, which hold the keys they read; see ${RUN} check --env ${env} and ${describe}`,
      );
    }
    if (deployments.length === 1 && ours.rolloutState === 'COMPLETED' && current.runningCount === current.desiredCount) {
      const minutes = ((now.getTime() - started.getTime()) / 60_000).toFixed(1);
      io.out(
        `restart (${env}): ${slot} is steady after ${minutes} min: ${current.runningCount} of ${current.desiredCount} tasks started since ${time(started)}, reading the current keys`,
      );
      io.out(
        slot === 'green'
          ? `next: check green, then restart blue: ${RUN} check --env ${env}; ${RUN} restart --env ${env} --slot blue`
          : `next: ${RUN} check --env ${env}`,
      );
      return;
    }
    if (now.getTime() >= deadline) {
      throw new CliError(
        `${slot} is not steady after ${timeoutMinutes} min (${deployments.length} deployments, the restart's ${ours.rolloutState ?? 'state unknown'}, ${current.runningCount} of ${current.desiredCount} running); ECS carries on: watch it with ${describe}, or wait longer with --timeout-minutes`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// promote

async function promote(clients: KeysClients, io: KeysIo, env: string, boopEnvironment: BoopEnvironment, settings: KeySettings): Promise<void> {
  const now = io.now();
  const parameters = await readParameters(clients.ssm, env);
  const deployedDate = parameters.deployedRotationDate;
  if (!parameters.bySlot.secondary) {
    io.out(`promote (${env}): there is no secondary key, so nothing to promote; the rotation is finished (or not started).`);
    if (!parameters.bySlot.primary) io.out(`next: put the primary key: ${putKeyCommand(env, 'primary')}`);
    return;
  }
  const primaryName = keyParameterNames(env).primary;
  const secondaryName = keyParameterNames(env).secondary;
  const answer = await clients.ssm.send(new GetParametersCommand({ Names: [primaryName, secondaryName], WithDecryption: true }));
  const valueOf = (name: string) => answer.Parameters?.find((p) => p.Name === name)?.Value;
  const secondary = valueOf(secondaryName);
  if (secondary === undefined) throw new CliError(`SSM did not return ${secondaryName}; run the command again`);

  if (valueOf(primaryName) !== secondary) {
    // Stage 1: the services use the secondary from the rotation date on, so only from then may it replace the primary.
    const startsAt = deployedDate === undefined ? undefined : rotationStartsAt(deployedDate);
    if (!startsAt) {
      throw new CliError(
        `promote refused, nothing changed: no rotation date is deployed, so the services use the primary key; set boop.keyRotationDate in cdk.json's boop:environments.${env} and deploy first: npx cdk deploy -c env=${env}`,
      );
    }
    if (now < startsAt) {
      throw new CliError(
        `promote refused, nothing changed: the rotation date ${deployedDate} has not come, so the services still use the primary key; promote from ${time(startsAt)}`,
      );
    }
    const problem = apiKeyProblem(secondary, boopEnvironment);
    if (problem)
      throw new CliError(
        `promote refused, nothing changed: the secondary key cannot be the primary: ${problem}; put it again with: ${putKeyCommand(env, 'secondary')}`,
      );
    const version = await writeKey(clients, io, env, 'primary', secondary, settings);
    io.out(
      `promote (${env}): the primary key is now the secondary's (${primaryName}${version ? ` version ${version}` : ''}); the secondary stays until no task reads it`,
    );
    io.out('next:');
    io.out(`  1. ${restartSequence(env)}`);
    io.out('  2. revoke the old key at BOOP');
    io.out(`  3. remove boop.keyRotationDate from cdk.json's boop:environments.${env}, then deploy: npx cdk deploy -c env=${env}`);
    io.out(`  4. promote again, which deletes the secondary: ${RUN} promote --env ${env}`);
    return;
  }

  // Stage 2: the primary holds the secondary's key; the secondary may go once no task can ever need it.
  const left: string[] = [];
  if (settings.rotationDate !== undefined) left.push(`remove boop.keyRotationDate (${settings.rotationDate}) from cdk.json's boop:environments.${env}`);
  if (deployedDate !== undefined)
    left.push(`deploy without boop.keyRotationDate (the stack still gives the tasks ${deployedDate}): npx cdk deploy -c env=${env}`);
  const stack = await findStack(clients.cloudformation, env);
  if (stack) {
    for (const view of await readSlots(clients.ecs, stack.outputs, env)) {
      const readers = view.liveTaskDefinitions.filter((definition) => definition.keySlots.includes('secondary'));
      if (readers.length > 0)
        left.push(
          `${view.slot}'s ${readers.map((d) => d.label).join(' and ')} still read${readers.length === 1 ? 's' : ''} the secondary (a deploy without the date, finished, replaces it)`,
        );
    }
  }
  if (left.length > 0) {
    io.out(`promote (${env}): the primary already holds the secondary's key; the secondary stays while tasks may need it; nothing was changed. Left to do:`);
    left.forEach((step, i) => io.out(`  ${i + 1}. ${step}`));
    io.out(`  ${left.length + 1}. promote again: ${RUN} promote --env ${env}`);
    return;
  }
  await clients.ssm.send(new DeleteParameterCommand({ Name: secondaryName }));
  io.out(`promote (${env}): deleted ${secondaryName}, which no task reads; the rotation is finished and the primary is the only key.`);
}
