/**
 * `rollout rehearse`: drives a non-production environment through every path whose AWS behaviour no
 * offline test reaches (common/assumptions.ts), with real `cdk deploy` runs, and reports for each
 * assumption whether it held. It starts from blue alone with green running, and always ends there
 * (docs/design.md "Rehearsal"). Plain functions over seams: the AWS clients, the deploy runner, the
 * terminal's clock and sleep, the files, and whether the operator asked to stop.
 */
import { DescribeStackEventsCommand, StackEvent } from '@aws-sdk/client-cloudformation';
import { DescribeAlarmHistoryCommand, DescribeAlarmsCommand, GetMetricStatisticsCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ASSUMPTION_IDS, AssumptionId } from '../../common/assumptions';
import { CONFIRM_PRODUCTION_PARAMETER, environmentNames, GREEN_PERCENT_PARAMETER, RELEASE_RESOURCE_TYPE, TRAFFIC_RESOURCE_TYPE } from '../../common/names';
import { rollbackUnacknowledged } from '../../common/traffic/state';
import { LiveWeights, matchesShare } from '../../common/traffic/weights';
import { PRODUCTION_ROLLOUT } from '../../lib/guides';
import { checkoutDiffArgv, CommandRunner, deployArgv, shown } from '../deploy-command';
import { CliError, explain } from '../errors';
import { liveWeights, readState } from '../live';
import type { CliClients, CliIo } from '../rollout';
import { drillAlarmName } from '../rollout-args';
import { DeployedStack, describeStack } from '../stack';
import {
  ALARM_ACTION_TIMEOUT_MS,
  ALARM_CLEAR_TIMEOUT_MS,
  BLUE_ALONE_TIMEOUT_MS,
  GREEN_EMPTY_TIMEOUT_MS,
  GREEN_RESTORE_TIMEOUT_MS,
  POLL_MS,
  SETTLE_TIMEOUT_MS,
} from './bounds';
import { ASSUMED, Findings, MeasuredTime, PageDelivery, RehearsalReport, reportLines, TIME_TO_BLUE_BOUND_SECONDS } from './report';

/** Where the rehearsal keeps its progress and its report: the working directory in the command, memory in tests. */
export interface RehearsalFiles {
  read(path: string): string | undefined;
  /** Why `path` could not be written, or undefined when it can. */
  unwritable(path: string): string | undefined;
  write(path: string, text: string): void;
  remove(path: string): void;
}

export interface RehearsalDeps {
  readonly clients: CliClients;
  readonly io: CliIo;
  /** Runs one `npx cdk` command (a deploy, or the diff before the first); it shows its progress on the terminal. */
  readonly deploy: CommandRunner;
  readonly files: RehearsalFiles;
  /** True once the operator pressed Ctrl-C: the rehearsal puts the environment back, then stops. */
  readonly interrupted: () => boolean;
}

export interface RehearsalOptions {
  /** Where to save the JSON report. @default rehearsal-<env>-<start time>.json in the working directory */
  readonly reportPath?: string;
}

/** What the rehearsal found and must leave as it was; saved before the first change, so a re-run can put it back. */
interface Found {
  /** The GreenPercent stack parameter: always 0, the rehearsal starts only from blue alone. */
  readonly greenPercent: number;
  /** Green's desired task count. */
  readonly greenTasks: number;
}

/** The progress file's contents: what to put back, and the stack's newest event when it was written. */
interface Progress {
  readonly found: Found;
  readonly startedAt: string;
  /** The stack's newest event then; absent in a file from an older version. */
  readonly lastEventId?: string;
  /** A deploy of the rehearsal's had been started: one update after lastEventId is its own. */
  readonly deploying?: boolean;
}

/** The progress file of an environment's rehearsal: present from the first change until the environment is put back. */
export function progressPath(env: string): string {
  return `rehearsal-${env}.progress.json`;
}

/** The default report file of a rehearsal started at `at`. */
export function defaultReportPath(env: string, at: Date): string {
  return `rehearsal-${env}-${at.toISOString().replace(/[:.]/g, '-')}.json`;
}

/** The stack statuses the rehearsal may start a deploy from. */
const SETTLED = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE']);
const STUCK = 'UPDATE_ROLLBACK_FAILED';

/** The custom resources whose events tell what the controller answered. */
const CUSTOM_RESOURCE_TYPES = new Set<string>([TRAFFIC_RESOURCE_TYPE, RELEASE_RESOURCE_TYPE]);

/** A custom resource's event that ends an operation on it (the answer came, or CloudFormation gave up), not its _IN_PROGRESS. */
function customResourceDone(event: StackEvent): boolean {
  return CUSTOM_RESOURCE_TYPES.has(event.ResourceType ?? '') && /_(COMPLETE|FAILED)$/.test(event.ResourceStatus ?? '');
}

