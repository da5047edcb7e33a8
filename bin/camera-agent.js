#!/usr/bin/env node
// Entry point of the installed agent: runs the bundled CLI from dist/ (npm run build).
import { main } from '../dist/camera-agent.mjs';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`camera-agent: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  },
);
