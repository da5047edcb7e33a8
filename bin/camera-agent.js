#!/usr/bin/env node
// Entry point of the installed agent: runs the compiled CLI from dist/.
import { main } from '../dist/cli.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`camera-agent: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  },
);
