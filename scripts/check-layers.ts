/**
 * Fails when an import breaks the one-way dependency rule of design §2:
 * cli → server → core → (inference | store); config and api are leaves anyone may use.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const src = join(root, 'src');

/** For each layer, the layers it may import (besides itself). */
const ALLOWED: Record<string, string[]> = {
  config: [],
  api: [],
  inference: ['config'],
  store: ['config'],
  core: ['inference', 'store', 'config', 'api'],
  // Redis (and other infrastructure) implementations of core interfaces; wired by the server.
  adapters: ['core', 'inference', 'store', 'config', 'api'],
  server: ['adapters', 'core', 'inference', 'store', 'config', 'api'],
  cli: ['server', 'adapters', 'core', 'inference', 'store', 'config', 'api'],
  main: ['cli', 'server', 'adapters', 'core', 'inference', 'store', 'config', 'api'],
};

function layerOf(file: string): string {
  const rel = relative(src, file).split(sep);
  // A top-level file and its test (main.ts, main.test.ts) are one layer.
  if (rel.length === 1) return (rel[0] ?? '').replace(/(\.test)?\.ts$/, '');
  return rel[0] ?? '';
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else if (path.endsWith('.ts')) yield path;
  }
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const problems: string[] = [];
for (const file of walk(src)) {
  const layer = layerOf(file);
  const allowed = ALLOWED[layer];
  if (!allowed) {
    problems.push(`${relative(root, file)}: unknown layer "${layer}" (add it to scripts/check-layers.ts)`);
    continue;
  }
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2] ?? '';
    if (!spec.startsWith('.')) continue;
    const target = resolve(dirname(file), spec);
    if (!target.startsWith(src + sep)) continue;
    const targetLayer = layerOf(target);
    if (targetLayer === layer || allowed.includes(targetLayer)) continue;
    problems.push(`${relative(root, file)} (${layer}) imports ${spec} (${targetLayer}): not allowed`);
  }
}
if (problems.length > 0) {
  console.error(`Layer rule broken (cli → server → core → inference | store):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('layers ok');
