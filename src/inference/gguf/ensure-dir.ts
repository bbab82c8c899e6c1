import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * `mkdir -p` that cannot spin: Node 20's recursive mkdir loops forever where a directory cannot be created
 * under an existing parent (e.g. under /proc), so we walk up ourselves and surface the real error.
 */
export async function ensureDir(dir: string): Promise<void> {
  const st = await stat(dir).catch(() => undefined);
  if (st?.isDirectory()) return;
  try {
    await mkdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && (await stat(dir).catch(() => undefined))?.isDirectory()) return;
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir || (await stat(parent).catch(() => undefined)) !== undefined)
      throw err;
    await ensureDir(parent);
    await mkdir(dir).catch(async (again: NodeJS.ErrnoException) => {
      if (again.code !== 'EEXIST') throw again;
    });
  }
}
