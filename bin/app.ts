#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app';

// Config enters once, here: every environment in config/environments/ (or ELK_CONFIG_DIR) becomes a cdk.Stage.
buildApp(new App());
