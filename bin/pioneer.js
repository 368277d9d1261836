#!/usr/bin/env node
// The `pioneer` command: runs src/cli.ts through tsx so no build step is needed. It loads tsx into this process
// rather than starting a second node, so `pioneer serve` is the service's own process: a SIGTERM sent to it
// stops the service gracefully instead of leaving a child running with the data folder locked.
// tsx is resolved from this file, not the caller's folder, so `pioneer` works from anywhere.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
