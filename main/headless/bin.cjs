#!/usr/bin/env node
// The `mediapath` command on plain Node (no Electron): TypeScript sources run through tsx,
// so there is no build step between `npm ci` and `npx mediapath`.
'use strict';
const path = require('node:path');
require('tsx/cjs/api').register();
const { main } = require(path.join(__dirname, 'cli.ts'));
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`mediapath: internal error: ${e && e.stack ? e.stack : e}\n`);
    process.exitCode = 70;
  },
);
