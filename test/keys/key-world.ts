/**
 * An in-memory AWS for the keys CLI's tests: SSM's parameter store, the environment's stack, and
 * ECS running the two slots, whose task definitions read key parameters as secrets. The SDK
 * clients are real; aws-sdk-client-mock answers their calls from this state. ECS behaves as it
 * does for secrets: a task reads its parameters once, when it starts, and cannot start when one
 * is missing or cannot be decrypted (a deployment of such tasks fails and keeps the old tasks).
 * BOOP is here too, as the set of keys it accepts, so a test can ask whether running tasks work.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  UpdateServiceCommand,
  UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import {
  DeleteParameterCommand,
  DescribeParametersCommand,
  DescribeParametersCommandInput,
  GetParameterCommand,
  GetParametersCommand,
  HierarchyTypeMismatchException,
  ParameterNotFound,
  PutParameterCommand,
  PutParameterCommandInput,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { projectEnvironments } from '../../cli/environments';
import { CliError } from '../../cli/errors';
import { KeySettings, KeysIo, runKeysCli } from '../../cli/keys';
import { API_KEY_PREFIX, AWS_MANAGED_SSM_KEY, currentKeySlot, KEY_VARIABLES, keyParameterNames, KeySlot, keySlotsInUse } from '../../common/keys/api-keys';
import { keyParameterProblems, ParameterFacts } from '../../common/keys/parameter-check';
import { BoopEnvironment, CONFIRM_PRODUCTION_PARAMETER, environmentNames } from '../../common/names';
import { STACK_OUTPUTS, StackOutputs } from '../../common/payloads';
import type { Declarations } from '../../lib/config/environments';
import { Slot, SLOTS } from '../../common/slots';

export const REGION = 'eu-west-1';
export const ACCOUNT = '111122223333';
const CLUSTER = 'boop-cluster';

/** A key of a BOOP environment, built at run time so no key-like literal sits in the source. */
export function fakeKey(boopEnvironment: BoopEnvironment, fill: string): string {
  return `${API_KEY_PREFIX[boopEnvironment]}${fill.repeat(24)}`;
}

interface StoredParameter {
  readonly type: string;
  readonly value: string;
  readonly keyId?: string;
  readonly version: number;
  readonly lastModified: Date;
}

interface TaskDefinitionRecord {
  readonly arn: string;
  readonly family: string;
  readonly revision: number;
  /** The key slots its container reads as secrets. */
  readonly keySlots: readonly KeySlot[];
  /** BOOP_KEY_ROTATION_DATE of its container, during a rotation. */
  readonly rotationDate?: string;
}

/** A running task: what it read when it started. */
export interface RunningTask {
  readonly arn: string;
  readonly taskDefinitionArn: string;
  readonly startedAt: Date;
  readonly keys: Readonly<Partial<Record<KeySlot, string>>>;
  readonly rotationDate?: string;
}

interface Deployment {
  readonly id: string;
  status: 'PRIMARY' | 'ACTIVE';
  readonly taskDefinitionArn: string;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  rolloutStateReason?: string;
}

interface ServiceRecord {
  readonly name: string;
  taskDefinitionArn: string;
  deployments: Deployment[];
  tasks: RunningTask[];
}

/** One CLI run: what it printed, and its failure if it failed. */
export interface CliRun {
  readonly lines: readonly string[];
  readonly error?: Error;
  readonly output: string;
}

export interface WorldOptions {
  readonly env?: string;
  /** The environments cdk.json declares, as the CLI reads them. @default this repository's cdk.json's, as the CLI reads them unless told */
  readonly environments?: Declarations;
  readonly now?: Date;
  /** Whether SSM turns a String into a SecureString on an overwrite (moto does; the test can make it refuse as AWS may). */
  readonly typeChangeRefused?: boolean;
  /** Tasks per slot. */
  readonly desiredCount?: number;
}

