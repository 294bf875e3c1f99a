/**
 * CloudFormation's side of a deploy, for the traffic tests: `cdk deploy --parameters ...` keeps every
 * parameter a deploy does not name; the controller's settings change first (its function), then the
 * release guard runs (only when its properties change), then ECS updates the slots whose task definition
 * changed (an image, or anything else a task definition holds: boop.* settings, cpu, memory, a key
 * rotation step) and green's capacity takes a new configured count, then the weights run (only when their
 * properties change); a FAILED answer, or another resource failing, rolls the update back in reverse
 * order. Blue's service carries its DesiredCount, so every update of it sets the configured count; green's
 * has none, so CloudFormation keeps its live count (docs/design.md "Green's task count"). Every custom
 * resource event enters through the controller's entry point (`route`), as Lambda delivers it. The stack
 * keeps its events as DescribeStackEvents lists them, and can break, on request, an assumption about
 * CloudFormation (`breaks`, for the rehearsal's tests) as AWS would if it did not hold.
 */
import type { AssumptionId } from '../../common/assumptions';
import { RELEASE_RESOURCE_TYPE, TRAFFIC_RESOURCE_TYPE } from '../../common/names';
import type { ReleaseResourceProperties, TrafficResourceProperties } from '../../common/payloads';
import { Slot, SLOTS } from '../../common/slots';
import { GREEN_CAPACITY_TAG, scalableTargetId } from '../../common/traffic/green-capacity';
import type { SlotImages } from '../../common/traffic/state';
import type { CustomResourceResult } from '../../lambda/support/cloudformation-response';
import { route, RouteDeps } from '../../lambda/traffic/route';
import { customResourceEvent } from './cloudformation';
import { FakeAws, GREEN_SERVICE, SETTINGS, templateAction } from './fake-aws';

/** The stack's parameters, `-c rolloutOverride`, and the configuration a deploy may change besides them. */
export interface StackParameters {
  readonly greenPercent: number;
  readonly images: SlotImages;
  /** Empty for none. */
  readonly override: string;
  /** service.desiredCount: both slots' configured task count. @default green's configured count in SETTINGS */
  readonly taskCount?: number;
  /** Everything else the task definitions hold (boop.* settings, cpu, memory, a key rotation step): a change is a new revision. @default 1 */
  readonly taskRevision?: number;
}

const GREEN_CAPACITY = scalableTargetId(GREEN_SERVICE);
/** CloudFormation's count for a new service that has no DesiredCount (AWS::ECS::Service DesiredCount). */
const NEW_SERVICE_DEFAULT_COUNT = 1;
const countOf = (p: StackParameters) => p.taskCount ?? GREEN_SERVICE.desiredCount;
const revisionOf = (p: StackParameters) => p.taskRevision ?? 1;

/** What one deploy changes besides its parameters. */
export interface DeployOptions {
  /** The listener's configuration changes: CloudFormation rewrites its action to the template's. */
  readonly listenerChange?: boolean;
  /** A resource after the weights fails, so CloudFormation rolls the whole update back. */
  readonly otherResourceFails?: boolean;
  /** ECS cannot stabilize an updated service (its deployment circuit breaker), so CloudFormation rolls back before the weights run. */
  readonly serviceFails?: boolean;
}

/** What CloudFormation answered for each custom resource it ran, and how the deploy ended. */
export interface DeployResult {
  readonly status: 'SUCCESS' | 'FAILED';
  readonly release?: CustomResourceResult;
  readonly weights?: CustomResourceResult;
  /** The reason the deploy failed with: the first FAILED answer's. */
  readonly reason?: string;
}

/** The assumptions the simulator can break on request, each as AWS would if it did not hold (common/assumptions.ts). */
export type StackBreak = Extract<AssumptionId, 'describe-stacks-mid-update' | 'get-template-mid-update' | 'rollback-update-events' | 'response-url-host'>;

/** What CloudFormation answers when a custom resource never answered within its timeout (seen in practice). */
export const NO_RESPONSE_REASON = 'CloudFormation did not receive a response from your Custom Resource. Please check your logs for requestId';

/** One stack event, as DescribeStackEvents lists it: the stack's own status, or a custom resource's. */
export interface StackEvent {
  readonly logicalId: string;
  readonly status: string;
  readonly reason?: string;
  readonly at: Date;
}

export class SimulatedStack {
  parameters: StackParameters;
  /** Assumptions this CloudFormation breaks; none by default. */
  breaks: ReadonlySet<StackBreak> = new Set();
  /** Every stack event, oldest first. */
  readonly events: StackEvent[] = [];
  /** The stack's name in its events. */
  stackName = 'BoopIntegration-prod';
  private fingerprint = 0;
  private readonly answers: CustomResourceResult[] = [];
  deps: RouteDeps;
  /** Called as ECS starts replacing a slot's tasks: the moment new code could meet users. */
  onServiceReplaced?: (slot: Slot) => void;