/** Which assumption a custom resource's failure reason says did not hold: the id its refusal names, or CloudFormation's timeout for an answer that never came. */
export function blame(reason: string): AssumptionId | undefined {
  const named = ASSUMPTION_IDS.find((id) => reason.includes(id));
  if (named) return named;
  // The controller names the assumption in each refusal it causes, and the checkout is the deployed one (cdk diff): no wording of its own to read.
  if (/did not receive a response from your Custom Resource/i.test(reason)) return 'response-url-host';
  return undefined;
}

/** One deploy the rehearsal ran, as it ended. */
interface DeployOutcome {
  readonly code: number;
  readonly stack: DeployedStack;
  readonly live: LiveWeights;
  /** The custom resources' events of this update, oldest first. */
  readonly events: readonly StackEvent[];
  /** CloudFormation started an update for this deploy: cdk may fail before (expired login, another update in progress, an asset). */
  readonly reached: boolean;
}

/** The first step, the one after it, and one more to skip to. */
const MIN_STEPS = 3;

/** The SNS metrics of the page's topic, in PageDelivery's order: published, delivered, failed. */
const SNS_DELIVERY_METRICS = ['NumberOfMessagesPublished', 'NumberOfNotificationsDelivered', 'NumberOfNotificationsFailed'] as const;

/** Around an AWS time the rehearsal queries from: a history item or a datapoint stamped a little before it still counts. */
const AWS_TIME_MARGIN_MS = 60_000;

/** An error an AWS client threw: the service's answer, or a call that never answered. */
function isAwsError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && ('$metadata' in error || ['TimeoutError', 'RequestTimeout'].includes((error as Error).name));
}

/** A step could not go on; the rehearsal puts the environment back and reports. */
class Stop extends Error {}

export async function rehearse(deps: RehearsalDeps, env: string, options: RehearsalOptions): Promise<RehearsalReport> {
  const run = new Rehearsal(deps, env);
  return run.run(options);
}

class Rehearsal {
  private readonly findings = new Findings();
  private readonly times: MeasuredTime[] = [];
  private readonly name: string;
  private stack!: DeployedStack;
  /** The topic the forced alarm's action published to, from the alarm's history, and when. */
  private paged?: { readonly topicArn: string; readonly since: Date };
  /** Putting the environment back: a Ctrl-C no longer stops a deploy. */
  private restoring = false;
  /** What the progress file holds while it exists; each deploy records the stack's newest event in it. */
  private progress?: Omit<Progress, 'lastEventId' | 'deploying'>;

  constructor(
    private readonly deps: RehearsalDeps,
    private readonly env: string,
  ) {
    this.name = environmentNames(env).stack;
  }

  async run(options: RehearsalOptions): Promise<RehearsalReport> {
    const { io, files } = this.deps;
    const startedAt = io.now();
    this.stack = await describeStack(this.deps.clients.cloudformation, this.env);
    if (this.stack.production) {
      throw new CliError(
        `stack ${this.name} was deployed as production (it has the ${CONFIRM_PRODUCTION_PARAMETER} parameter); the rehearsal moves traffic and stops green, so it runs only on a non-production environment`,
      );
    }
    const path = options.reportPath ?? defaultReportPath(this.env, startedAt);
    const unwritable = files.unwritable(path);
    if (unwritable !== undefined)
      throw new CliError(`cannot write the report to ${path} (${unwritable}); give --report a path you can write to, then run again`);
    const previous = files.read(progressPath(this.env));
    if (previous !== undefined) {
      const saved = JSON.parse(previous) as Progress;
      await this.refuseStale(saved);
      io.out(`rehearse: a rehearsal of ${this.env} was interrupted; putting the environment back first`);
      this.progress = { found: saved.found, startedAt: saved.startedAt };
      const left = await this.restore(saved.found);
      if (left.length > 0) throw new CliError(`could not put ${this.env} back after the interrupted rehearsal: ${left.join('; ')}`);
      files.remove(progressPath(this.env));
      this.progress = undefined;
    }
    const found = await this.ready();
    this.progress = { found, startedAt: startedAt.toISOString() };
    // Written before the first change; if it cannot be, nothing is changed.
    files.write(progressPath(this.env), JSON.stringify({ ...this.progress, lastEventId: (await this.stackEvents())[0]?.EventId, deploying: false }));

    let stopped: string | undefined;
    let fault: unknown;
    try {
      for (const step of [this.rise, this.refusedRise, this.override, this.forcedAlarm, this.acknowledgement, this.resume]) {
        if (this.deps.interrupted()) throw new Stop('stopped by the operator (Ctrl-C)');
        await step.call(this, found);
      }
    } catch (error) {
      // AWS refusing or not answering stops the steps; anything else is a fault of this code, raised once the environment is put back.
      if (!(error instanceof Stop || error instanceof CliError || isAwsError(error))) fault = error;
      stopped = error instanceof Stop ? error.message : `stopped by an error: ${explain(error).message}`;
      io.out(`rehearse: ${stopped}; putting the environment back`);
    }
    // SetAlarmState skips the metrics; measuring them needs errors on green, which the service contract gives no way to cause.
    this.findings.couldNotTry('high-resolution-probe', 'the service contract has no way to make green fail on purpose, so no burst of errors is injected');
    let page: PageDelivery | undefined;
    let pageNotRead: string | undefined;
    try {
      page = await this.pageDelivery();
    } catch (error) {
      pageNotRead = explain(error).message;
    }
    // A put-back that fails says so among what is left: the findings are printed and saved all the same.
    const left = await this.restore(found).catch((error: unknown) => [explain(error).message]);
    if (left.length === 0) {
      files.remove(progressPath(this.env));
      this.progress = undefined;
    }
    const report: RehearsalReport = {
      env: this.env,
      stack: this.name,
      startedAt: startedAt.toISOString(),
      finishedAt: io.now().toISOString(),
      assumptions: this.findings.all(),
      times: this.times,
      ...(page ? { page } : {}),
      ...(pageNotRead ? { pageNotRead } : {}),
      endedAsBegan: left.length === 0,
      left,
      ...(stopped ? { stopped } : {}),
    };
    // Printed first, so a save that fails loses nothing.
    for (const line of reportLines(report)) io.out(line);
    const json = JSON.stringify(report, null, 2);
    try {
      files.write(path, `${json}\n`);
      io.out(`saved: ${path}`);
    } catch (error) {
      io.out(`could not save the report to ${path} (${(error as Error).message}); here it is as JSON:`);
      io.out(json);
    }
    if (fault !== undefined) throw fault;
    return report;
  }

