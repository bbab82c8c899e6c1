// Builds the web app into dist/web when web/ exists; a no-op before the web app lands.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync('web/index.html')) {
  console.log('build: no web app yet (web/index.html missing), skipping');
  process.exit(0);
}
const result = spawnSync('npx', ['vite', 'build', '--config', 'web/vite.config.ts'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
