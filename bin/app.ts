#!/usr/bin/env node
import { createApp } from '../lib/app';
import { ConfigError } from '../lib/config/load-config';

// Bad configuration is the user's to fix: print what is wrong, not a stack trace.
try {
  createApp().app.synth();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