  /** A progress file is stale when the stack was updated since, other than by the deploy it was running: what it found may not be what to put back. */
  private async refuseStale(saved: Progress): Promise<void> {
    if (saved.lastEventId === undefined) return;
    const events = await this.stackEvents();
    const cut = events.findIndex((e) => e.EventId === saved.lastEventId);
    const updates = (cut < 0 ? events : events.slice(0, cut)).filter((e) => e.LogicalResourceId === this.name && e.ResourceStatus === 'UPDATE_IN_PROGRESS');
    if (cut < 0 || updates.length > (saved.deploying ? 1 : 0)) {
      throw new CliError(
        `the stack was updated after the interrupted rehearsal of ${this.env} (started ${saved.startedAt}), so what ${progressPath(this.env)} says it found may not be what to put back: ` +
          `check ${this.env} (npm run rollout -- status --env ${this.env}), remove ${progressPath(this.env)}, then run again`,
      );
    }
  }

  /** Records in the progress file, while there is one, the stack's newest event and whether a deploy was started after it. */
  private saveProgress(lastEventId: string | undefined, deploying: boolean): void {
    if (!this.progress) return;
    try {
      this.deps.files.write(progressPath(this.env), JSON.stringify({ ...this.progress, lastEventId, deploying }));
    } catch (error) {
      // The file still says what to put back; a later run may only call it stale, which is safe.
      this.deps.io.out(`rehearse: could not update ${progressPath(this.env)} (${(error as Error).message}); it still says what to put back`);
    }
  }

  /** The preconditions, read only: blue alone at GreenPercent=0, nothing unacknowledged, green running and healthy, the rollback alarm OK. */
  private async ready(): Promise<Found> {
    const { clients, io } = this.deps;
    const deployZero = `npx cdk deploy -c env=${this.env} --parameters ${GREEN_PERCENT_PARAMETER}=0`;
    if (!SETTLED.has(this.stack.status)) throw new CliError(`stack ${this.name} is ${this.stack.status}; wait until it is UPDATE_COMPLETE, then run again`);
    const [live, state, green, alarm] = await Promise.all([
      liveWeights(clients, this.stack),
      readState(clients, this.stack, io.now()),
      this.greenService(),
      this.rollbackAlarmState(),
    ]);
    if (this.stack.greenPercentIntent !== '0' || !matchesShare(live, 0)) {
      throw new CliError(
        `the rehearsal starts from blue alone, but ${GREEN_PERCENT_PARAMETER} is ${this.stack.greenPercentIntent ?? 'unknown'} and green serves ${live.greenPercent} %; first: ${deployZero}`,
      );
    }
    if (rollbackUnacknowledged(state)) throw new CliError(`a rollback of ${state.lastRollback!.at} is not acknowledged; first: ${deployZero}`);
    if (this.steps().length < MIN_STEPS)
      throw new CliError(
        `the rehearsal needs at least ${MIN_STEPS} rollout steps (it rises to the first, then skips one on purpose); this stack has ${this.steps().join(', ')}: ` +
          `give ${this.env} production's steps (rollout.steps ${JSON.stringify(PRODUCTION_ROLLOUT.steps)} in cdk.json), deploy, then run again`,
      );
    const healthy = await this.healthyGreenTargets();
    if (green.desired < 1 || green.running < green.desired || healthy < 1) {
      throw new CliError(
        `green must run with a healthy target (it has ${green.running} of ${green.desired} tasks, ${healthy} healthy targets); see npm run rollout -- status --env ${this.env}`,
      );
    }
    if (alarm !== 'OK') throw new CliError(`the rollback alarm ${this.stack.outputs.rollbackAlarmName} is ${alarm}; run again once it is OK`);
    // Every step deploys from this checkout: a template that differs would be deployed, and not put back, by the rehearsal.
    const diff = checkoutDiffArgv(this.env);
    if ((await this.deps.deploy(diff)) !== 0) {
      if (this.deps.interrupted()) throw new CliError('stopped by the operator (Ctrl-C) before any change');
      throw new CliError(
        `this checkout's template is not what ${this.name} runs, or cdk could not compare them (${shown(diff)} above), and every step of the rehearsal deploys from it; deploy it first, or check out what is deployed, then run again`,
      );
    }
    return { greenPercent: 0, greenTasks: green.desired };
  }

