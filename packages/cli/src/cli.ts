#!/usr/bin/env node
import { run } from './run.js';

// Standard input is touched only when read (--password-stdin), so that it never keeps the process alive.
const stdin = {
  get isTTY() {
    return process.stdin.isTTY;
  },
  [Symbol.asyncIterator]: () => process.stdin[Symbol.asyncIterator](),
};

process.exitCode = await run(process.argv.slice(2), {
  env: process.env,
  stdin,
  stdout: process.stdout,
  stderr: process.stderr,
});
