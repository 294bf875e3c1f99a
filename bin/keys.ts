#!/usr/bin/env node
import { createKeysClients, failureLine, keySettingsFromConfig, runKeysCli } from '../cli/keys';
import { runOperatorCommand } from '../cli/main';
import { readKey } from '../cli/secret-input';

runOperatorCommand(failureLine, (argv, terminal) =>
  runKeysCli(argv, createKeysClients(), {
    ...terminal,
    // The prompt goes to stderr, so stdout stays the command's output alone.
    readKey: (prompt) => readKey(process.stdin, process.stderr, prompt),
    keySettings: (env, configFile) => keySettingsFromConfig(env, configFile),
  }),
);