  private steps(): number[] {
    return this.stack.outputs.rolloutSteps.split(',').map(Number);
  }

  // --- the steps -------------------------------------------------------------------------------

  /** A rise to the first step: accepted only if DescribeStacks reports the update's GreenPercent while it runs. */
  private async rise(): Promise<void> {
    const first = this.steps()[0];
    const outcome = await this.deploy(first);
    if (this.accepted(outcome, first)) {
      this.findings.held(
        'describe-stacks-mid-update',
        `the rise to ${first} % was accepted: DescribeStacks reported ${GREEN_PERCENT_PARAMETER}=${first} during the update`,
      );
    } else this.failed(outcome, `the rise to ${first} %`);
  }

  /** A rise that skips a step: refused, and CloudFormation's rollback must end UPDATE_ROLLBACK_COMPLETE with green's share unchanged. */
  private async refusedRise(): Promise<void> {
    const steps = this.steps();
    const before = (await liveWeights(this.deps.clients, this.stack)).greenPercent;
    const skipping = steps[steps.indexOf(before) + 2] ?? steps[steps.length - 1];
    const outcome = await this.deploy(skipping);
    if (outcome.code === 0) {
      this.findings.couldNotTry(
        'rollback-update-events',
        `the controller accepted ${GREEN_PERCENT_PARAMETER}=${skipping} from ${before} %, so nothing was rolled back`,
      );
      return;
    }
    const rollback = outcome.events.slice(outcome.events.findIndex((e) => e.ResourceStatus === 'UPDATE_ROLLBACK_IN_PROGRESS') + 1);
    const answered = rollback.filter(customResourceDone);
    const seen = answered.map((e) => `${e.LogicalResourceId} ${e.ResourceStatus}`).join(', ') || 'no custom resource event';
    const unanswered = answered.find((e) => blame(e.ResourceStatusReason ?? '') === 'response-url-host');
    if (unanswered) {
      this.findings.didNotHold('response-url-host', `CloudFormation's rollback got no answer: ${unanswered.ResourceStatusReason}`);
    } else if (
      outcome.stack.status === 'UPDATE_ROLLBACK_COMPLETE' &&
      answered.length > 0 &&
      answered.every((e) => e.ResourceStatus === 'UPDATE_COMPLETE') &&
      matchesShare(outcome.live, before)
    ) {
      this.findings.held(
        'rollback-update-events',
        `the refused ${GREEN_PERCENT_PARAMETER}=${skipping} ended UPDATE_ROLLBACK_COMPLETE (${seen}), green still ${before} %`,
      );
    } else {
      this.findings.didNotHold(
        'rollback-update-events',
        `the refused ${GREEN_PERCENT_PARAMETER}=${skipping} ended ${outcome.stack.status} (${seen}), green at ${outcome.live.greenPercent} % (was ${before} %)`,
      );
    }
    this.stopIfStuck(outcome);
  }

  /** An override deploy to the second step: accepted only if GetTemplate returns the template being deployed. */
  private async override(): Promise<void> {
    const second = this.steps()[1];
    const outcome = await this.deploy(second, `rehearsal of ${this.env}: GetTemplate mid-update`);
    if (this.accepted(outcome, second)) {
      this.findings.held('get-template-mid-update', `the override deploy to ${second} % was accepted: GetTemplate returned the template being deployed`);
      this.findings.held('describe-stacks-mid-update', `the override deploy to ${second} % was accepted`);
      return;
    }
    const id = this.failed(outcome, `the override deploy to ${second} %`);
    if (id !== 'get-template-mid-update')
      this.findings.couldNotTry('get-template-mid-update', `the override deploy was refused first because ${id} did not hold`);
  }

