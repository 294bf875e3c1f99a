#!/usr/bin/env node
/**
 * Runs a command while every core is kept busy by another process, as on a laptop doing other work:
 * `node scripts/under-load.mjs [--runs N] [--busy N] -- <command ...>`. Each run prints its verdict
 * and wall time; the exit status is non-zero when any run failed. The busy processes end with it.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';

const USAGE = 'usage: node scripts/under-load.mjs [--runs N] [--busy N] -- <command ...>   (e.g. -- npm test)';

function parse(argv) {
  const split = argv.indexOf('--');
  if (split < 0 || split === argv.length - 1) throw new Error(`give the command after --\n${USAGE}`);
  const options = { runs: 1, busy: os.availableParallelism(), command: argv.slice(split + 1) };
  const flags = argv.slice(0, split);
  for (let i = 0; i < flags.length; i += 2) {
    const [flag, value] = [flags[i], flags[i + 1]];
    const n = Number(value);
    if (!['--runs', '--busy'].includes(flag)) throw new Error(`unknown option ${flag}\n${USAGE}`);
    if (!Number.isInteger(n) || n < 1 || n > 100) throw new Error(`${flag} takes a whole number from 1 to 100, not ${value ?? 'nothing'}\n${USAGE}`);
    options[flag.slice(2)] = n;
  }
  return options;
}

/** One process per core spinning until killed: the "other work". */
function startBusy(count) {
  return Array.from({ length: count }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}

function run(command) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn(command[0], command.slice(1), { stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve({ code: code ?? 1, signal, seconds: Number(process.hrtime.bigint() - started) / 1e9 }));
    child.on('error', (error) => resolve({ code: 1, error, seconds: 0 }));
  });
}

let options;
try {
  options = parse(process.argv.slice(2));
} catch (error) {
  console.error(`under-load: ${error.message}`);
  process.exit(2);
}

const busy = startBusy(options.busy);
const stop = () => busy.forEach((child) => child.kill('SIGKILL'));
process.on('exit', stop);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

const results = [];
for (let i = 1; i <= options.runs; i++) {
  const result = await run(options.command);
  results.push(result);
  const verdict =
    result.code === 0 ? 'passed' : `FAILED (exit ${result.code}${result.signal ? `, ${result.signal}` : ''}${result.error ? `, ${result.error.message}` : ''})`;
  console.error(`under-load: run ${i} of ${options.runs} with ${options.busy} busy processes: ${verdict} in ${result.seconds.toFixed(1)} s`);
}
const failed = results.filter((r) => r.code !== 0).length;
console.error(`under-load: ${options.runs - failed} of ${options.runs} runs passed`);
stop();
process.exitCode = failed === 0 ? 0 : 1;
