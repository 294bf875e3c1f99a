/**
 * CloudFormation's side of a deploy, for the traffic tests: `cdk deploy --parameters ...` keeps every
 * parameter a deploy does not name, runs the release guard (only when its properties change), then
 * ECS updates the slots whose image changed, then the weights (only when their properties change);
 * a FAILED answer, or another resource failing, rolls the update back in reverse order. Every
 * custom resource event enters through the controller's entry point (`route`), as Lambda delivers it.
 */
import { RELEASE_RESOURCE_TYPE, TRAFFIC_RESOURCE_TYPE } from '../../common/names';
import type { ReleaseResourceProperties, TrafficResourceProperties } from '../../common/payloads';
import { Slot, SLOTS } from '../../common/slots';
import type { SlotImages } from '../../common/traffic/state';
import type { CustomResourceResult } from '../../lambda/support/cloudformation-response';
import { route, RouteDeps } from '../../lambda/traffic/route';
import { customResourceEvent } from './cloudformation';
import { FakeAws, GREEN_SERVICE, GREEN_SERVICE_PROPERTIES, templateAction } from './fake-aws';

/** The stack's parameters, and `-c rolloutOverride`. */
export interface StackParameters {
  readonly greenPercent: number;
  readonly images: SlotImages;
  /** Empty for none. */
  readonly override: string;
}

/** What one deploy changes besides its parameters. */
export interface DeployOptions {
  /** The listener's configuration changes: CloudFormation rewrites its action to the template's. */
  readonly listenerChange?: boolean;
  /** A resource after the weights fails, so CloudFormation rolls the whole update back. */
  readonly otherResourceFails?: boolean;
}

/** What CloudFormation answered for each custom resource it ran, and how the deploy ended. */
export interface DeployResult {
  readonly status: 'SUCCESS' | 'FAILED';
  readonly release?: CustomResourceResult;
  readonly weights?: CustomResourceResult;
  /** The reason the deploy failed with: the first FAILED answer's. */
  readonly reason?: string;
}

export class SimulatedStack {
  parameters: StackParameters;
  private fingerprint = 0;
  private readonly answers: CustomResourceResult[] = [];
  readonly deps: RouteDeps;
  /** Called as ECS starts replacing a slot's tasks: the moment new code could meet users. */
  onServiceReplaced?: (slot: Slot) => void;

  constructor(
    readonly aws: FakeAws,
    now: () => Date,
    initial: StackParameters,
  ) {
    this.parameters = initial;
    this.deps = aws.routeDeps(aws.controller(now), async (_event, result) => {
      this.answers.push(result);
    });
    for (const slot of SLOTS) aws.services[slot] = { image: initial.images[slot], desiredCount: GREEN_SERVICE.desiredCount };
  }

  /** The stack's first deploy: every resource is created, in the same order. */
  async create(): Promise<DeployResult> {
    this.report('CREATE_IN_PROGRESS', this.parameters);
    const release = await this.send('Create', this.releaseProperties(this.parameters));
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
    this.report('UPDATE_IN_PROGRESS', next);

    const releaseRuns = !same(oldRelease, newRelease);
    const release = releaseRuns ? await this.send('Update', newRelease, oldRelease) : undefined;
    if (release?.status === 'FAILED') {
      await this.rollBack(old, { release: oldRelease, releaseFailed: newRelease });
      return { status: 'FAILED', release, reason: release.reason };
    }
    const replaced = SLOTS.filter((slot) => next.images[slot] !== old.images[slot]);
    for (const slot of replaced) {
      this.onServiceReplaced?.(slot);
      this.aws.services[slot] = { image: next.images[slot], desiredCount: GREEN_SERVICE.desiredCount };
    }
    if (options.listenerChange) this.aws.defaultActions = [templateAction()];

    const weightsRun = !same(oldWeights, newWeights);
    const weights = weightsRun ? await this.send('Update', newWeights, oldWeights) : undefined;
    if (weights?.status === 'FAILED' || options.otherResourceFails) {
      await this.rollBack(old, {
        weights: weightsRun ? oldWeights : undefined,
        weightsFailed: newWeights,
        replaced,
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

  /** CloudFormation's rollback: the weights, then the services and listener, then the release guard, each back to its old properties. */
  private async rollBack(
    old: StackParameters,
    undo: {
      weights?: TrafficResourceProperties;
      weightsFailed?: TrafficResourceProperties;
      replaced?: readonly Slot[];
      listenerChange?: boolean;
      release?: ReleaseResourceProperties;
      releaseFailed?: ReleaseResourceProperties;
    },
  ): Promise<void> {
    this.report('UPDATE_ROLLBACK_IN_PROGRESS', old);
    if (undo.weights) expectSuccess(await this.send('Update', undo.weights, undo.weightsFailed));
    for (const slot of undo.replaced ?? []) this.aws.services[slot] = { image: old.images[slot], desiredCount: GREEN_SERVICE.desiredCount };
    if (undo.listenerChange) this.aws.defaultActions = [templateAction()];
    if (undo.release) expectSuccess(await this.send('Update', undo.release, undo.releaseFailed));
    this.report('UPDATE_ROLLBACK_COMPLETE', old);
  }

  private report(status: string, parameters: StackParameters): void {
    this.aws.stack = { status, greenPercent: String(parameters.greenPercent), rolloutOverride: parameters.override, images: parameters.images };
  }

  private async send(type: 'Create' | 'Update', properties: object, old?: object): Promise<CustomResourceResult> {
    const isRelease = 'BlueImage' in properties;
    const event = customResourceEvent(type, properties as Record<string, string>, old as Record<string, string> | undefined);
    const logicalId = isRelease ? 'TrafficControlRelease' : 'TrafficControlWeights';
    const withType = { ...event, LogicalResourceId: logicalId, ResourceType: isRelease ? RELEASE_RESOURCE_TYPE : TRAFFIC_RESOURCE_TYPE };
    const before = this.answers.length;
    await route(withType, this.deps);
    if (this.answers.length !== before + 1) throw new Error(`the controller answered ${this.answers.length - before} times`);
    return this.answers[this.answers.length - 1];
  }

  private releaseProperties(p: StackParameters): ReleaseResourceProperties {
    return { BlueImage: p.images.blue, GreenImage: p.images.green, GreenPercent: String(p.greenPercent), RolloutOverride: p.override };
  }

  private weightsProperties(p: StackParameters, fingerprint = `listener-${this.fingerprint}`): TrafficResourceProperties {
    return { GreenPercent: String(p.greenPercent), ListenerFingerprint: fingerprint, RolloutOverride: p.override, ...GREEN_SERVICE_PROPERTIES };
  }
}

function same(a: object, b: object): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function expectSuccess(result: CustomResourceResult): void {
  // CloudFormation's rollback must never fail: the stack would be stuck in UPDATE_ROLLBACK_FAILED.
  if (result.status !== 'SUCCESS') throw new Error(`a rollback event was answered ${result.status}: ${result.reason}`);
}