  /** The rollback alarm through a member put into ALARM: each stage's time to blue alone, green emptied, and the alarm's own action. */
  private async forcedAlarm(): Promise<void> {
    const { clients, io } = this.deps;
    const before = await liveWeights(clients, this.stack);
    if (matchesShare(before, 0)) {
      const why = 'green had no traffic to roll back: the steps that raise it did not';
      for (const id of ['time-to-blue-alone', 'green-capacity-tag-condition', 'green-capacity-moves-count', 'cloudwatch-publishes-to-kms-topic'] as const)
        this.findings.couldNotTry(id, why);
      return;
    }
    const member = drillAlarmName(this.env);
    // Every time here is AWS's: the operator's clock may be off by more than a stage takes.
    const earlier = (await readState(clients, this.stack, io.now())).lastRollback;
    await clients.cloudwatch.send(new SetAlarmStateCommand({ AlarmName: member, StateValue: 'ALARM', StateReason: `rollout rehearsal of ${this.env}` }));
    const setAt = await this.memberAlarmAt(member);
    io.out(`rehearse: ${member} set to ALARM at ${setAt.toISOString()}; waiting for blue alone`);
    const seenAt = await this.waitFor(BLUE_ALONE_TIMEOUT_MS, async () => (matchesShare(await liveWeights(clients, this.stack), 0) ? io.now() : undefined));
    const rollback = (await readState(clients, this.stack, io.now())).lastRollback;
    if (!seenAt || !rollback || rollback.at === earlier?.at) {
      this.findings.didNotHold('time-to-blue-alone', `green still served traffic ${BLUE_ALONE_TIMEOUT_MS / 60_000} min after ${member} went to ALARM`);
      throw new Stop('the forced alarm did not roll back');
    }
    const seconds = (from: number, to: string | Date) => (new Date(to).getTime() - from) / 1000;
    const toBlue = seconds(setAt.getTime(), rollback.at);
    this.times.push(
      {
        stage: `${member} ALARM → ${this.stack.outputs.rollbackAlarmName} ALARM`,
        seconds: seconds(setAt.getTime(), rollback.triggeredAt),
        assumed: ASSUMED.composite,
      },
      {
        stage: `${this.stack.outputs.rollbackAlarmName} ALARM → blue alone verified (the controller's record)`,
        seconds: seconds(Date.parse(rollback.triggeredAt), rollback.at),
        assumed: ASSUMED.blueAlone,
      },
      { stage: 'bad datapoint → ALARM', assumed: ASSUMED.ingestion },
    );
    if (toBlue <= TIME_TO_BLUE_BOUND_SECONDS)
      this.findings.held('time-to-blue-alone', `${toBlue.toFixed(1)} s from ${member} ALARM to blue alone, within ${TIME_TO_BLUE_BOUND_SECONDS} s`);
    else
      this.findings.didNotHold(
        'time-to-blue-alone',
        `${toBlue.toFixed(1)} s from ${member} ALARM to blue alone, more than the ${TIME_TO_BLUE_BOUND_SECONDS} s assumed`,
      );

    const emptied = await this.waitFor(GREEN_EMPTY_TIMEOUT_MS, async () => ((await this.greenService()).desired === 0 ? true : undefined));
    const green = await this.greenService();
    if (!rollback.greenScaledToZeroAt) {
      this.findings.didNotHold(
        'green-capacity-tag-condition',
        `the controller did not empty green after the rollback (no greenScaledToZeroAt in its record; ECS reports ${green.desired} desired): RegisterScalableTarget was refused, its log says with what`,
      );
      this.findings.couldNotTry('green-capacity-moves-count', "green's capacity could not be re-pinned");
    } else if (!emptied) {
      this.findings.held('green-capacity-tag-condition', `the controller re-pinned green's capacity to 0 at ${rollback.greenScaledToZeroAt}`);
      this.findings.didNotHold(
        'green-capacity-moves-count',
        `green's capacity was pinned to 0, but ECS still reports ${green.desired} desired after ${GREEN_EMPTY_TIMEOUT_MS / 1000} s`,
      );
    } else {
      this.findings.held('green-capacity-tag-condition', `the controller re-pinned green's capacity to 0 at ${rollback.greenScaledToZeroAt}`);
      this.findings.held('green-capacity-moves-count', "green's desired count went to 0");
    }
    await this.alarmAction(member, setAt);
    const cleared = await this.waitFor(ALARM_CLEAR_TIMEOUT_MS, async () => ((await this.rollbackAlarmState()) === 'OK' ? true : undefined));
    if (!cleared) throw new Stop(`the rollback alarm stayed out of OK ${ALARM_CLEAR_TIMEOUT_MS / 60_000} min after the forced alarm`);
  }

