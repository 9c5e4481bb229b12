#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app';
import { ConfigError } from '../lib/config';

// Config enters once, here: every environment in config/environments/ (or ELK_CONFIG_DIR) becomes a cdk.Stage.
const app = new App();
try {
  buildApp(app);
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  // A configuration problem is the user's to fix: the problems (file: key: what is allowed), no stack trace. Nothing
  // was synthesized (config is read before any stack is built), so no template is written.
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
}
