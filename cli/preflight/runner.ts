/**
 * Runs the checks side by side, each within its deadline, and turns whatever a check throws into a
 * line that says it could not check and why: a refused permission (named), throttling, a service that
 * did not answer. Never a pass, and never a blocker the operator cannot act on.
 */
import { isThrottlingError } from '@smithy/core/retry';
import { ACCESS_DENIED_NAMES, CliError, explain } from '../errors';
import { CheckResult, CheckStatus, errorName, PreflightCheck, PreflightContext, unchecked } from './check';

/** How long one check may take: each of its calls is bounded (cli/clients.ts), this bounds the check. */
export const CHECK_DEADLINE_MS = 30_000;

/** One printed finding: the check's name and what it found. */
export interface Finding extends CheckResult {
  readonly check: string;
}

/** What a failed check's line says. */
function couldNotCheck(check: PreflightCheck, error: unknown): CheckResult {
  const name = errorName(error);
  if (name && ACCESS_DENIED_NAMES.includes(name)) {
    const action = /perform: ([a-z0-9-]+:[A-Za-z0-9]+)/.exec(String((error as Error).message))?.[1];
    const missing = action ?? check.permissions.join(', ');
    return unchecked(
      `could not check: AWS refused ${missing} (${name})`,
      `ask for ${missing} on your role (npm run preflight needs only read permissions; docs/preflight.md)`,
    );
  }
  if (isThrottlingError(error as Parameters<typeof isThrottlingError>[0])) {
    return unchecked(`could not check: ${check.service} throttled the calls (${name}); run preflight again in a minute`);
  }
  if (error instanceof CliError) return unchecked(`could not check: ${error.message}`);
  return unchecked(`could not check: ${explain(error).message}`);
}

/** Runs one check within `deadlineMs`; a check that has not answered by then is aborted and reported so. */
export async function runCheck(check: PreflightCheck, context: PreflightContext, deadlineMs: number = CHECK_DEADLINE_MS): Promise<Finding[]> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve('late');
    }, deadlineMs);
  });
  const silent = unchecked(`could not check: ${check.service} did not answer within ${deadlineMs / 1000} s`, 'check your network, then run preflight again');
  let results: readonly CheckResult[];
  try {
    const answer = await Promise.race([check.run(context, controller.signal), late]);
    results = answer === 'late' ? [silent] : Array.isArray(answer) ? answer : [answer as CheckResult];
  } catch (error) {
    // A call the deadline aborted rejects with an AbortError: the check did not answer in time.
    results = [controller.signal.aborted ? silent : couldNotCheck(check, error)];
  } finally {
    clearTimeout(timer);
  }
  return results.map((result) => ({ check: check.name, ...result }));
}

/** Runs every check side by side; the findings come back in the checks' order. */
export async function runChecks(checks: readonly PreflightCheck[], context: PreflightContext, deadlineMs?: number): Promise<Finding[]> {
  return (await Promise.all(checks.map((check) => runCheck(check, context, deadlineMs)))).flat();
}

const LABELS: Readonly<Record<CheckStatus, string>> = { passed: 'ok', blocker: 'BLOCKER', warning: 'warning', unchecked: 'unchecked' };
const LABEL_WIDTH = Math.max(...Object.values(LABELS).map((label) => label.length));

/** A finding as its one printed line. */
export function findingLine(finding: Finding): string {
  const text = `${finding.check}: ${finding.line}${finding.fix ? `; fix: ${finding.fix}` : ''}`;
  // An AWS message may span lines; the report keeps one line per finding.
  return `  ${LABELS[finding.status].padEnd(LABEL_WIDTH)}  ${text.replace(/\s*\n\s*/g, '; ')}`;
}