export class KeyWorld {
  readonly env: string;
  readonly names;
  /** The environments the CLI is told cdk.json declares; a test may change them, as an edited or stale cdk.json would. */
  environments: Declarations;
  /** The deployed stack's outputs; a deploy sets the key the execution roles may decrypt with. */
  outputs: StackOutputs;
  now: Date;
  /** The environment's configuration, as the CLI and a deploy read it. */
  config: KeySettings = {};
  /** A problem that makes the configuration unreadable (as loadConfig's errors reach the CLI), if any. */
  configProblem?: string;
  /** Whether the stack exists. */
  deployed = false;
  /** The BOOP environment the stack was deployed bound to (ConfirmProduction iff production). @default the declared one */
  deployedBinding?: BoopEnvironment;
  /** What ECS does with deployments from now on, besides its rules for secrets: leave them in progress, or fail them (e.g. a health check). */
  ecsFault?: 'stall' | 'fail';
  /** Keys BOOP accepts. */
  readonly boopAccepts = new Set<string>();
  readonly parameters = new Map<string, StoredParameter>();
  readonly services: Record<Slot, ServiceRecord>;
  readonly taskDefinitions = new Map<string, TaskDefinitionRecord>();
  readonly clients = {
    cloudformation: new CloudFormationClient({ region: REGION }),
    ssm: new SSMClient({ region: REGION }),
    ecs: new ECSClient({ region: REGION }),
  };
  readonly mocks = {
    cloudformation: mockClient(this.clients.cloudformation),
    ssm: mockClient(this.clients.ssm),
    ecs: mockClient(this.clients.ecs),
  };
  private readonly desiredCount: number;
  private readonly typeChangeRefused: boolean;
  private sequence = 0;

  constructor(options: WorldOptions = {}) {
    this.env = options.env ?? 'prod';
    this.environments = options.environments ?? projectEnvironments();
    this.names = environmentNames(this.env);
    this.now = options.now ?? new Date('2026-11-21T12:00:00Z');
    this.desiredCount = options.desiredCount ?? 2;
    this.typeChangeRefused = options.typeChangeRefused ?? false;
    this.outputs = {
      listenerArn: 'unused',
      blueTargetGroupArn: 'unused',
      greenTargetGroupArn: 'unused',
      controllerFunctionName: this.names.trafficController,
      stateParameterName: this.names.parameters.trafficState,
      rollbackAlarmName: this.names.rollbackAlarm,
      rolloutSteps: '100',
      bakeTimeHours: '0',
      clusterName: CLUSTER,
      blueServiceName: `${this.names.prefix}-blue`,
      greenServiceName: `${this.names.prefix}-green`,
      apiKeyEncryptionKey: AWS_MANAGED_SSM_KEY,
      releaseGuard: String(true),
      imageRules: 'unused',
      boopHosts: 'unused',
    };
    this.services = {
      blue: { name: this.outputs.blueServiceName, taskDefinitionArn: '', deployments: [], tasks: [] },
      green: { name: this.outputs.greenServiceName, taskDefinitionArn: '', deployments: [], tasks: [] },
    };
    this.wire();
  }

  // -------------------------------------------------------------------------------------------
  // The operator's and the world's actions

  /** The BOOP environment the world's environment is declared to talk to. */
  get boopEnvironment(): BoopEnvironment {
    const declared = this.environments.environments.get(this.env);
    if (!declared) throw new Error(`the world's environment ${this.env} is not declared`);
    return declared.boopEnvironment;
  }

  /** Runs the CLI as `npm run keys -- <argv>` would, with `stdin` as the typed or piped key. */
  async cli(argv: readonly string[], stdin = ''): Promise<CliRun> {
    const lines: string[] = [];
    const io: KeysIo = {
      out: (line) => lines.push(line),
      now: () => this.now,
      sleep: async (ms) => this.advance(ms),
      readKey: async () => stdin,
      keySettings: () => {
        if (this.configProblem) throw new CliError(this.configProblem);
        return this.config;
      },
      environments: () => this.environments,
    };
    try {
      await runKeysCli(argv, this.clients, io);
      return { lines, output: lines.join('\n') };
    } catch (error) {
      return { lines, error: error as Error, output: lines.join('\n') };
    }
  }

  /** Time passes; ECS finishes what it was doing. */
  advance(ms: number): void {
    this.now = new Date(this.now.getTime() + ms);
    for (const slot of SLOTS) this.settle(slot);
  }

