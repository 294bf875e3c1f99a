#!/usr/bin/env node
import { createCliClients, failureLine, runRolloutCli } from '../cli/rollout';
import { runOperatorCommand } from '../cli/main';

runOperatorCommand(failureLine, (argv, terminal) => runRolloutCli(argv, createCliClients(), terminal));