  /** When CloudWatch says the member alarm entered ALARM (its StateUpdatedTimestamp), on AWS's clock. */
  private async memberAlarmAt(member: string): Promise<Date> {
    const answer = await this.deps.clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [member], AlarmTypes: ['MetricAlarm'] }));
    const alarm = answer.MetricAlarms?.[0];
    // Once the member is evaluated again its timestamp is that of the later change, not of the forced ALARM.
    if (alarm?.StateValue !== 'ALARM' || !alarm.StateUpdatedTimestamp)
      throw new Stop(`CloudWatch reports ${member} ${alarm?.StateValue ?? 'missing'} right after SetAlarmState, so no stage could be timed`);
    return alarm.StateUpdatedTimestamp;
  }

  /** Whether CloudWatch ran the member alarm's action: its history says so, with the topic, or with AWS's error. */
  private async alarmAction(member: string, since: Date): Promise<void> {
    const { clients } = this.deps;
    const summary = await this.waitFor(ALARM_ACTION_TIMEOUT_MS, async () => {
      const history = await clients.cloudwatch.send(
        new DescribeAlarmHistoryCommand({ AlarmName: member, HistoryItemType: 'Action', StartDate: new Date(since.getTime() - AWS_TIME_MARGIN_MS) }),
      );
      return history.AlarmHistoryItems?.find((item) => item.HistorySummary)?.HistorySummary;
    });
    if (summary === undefined)
      this.findings.couldNotTry('cloudwatch-publishes-to-kms-topic', `${member} recorded no action within ${ALARM_ACTION_TIMEOUT_MS / 1000} s`);
    else if (/^Successfully executed action/i.test(summary)) this.findings.held('cloudwatch-publishes-to-kms-topic', `CloudWatch: ${summary}`);
    else this.findings.didNotHold('cloudwatch-publishes-to-kms-topic', `CloudWatch: ${summary}`);
    const topicArn = summary && /arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]+/.exec(summary)?.[0];
    if (topicArn) this.paged = { topicArn, since };
  }

  /** Who the page reached: the topic's SNS metrics since the forced alarm, read last, as SNS publishes them minutes late. */
  private async pageDelivery(): Promise<PageDelivery | undefined> {
    if (!this.paged) return undefined;
    const { topicArn, since } = this.paged;
    const { clients, io } = this.deps;
    const sum = async (metric: string) => {
      const answer = await clients.cloudwatch.send(
        new GetMetricStatisticsCommand({
          Namespace: 'AWS/SNS',
          MetricName: metric,
          Dimensions: [{ Name: 'TopicName', Value: topicArn.split(':').pop()! }],
          StartTime: new Date(since.getTime() - AWS_TIME_MARGIN_MS),
          // The operator's clock may be behind AWS's.
          EndTime: new Date(io.now().getTime() + AWS_TIME_MARGIN_MS),
          Period: 60,
          Statistics: ['Sum'],
        }),
      );
      return (answer.Datapoints ?? []).reduce((total, d) => total + (d.Sum ?? 0), 0);
    };
    const [published, delivered, failed] = await Promise.all(SNS_DELIVERY_METRICS.map(sum));
    return { topicArn, published, delivered, failed };
  }

  /** The acknowledgement (GreenPercent=0): recorded, and green given its tasks back. */
  private async acknowledgement(found: Found): Promise<void> {
    const outcome = await this.deploy(0);
    if (outcome.code !== 0) throw new Stop(`the acknowledgement was refused because ${this.failed(outcome, 'the acknowledgement')} did not hold`);
    const green = await this.greenRestored(found);
    if (!green.restored) {
      this.findings.didNotHold(
        'green-capacity-moves-count',
        `after the acknowledgement green runs ${green.running} of ${found.greenTasks} tasks (${green.desired} desired) ${GREEN_RESTORE_TIMEOUT_MS / 1000} s on`,
      );
      // The resume would raise traffic to a green without its tasks.
      throw new Stop('green did not get its tasks back after the acknowledgement, so the resume was not run');
    }
  }

  /** The resume: the first step again, then back to the share found. */
  private async resume(found: Found): Promise<void> {
    const first = this.steps()[0];
    const outcome = await this.deploy(first);
    if (this.accepted(outcome, first)) this.findings.held('describe-stacks-mid-update', `the resume to ${first} % was accepted`);
    else this.failed(outcome, `the resume to ${first} %`);
    const back = await this.deploy(found.greenPercent);
    if (back.code !== 0) this.failed(back, `the deploy back to ${found.greenPercent} %`);
  }

  // --- putting it back -------------------------------------------------------------------------

  /** Puts the environment back where it was found; says what it could not. Runs no deploy when nothing differs. */
  private async restore(found: Found): Promise<string[]> {
    this.restoring = true;
    try {
      return await this.putBack(found);
    } catch (error) {
      throw new CliError(
        `${explain(error).message}; ${this.env} may not be as the rehearsal found it: run the rehearsal again to put it back (${progressPath(this.env)} says what it found)`,
      );
    } finally {
      this.restoring = false;
    }
  }

  private async putBack(found: Found): Promise<string[]> {
    const deployFound = `npx cdk deploy -c env=${this.env} --parameters ${GREEN_PERCENT_PARAMETER}=${found.greenPercent}`;
    await this.settled();
    if (this.stack.status === STUCK) {
      return [
        `stack ${this.name} is ${STUCK}: aws cloudformation continue-update-rollback --stack-name ${this.name} (add --resources-to-skip for a custom resource that never answered), then run the rehearsal again to put the rest back`,
      ];
    }
    if (await this.differs(found)) {
      const outcome = await this.deploy(found.greenPercent);
      // Judged by the stack, not cdk's exit code: a Ctrl-C ends cdk with 130 while CloudFormation finishes the update.
      if (outcome.code !== 0 && (await this.differs(found, { countingGreen: false }))) {
        const reason = this.failureReason(outcome);
        const fix =
          blame(reason) === 'green-capacity-tag-condition' ? "once the grant on green's capacity lets the controller re-pin it" : 'once that is fixed';
        return [`the deploy back to ${GREEN_PERCENT_PARAMETER}=${found.greenPercent} was refused (${reason}); ${fix}: ${deployFound}`];
      }
      await this.greenRestored(found);
    }
    const { clients, io } = this.deps;
    const [live, state, green] = await Promise.all([liveWeights(clients, this.stack), readState(clients, this.stack, io.now()), this.greenService()]);
    return [
      ...(this.stack.greenPercentIntent !== String(found.greenPercent)
        ? [`${GREEN_PERCENT_PARAMETER} is ${this.stack.greenPercentIntent}: ${deployFound}`]
        : []),
      ...(!matchesShare(live, 0) ? [`green serves ${live.greenPercent} %: npm run rollout -- rollback --env ${this.env} --reason "rehearsal"`] : []),
      ...(rollbackUnacknowledged(state) ? [`a rollback is not acknowledged: ${deployFound}`] : []),
      ...(green.desired !== found.greenTasks
        ? [`green has ${green.desired} desired tasks, not ${found.greenTasks}: ${deployFound} gives them back after a rollback`]
        : green.running < found.greenTasks
          ? [
              `green runs ${green.running} of its ${found.greenTasks} tasks: its service's events say why ECS does not start them (npm run rollout -- status --env ${this.env})`,
            ]
          : []),
    ];
  }

  /** Whether anything differs from what was found; green's count only when `countingGreen` (ECS gives tasks back after the deploy ends). */
  private async differs(found: Found, { countingGreen } = { countingGreen: true }): Promise<boolean> {
    const { clients, io } = this.deps;
    const [live, state, green] = await Promise.all([liveWeights(clients, this.stack), readState(clients, this.stack, io.now()), this.greenService()]);
    return (
      this.stack.greenPercentIntent !== String(found.greenPercent) ||
      !matchesShare(live, 0) ||
      rollbackUnacknowledged(state) ||
      (countingGreen && green.desired !== found.greenTasks)
    );
  }

  /** Waits for green's desired and running count to be back to what was found; says what it last saw. */
  private async greenRestored(found: Found): Promise<{ restored: boolean; desired: number; running: number }> {
    let green = { desired: 0, running: 0 };
    const restored = await this.waitFor(GREEN_RESTORE_TIMEOUT_MS, async () => {
      green = await this.greenService();
      return green.desired === found.greenTasks && green.running >= found.greenTasks ? true : undefined;
    });
    return { restored: restored === true, ...green };
  }

  // --- deploys and reads -----------------------------------------------------------------------

  /** One `cdk deploy` of GreenPercent (and an override), then the stack as it settled and this update's custom resource events. */
  private async deploy(greenPercent: number, overrideReason?: string): Promise<DeployOutcome> {
    const argv = deployArgv(this.env, { parameters: [[GREEN_PERCENT_PARAMETER, String(greenPercent)]], overrideReason });
    this.deps.io.out(`rehearse: running ${shown(argv)}`);
    // The newest event before this deploy: only events after it are this deploy's, never an older update's.
    const since = (await this.stackEvents())[0]?.EventId;
    this.saveProgress(since, true);
    const code = await this.deps.deploy(argv);
    // Ctrl-C reaches cdk too, which stops watching; CloudFormation goes on, and the restore waits for it.
    if (this.deps.interrupted() && !this.restoring) throw new Stop('stopped by the operator (Ctrl-C)');
    await this.settled();
    const [live, all] = await Promise.all([liveWeights(this.deps.clients, this.stack), this.stackEvents()]);
    this.saveProgress(all[0]?.EventId, false);
    const update = this.updateEvents(all, since);
    if (!update && code !== 0 && !this.restoring) throw new Stop(`${shown(argv)}: cdk failed before CloudFormation (exit ${code}); its output above says why`);
    const events = update ?? [];
    const answered = events.find((e) => customResourceDone(e) && blame(e.ResourceStatusReason ?? '') !== 'response-url-host');
    if (answered)
      this.findings.held('response-url-host', `the controller's answers reached CloudFormation (${answered.LogicalResourceId} ${answered.ResourceStatus})`);
    return { code, stack: this.stack, live, events, reached: update !== undefined };
  }

  private accepted(outcome: DeployOutcome, greenPercent: number): boolean {
    return outcome.code === 0 && matchesShare(outcome.live, greenPercent);
  }

  /** A deploy that should have been accepted was not: the assumption its failure names did not hold; anything else stops the rehearsal. */
  private failed(outcome: DeployOutcome, what: string): AssumptionId {
    const reason = this.failureReason(outcome);
    const id = blame(reason);
    if (id) this.findings.didNotHold(id, `${what} was refused: ${reason}`);
    this.stopIfStuck(outcome);
    if (!id) throw new Stop(`${what} failed for a reason no assumption explains: ${reason}`);
    return id;
  }

  /** Why a deploy failed: the first custom resource's failure, as CloudFormation's events give it. */
  private failureReason(outcome: DeployOutcome): string {
    const failure = outcome.events.find((e) => customResourceDone(e) && e.ResourceStatus!.endsWith('_FAILED'));
    if (failure?.ResourceStatusReason) return failure.ResourceStatusReason;
    return outcome.reached
      ? `cdk deploy ended with exit code ${outcome.code}, the stack ${outcome.stack.status}`
      : `cdk failed before CloudFormation (exit ${outcome.code})`;
  }

  private stopIfStuck(outcome: DeployOutcome): void {
    if (outcome.stack.status === STUCK) throw new Stop(`the stack is ${STUCK}`);
  }

  /** Waits until the stack is no longer in progress (an interrupted cdk leaves CloudFormation running), then reads it again. */
  private async settled(): Promise<void> {
    const ok = await this.waitFor(SETTLE_TIMEOUT_MS, async () => {
      this.stack = await describeStack(this.deps.clients.cloudformation, this.env);
      return this.stack.status.endsWith('_IN_PROGRESS') ? undefined : true;
    });
    if (!ok)
      throw new CliError(`stack ${this.name} stayed ${this.stack.status} for ${SETTLE_TIMEOUT_MS / 60_000} min; run the rehearsal again once it has settled`);
  }

  /** The stack's events, newest first (the first page, which holds the newest). */
  private async stackEvents(): Promise<StackEvent[]> {
    return (await this.deps.clients.cloudformation.send(new DescribeStackEventsCommand({ StackName: this.name }))).StackEvents ?? [];
  }

  /** The events of the update started after the event `since`, oldest first; undefined when no update started. */
  private updateEvents(all: readonly StackEvent[], since: string | undefined): StackEvent[] | undefined {
    const cut = all.findIndex((e) => e.EventId === since);
    const newer = all.slice(0, cut < 0 ? all.length : cut);
    const start = newer.findIndex((e) => e.LogicalResourceId === this.name && e.ResourceStatus === 'UPDATE_IN_PROGRESS');
    return start < 0 ? undefined : newer.slice(0, start).reverse();
  }

  private async greenService(): Promise<{ desired: number; running: number }> {
    const { outputs } = this.stack;
    const answer = await this.deps.clients.ecs.send(new DescribeServicesCommand({ cluster: outputs.clusterName, services: [outputs.greenServiceName] }));
    const green = answer.services?.[0];
    if (!green) throw new CliError(`green's service ${outputs.greenServiceName} is not in ${outputs.clusterName}`);
    return { desired: green.desiredCount ?? 0, running: green.runningCount ?? 0 };
  }

  private async healthyGreenTargets(): Promise<number> {
    const answer = await this.deps.clients.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: this.stack.outputs.greenTargetGroupArn }));
    return (answer.TargetHealthDescriptions ?? []).filter((t) => t.TargetHealth?.State === 'healthy').length;
  }

  private async rollbackAlarmState(): Promise<string> {
    const name = this.stack.outputs.rollbackAlarmName;
    const answer = await this.deps.clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ['CompositeAlarm'] }));
    return answer.CompositeAlarms?.[0]?.StateValue ?? 'missing';
  }

  /** Polls `check` until it gives a value or `timeoutMs` passes; undefined on timeout. */
  private async waitFor<T>(timeoutMs: number, check: () => Promise<T | undefined>): Promise<T | undefined> {
    const { io } = this.deps;
    const until = io.now().getTime() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (io.now().getTime() >= until) return undefined;
      await io.sleep(POLL_MS);
    }
  }
}