  constructor(
    readonly aws: FakeAws,
    private readonly now: () => Date,
    initial: StackParameters,
  ) {
    this.parameters = initial;
    this.deps = this.depsFor(initial);
    // Nothing exists before the first deploy creates it.
    aws.scalableTargets.delete(GREEN_CAPACITY);
    for (const slot of SLOTS) aws.services[slot] = { image: initial.images[slot], desiredCount: 0, revision: revisionOf(initial) };
  }

  /** The stack's first deploy: every resource is created, in the same order. */
  async create(): Promise<DeployResult> {
    this.report('CREATE_IN_PROGRESS', this.parameters);
    const release = await this.send('Create', this.releaseProperties(this.parameters));
    // Blue with its DesiredCount; green without one, so CloudFormation's default, until its capacity is registered.
    this.aws.setDesiredCount('blue', countOf(this.parameters));
    this.aws.setDesiredCount('green', NEW_SERVICE_DEFAULT_COUNT);
    this.aws.registerCapacity(GREEN_CAPACITY, countOf(this.parameters), countOf(this.parameters), { [GREEN_CAPACITY_TAG]: GREEN_SERVICE.service });
    const weights = await this.send('Create', this.weightsProperties(this.parameters));
    this.report('CREATE_COMPLETE', this.parameters);
    return { status: release.status === 'SUCCESS' && weights.status === 'SUCCESS' ? 'SUCCESS' : 'FAILED', release, weights };
  }

  /** `cdk deploy` naming `changes` (the rest keep their previous values). */
  async deploy(changes: Partial<StackParameters>, options: DeployOptions = {}): Promise<DeployResult> {
    const old = this.parameters;
    const next: StackParameters = { ...old, ...changes, override: changes.override ?? '' };
    const oldFingerprint = `listener-${this.fingerprint}`;
    if (options.listenerChange) this.fingerprint++;
    const [oldRelease, newRelease] = [this.releaseProperties(old), this.releaseProperties(next)];
    const [oldWeights, newWeights] = [this.weightsProperties(old, oldFingerprint), this.weightsProperties(next)];
    this.report('UPDATE_IN_PROGRESS', next, old);
    // The function's settings (green's configured count) change before any custom resource it serves runs.
    this.deps = this.depsFor(next);

    const releaseRuns = !same(oldRelease, newRelease);
    const release = releaseRuns ? await this.send('Update', newRelease, oldRelease) : undefined;
    if (release?.status === 'FAILED') {
      await this.rollBack(old, { release: oldRelease, releaseFailed: newRelease });
      return { status: 'FAILED', release, reason: release.reason };
    }
    const replaced = SLOTS.filter((slot) => next.images[slot] !== old.images[slot]);
    for (const slot of replaced) this.onServiceReplaced?.(slot);
    this.updateServices(old, next);
    if (countOf(next) !== countOf(old)) this.aws.registerCapacity(GREEN_CAPACITY, countOf(next), countOf(next));
    if (options.serviceFails) {
      await this.rollBack(old, { from: next, release: releaseRuns ? oldRelease : undefined, releaseFailed: newRelease });
      if (options.listenerChange) this.fingerprint--;
      return { status: 'FAILED', release, reason: 'a service did not stabilize' };
    }
    if (options.listenerChange) this.aws.defaultActions = [templateAction()];

    const weightsRun = !same(oldWeights, newWeights);
    const weights = weightsRun ? await this.send('Update', newWeights, oldWeights) : undefined;
    if (weights?.status === 'FAILED' || options.otherResourceFails) {
      await this.rollBack(old, {
        weights: weightsRun ? oldWeights : undefined,
        weightsFailed: newWeights,
        from: next,
        listenerChange: options.listenerChange,
        release: releaseRuns ? oldRelease : undefined,
        releaseFailed: newRelease,
      });
      if (options.listenerChange) this.fingerprint--;
      return { status: 'FAILED', release, weights, reason: weights?.status === 'FAILED' ? weights.reason : 'another resource failed' };
    }
    this.parameters = next;
    this.report('UPDATE_COMPLETE', next);
    return { status: 'SUCCESS', release, weights };
  }

  /**
   * CloudFormation's rollback: the weights, then green's capacity, the services and listener, then the release guard,
   * each back to its old properties, and last the function's settings.
   */
  private async rollBack(
    old: StackParameters,
    undo: {
      weights?: TrafficResourceProperties;
      weightsFailed?: TrafficResourceProperties;
      /** The parameters the failed update had already applied to the capacity and services. */
      from?: StackParameters;
      listenerChange?: boolean;
      release?: ReleaseResourceProperties;
      releaseFailed?: ReleaseResourceProperties;
    },
  ): Promise<void> {
    this.report('UPDATE_ROLLBACK_IN_PROGRESS', old);
    // Broken: the rollback deletes what it should update, so no custom resource is given its old properties.
    const type = this.breaks.has('rollback-update-events') ? 'Delete' : 'Update';
    const undone = async (properties: object, failed?: object): Promise<boolean> => {
      const result = await this.send(type, properties, failed);
      if (result.status === 'SUCCESS') return true;
      // CloudFormation's rollback must never fail; only a broken assumption may make it, and the stack is then stuck.
      if (this.breaks.size === 0) expectSuccess(result);
      this.report('UPDATE_ROLLBACK_FAILED', old);
      return false;
    };
    if (undo.weights && !(await undone(undo.weights, undo.weightsFailed))) return;
    if (undo.from && countOf(undo.from) !== countOf(old)) this.aws.registerCapacity(GREEN_CAPACITY, countOf(old), countOf(old));
    if (undo.from) this.updateServices(undo.from, old);
    if (undo.listenerChange) this.aws.defaultActions = [templateAction()];
    if (undo.release && !(await undone(undo.release, undo.releaseFailed))) return;
    this.deps = this.depsFor(old);
    this.report('UPDATE_ROLLBACK_COMPLETE', old);
  }