  /** Writes a parameter as someone with the console would (no checks). */
  putOutOfBand(name: string, type: string, value: string, keyId?: string): void {
    const previous = this.parameters.get(name);
    this.parameters.set(name, {
      type,
      value,
      keyId: type === 'SecureString' ? (keyId ?? AWS_MANAGED_SSM_KEY) : undefined,
      version: (previous?.version ?? 0) + 1,
      lastModified: this.now,
    });
  }

  /**
   * `npx cdk deploy` with the current config: the presence check judges the parameters the tasks
   * will read and refuses a deploy that would start tasks unable to read them (keyParameterProblems);
   * otherwise the rotation-date parameter is set or removed and each slot whose task definition
   * changes gets new tasks. Returns the check's problems, empty when the deploy went through.
   */
  deploy(): string[] {
    const date = this.config.rotationDate;
    const slots = keySlotsInUse(date);
    const problems = keyParameterProblems(
      { envName: this.env, parameters: Object.fromEntries(slots.map((slot) => [slot, this.keyName(slot)])), encryptionKeyArn: this.config.encryptionKeyArn },
      this.facts(),
    );
    if (problems.length > 0) return problems;
    this.deployed = true;
    this.deployedBinding = this.boopEnvironment;
    this.outputs = { ...this.outputs, apiKeyEncryptionKey: this.config.encryptionKeyArn ?? AWS_MANAGED_SSM_KEY };
    const dateName = this.names.parameters.keyRotationDate;
    if (date === undefined) this.parameters.delete(dateName);
    else if (this.parameters.get(dateName)?.value !== date) this.putOutOfBand(dateName, 'String', date);
    for (const slot of SLOTS) {
      const service = this.services[slot];
      const current = this.taskDefinitions.get(service.taskDefinitionArn);
      if (current && current.rotationDate === date && current.keySlots.join() === slots.join()) continue;
      const revision = (current?.revision ?? 0) + 1;
      const family = `${this.names.prefix}-${slot}`;
      const arn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:${revision}`;
      this.taskDefinitions.set(arn, { arn, family, revision, keySlots: slots, rotationDate: date });
      service.taskDefinitionArn = arn;
      this.startDeployment(slot, arn);
      this.settle(slot);
    }
    return [];
  }

  // -------------------------------------------------------------------------------------------
  // What a test asks of the world

  /** The name of a key slot's parameter. */
  keyName(slot: KeySlot): string {
    return keyParameterNames(this.env)[slot];
  }

  /** ECS's own rule: a task starts only when every secret parameter exists and its execution role can decrypt it. */
  canStart(slot: Slot): boolean {
    return this.missingFor(slot).length === 0;
  }

  /** The parameters a slot's current task definition reads that ECS could not give a new task. */
  missingFor(slot: Slot): string[] {
    const definition = this.taskDefinitions.get(this.services[slot].taskDefinitionArn);
    if (!definition) return [];
    return definition.keySlots.map((keySlot) => this.keyName(keySlot)).filter((name) => !this.readable(name));
  }

  /** Whether a running task reaches BOOP: its current key, or on a 401 the other key once (ENV "API Key Management"). */
  taskWorks(task: RunningTask): boolean {
    const current = currentKeySlot(task.rotationDate, this.now);
    const tried = [task.keys[current], task.keys[current === 'primary' ? 'secondary' : 'primary']];
    return tried.some((key) => key !== undefined && this.boopAccepts.has(key));
  }

  /** Every running task of both slots. */
  runningTasks(): RunningTask[] {
    return SLOTS.flatMap((slot) => this.services[slot].tasks);
  }

  /** What DescribeParameters would say: the parameters' metadata. */
  facts(): ParameterFacts[] {
    return [...this.parameters].map(([name, p]) => ({ name, type: p.type, keyId: p.keyId, lastModified: p.lastModified }));
  }

  // -------------------------------------------------------------------------------------------
  // ECS

  private readable(name: string): boolean {
    const parameter = this.parameters.get(name);
    if (!parameter) return false;
    // The execution role may decrypt with the deployed stack's key only, whatever the local config now says.
    return parameter.type !== 'SecureString' || parameter.keyId === this.outputs.apiKeyEncryptionKey;
  }

  private startDeployment(slot: Slot, taskDefinitionArn: string): Deployment {
    const service = this.services[slot];
    for (const deployment of service.deployments) deployment.status = 'ACTIVE';
    const deployment: Deployment = { id: `ecs-svc/${++this.sequence}`, status: 'PRIMARY', taskDefinitionArn, rolloutState: 'IN_PROGRESS' };
    service.deployments.unshift(deployment);
    return deployment;
  }

  /** ECS finishes a slot's deployment: new tasks that read their keys now, or a failed rollout that keeps the old tasks. */
  private settle(slot: Slot): void {
    const service = this.services[slot];
    // A failed deployment is shown once, then gone.
    service.deployments = service.deployments.filter((d) => d.rolloutState !== 'FAILED');
    const deployment = service.deployments.find((d) => d.rolloutState === 'IN_PROGRESS');
    if (!deployment) return;
    if (this.ecsFault === 'stall') return;
    const definition = this.taskDefinitions.get(deployment.taskDefinitionArn)!;
    const unreadable = definition.keySlots.map((keySlot) => this.keyName(keySlot)).filter((name) => !this.readable(name));
    if (unreadable.length > 0 || this.ecsFault === 'fail') {
      // The circuit breaker: the old tasks stay and the previous task definition is put back.
      deployment.rolloutState = 'FAILED';
      deployment.rolloutStateReason =
        unreadable.length > 0
          ? `tasks failed to start: ResourceInitializationError: unable to pull secrets: ${unreadable.join(', ')}`
          : 'ECS deployment circuit breaker: tasks failed to start.';
      deployment.status = 'ACTIVE';
      const previous = service.deployments.find((d) => d !== deployment);
      if (previous) {
        previous.status = 'PRIMARY';
        service.taskDefinitionArn = previous.taskDefinitionArn;
      }
      return;
    }
    service.tasks = Array.from({ length: this.desiredCount }, () => ({
      arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/${++this.sequence}`,
      taskDefinitionArn: definition.arn,
      startedAt: this.now,
      keys: Object.fromEntries(definition.keySlots.map((keySlot) => [keySlot, this.parameters.get(this.keyName(keySlot))!.value])),
      rotationDate: definition.rotationDate,
    }));
    deployment.rolloutState = 'COMPLETED';
    service.deployments = [deployment];
  }

  // -------------------------------------------------------------------------------------------
  // The AWS API as the CLI calls it

  private wire(): void {
    this.mocks.cloudformation.on(DescribeStacksCommand).callsFake(async () => {
      if (!this.deployed) throw Object.assign(new Error(`Stack with id ${this.names.stack} does not exist`), { name: 'ValidationError' });
      return {
        Stacks: [
          {
            StackName: this.names.stack,
            CreationTime: this.now,
            StackStatus: 'UPDATE_COMPLETE',
            // Only a production-bound stack has ConfirmProduction (lib/boop-integration-stack.ts); its value is not the CLI's to read.
            Parameters:
              (this.deployedBinding ?? this.boopEnvironment) === 'production' ? [{ ParameterKey: CONFIRM_PRODUCTION_PARAMETER, ParameterValue: '****' }] : [],
            Outputs: (Object.keys(STACK_OUTPUTS) as (keyof typeof STACK_OUTPUTS)[]).map((key) => ({
              OutputKey: STACK_OUTPUTS[key],
              OutputValue: this.outputs[key],
            })),
          },
        ],
      };
    });
    this.mocks.ssm.on(DescribeParametersCommand).callsFake(async (input: DescribeParametersCommandInput) => {
      const wanted = new Set(input.ParameterFilters?.find((f) => f.Key === 'Name' && f.Option === 'Equals')?.Values ?? []);
      return {
        Parameters: [...this.parameters]
          .filter(([name]) => wanted.has(name))
          .map(([name, p]) => ({ Name: name, Type: p.type, KeyId: p.keyId, LastModifiedDate: p.lastModified, Version: p.version })),
      };
    });
    const answer = (name: string, decrypt: boolean) => {
      const p = this.parameters.get(name)!;
      return { Name: name, Type: p.type, Version: p.version, Value: p.type === 'SecureString' && !decrypt ? 'AQICAH-ciphertext' : p.value };
    };
    this.mocks.ssm.on(GetParameterCommand).callsFake(async (input) => {
      if (!this.parameters.has(input.Name)) throw new ParameterNotFound({ message: 'not found', $metadata: {} });
      return { Parameter: answer(input.Name, input.WithDecryption === true) };
    });
    this.mocks.ssm.on(GetParametersCommand).callsFake(async (input) => ({
      Parameters: (input.Names as string[]).filter((name) => this.parameters.has(name)).map((name) => answer(name, input.WithDecryption === true)),
      InvalidParameters: (input.Names as string[]).filter((name) => !this.parameters.has(name)),
    }));
    this.mocks.ssm.on(PutParameterCommand).callsFake(async (input: PutParameterCommandInput) => {
      const name = input.Name!;
      const previous = this.parameters.get(name);
      if (previous && !input.Overwrite) throw Object.assign(new Error('exists'), { name: 'ParameterAlreadyExists' });
      if (previous && this.typeChangeRefused && input.Type && previous.type !== input.Type) {
        throw new HierarchyTypeMismatchException({ message: 'The parameter type cannot be changed', $metadata: {} });
      }
      this.putOutOfBand(name, input.Type ?? previous!.type, input.Value!, input.KeyId);
      return { Version: this.parameters.get(name)!.version, Tier: 'Standard' };
    });
    this.mocks.ssm.on(DeleteParameterCommand).callsFake(async (input) => {
      if (!this.parameters.delete(input.Name)) throw new ParameterNotFound({ message: 'not found', $metadata: {} });
      return {};
    });
    const serviceBy = (name: string) => SLOTS.find((slot) => this.services[slot].name === name);
    const describeService = (slot: Slot) => {
      const s = this.services[slot];
      return {
        serviceName: s.name,
        serviceArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${CLUSTER}/${s.name}`,
        status: 'ACTIVE',
        desiredCount: this.desiredCount,
        runningCount: s.tasks.length,
        taskDefinition: s.taskDefinitionArn,
        deployments: s.deployments.map((d) => ({ ...d, taskDefinition: d.taskDefinitionArn })),
        events: [],
      };
    };
    this.mocks.ecs.on(DescribeServicesCommand).callsFake(async (input) => {
      const slots = (input.services as string[]).map(serviceBy);
      return {
        services: slots.filter((slot): slot is Slot => slot !== undefined).map(describeService),
        failures: (input.services as string[]).filter((name) => !serviceBy(name)).map((name) => ({ arn: name, reason: 'MISSING' })),
      };
    });
    this.mocks.ecs.on(ListTasksCommand).callsFake(async (input) => {
      const slot = serviceBy(input.serviceName);
      return { taskArns: slot ? this.services[slot].tasks.map((t) => t.arn) : [] };
    });
    this.mocks.ecs.on(DescribeTasksCommand).callsFake(async (input) => {
      const all = this.runningTasks();
      return {
        tasks: (input.tasks as string[])
          .flatMap((arn) => all.filter((t) => t.arn === arn))
          .map((t) => ({ taskArn: t.arn, taskDefinitionArn: t.taskDefinitionArn, createdAt: t.startedAt, startedAt: t.startedAt, lastStatus: 'RUNNING' })),
      };
    });
    this.mocks.ecs.on(DescribeTaskDefinitionCommand).callsFake(async (input) => {
      const d = this.taskDefinitions.get(input.taskDefinition)!;
      const parameterArn = (name: string) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name}`;
      return {
        taskDefinition: {
          taskDefinitionArn: d.arn,
          family: d.family,
          revision: d.revision,
          containerDefinitions: [
            {
              name: 'integration',
              secrets: d.keySlots.map((keySlot) => ({ name: KEY_VARIABLES[keySlot], valueFrom: parameterArn(this.keyName(keySlot)) })),
              environment: d.rotationDate ? [{ name: KEY_VARIABLES.rotationDate, value: d.rotationDate }] : [],
            },
          ],
        },
      };
    });
    this.mocks.ecs.on(UpdateServiceCommand).callsFake(async (input: UpdateServiceCommandInput) => {
      const slot = serviceBy(input.service!)!;
      this.startDeployment(slot, this.services[slot].taskDefinitionArn);
      return { service: describeService(slot) };
    });
  }
}
