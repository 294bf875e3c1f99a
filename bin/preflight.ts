#!/usr/bin/env node
import { failureLine, productionDeps, runPreflightCli } from '../cli/preflight';
import { runOperatorCommand } from '../cli/main';

runOperatorCommand(failureLine, async (argv, terminal) => {
  process.exitCode = await runPreflightCli(argv, productionDeps(), { out: terminal.out, err: (line) => console.error(line), now: terminal.now });
});