  /**
   * ECS takes each slot's new task definition (an image or any other setting): blue with the template's
   * DesiredCount, green keeping its live count, as CloudFormation omits a DesiredCount the template does not have.
   */
  private updateServices(from: StackParameters, to: StackParameters): void {
    for (const slot of SLOTS) {
      const service = this.aws.services[slot];
      const changed = to.images[slot] !== from.images[slot] || revisionOf(to) !== revisionOf(from) || (slot === 'blue' && countOf(to) !== countOf(from));
      if (!changed) continue;
      this.aws.services[slot] = { ...service, image: to.images[slot], revision: revisionOf(to) };
      if (slot === 'blue' && countOf(to) !== service.desiredCount) this.aws.setDesiredCount('blue', countOf(to));
    }
  }

  /** What the controller runs with: its settings as this deploy's template sets them. */
  private depsFor(p: StackParameters): RouteDeps {
    const settings = { ...SETTINGS, green: { ...SETTINGS.green, desiredCount: countOf(p) } };
    return this.aws.routeDeps(this.aws.controller(this.now, settings), async (_event, result) => {
      this.answers.push(result);
    });
  }

  /** `old`: the parameters before the update, which a broken DescribeStacks or GetTemplate keeps reporting while it runs. */
  private report(status: string, parameters: StackParameters, old?: StackParameters): void {
    const described = old && this.breaks.has('describe-stacks-mid-update') ? old : parameters;
    const template = old && this.breaks.has('get-template-mid-update') ? old : parameters;
    this.aws.stack = { status, greenPercent: String(described.greenPercent), rolloutOverride: template.override, images: described.images };
    this.events.push({ logicalId: this.stackName, status, at: this.now() });
  }

  private async send(type: 'Create' | 'Update' | 'Delete', properties: object, old?: object): Promise<CustomResourceResult> {
    const isRelease = 'BlueImage' in properties;
    const event = customResourceEvent(type, properties as Record<string, string>, old as Record<string, string> | undefined);
    const logicalId = isRelease ? 'TrafficControlRelease' : 'TrafficControlWeights';
    // Broken: the answer URL's host is not one of the forms the controller accepts.
    const responseUrl = this.breaks.has('response-url-host')
      ? event.ResponseURL.replace(/^https:\/\/[^/]+/, 'https://cloudformation-responses.example.com')
      : event.ResponseURL;
    const withType = {
      ...event,
      ResponseURL: responseUrl,
      LogicalResourceId: logicalId,
      ResourceType: isRelease ? RELEASE_RESOURCE_TYPE : TRAFFIC_RESOURCE_TYPE,
    };
    const before = this.answers.length;
    this.events.push({ logicalId, status: `${type.toUpperCase()}_IN_PROGRESS`, at: this.now() });
    await route(withType, this.deps);
    const answered = this.answers.length - before;
    // Only a broken assumption may leave an event unanswered.
    if (answered > 1 || (answered === 0 && this.breaks.size === 0)) throw new Error(`the controller answered ${answered} times`);
    // Unanswered, CloudFormation waits out the custom resource's timeout, then fails it.
    const result: CustomResourceResult =
      answered === 1 ? this.answers[this.answers.length - 1] : { status: 'FAILED', reason: `${NO_RESPONSE_REASON} ${event.RequestId}` };
    this.events.push({
      logicalId,
      status: `${type.toUpperCase()}_${result.status === 'SUCCESS' ? 'COMPLETE' : 'FAILED'}`,
      reason: result.reason,
      at: this.now(),
    });
    return result;
  }

  private releaseProperties(p: StackParameters): ReleaseResourceProperties {
    return {
      BlueImage: p.images.blue,
      GreenImage: p.images.green,
      GreenPercent: String(p.greenPercent),
      RolloutOverride: p.override,
      GreenCapacity: String(countOf(p)),
    };
  }

  private weightsProperties(p: StackParameters, fingerprint = `listener-${this.fingerprint}`): TrafficResourceProperties {
    return { GreenPercent: String(p.greenPercent), ListenerFingerprint: fingerprint, RolloutOverride: p.override };
  }
}

function same(a: object, b: object): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function expectSuccess(result: CustomResourceResult): void {
  // CloudFormation's rollback must never fail: the stack would be stuck in UPDATE_ROLLBACK_FAILED.
  if (result.status !== 'SUCCESS') throw new Error(`a rollback event was answered ${result.status}: ${result.reason}`);
}
