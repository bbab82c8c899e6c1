/**
 * One writer per download: `<target>.lock` holds the pid of the process downloading it. A lock left by a process
 * that died is taken over; a live one (another `ponder pull`, or the server's background pull) is refused.
 */
import { open, readFile, rm } from 'node:fs/promises';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock or returns the pid holding it. The returned release function is idempotent. */
export async function acquirePullLock(
  lockPath: string,
): Promise<{ release: () => Promise<void> } | { heldBy: number }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(lockPath, 'wx');
      try {
        await fh.writeFile(String(process.pid));
      } finally {
        await fh.close();
      }
      let released = false;
      return {
        release: async () => {
          if (released) return;
          released = true;
          await rm(lockPath, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
      // A lock being written right now reads empty: give its writer a moment.
      if (Number.isNaN(pid)) await new Promise((r) => setTimeout(r, 50));
      else if (pid === process.pid || isAlive(pid)) return { heldBy: pid };
      else await rm(lockPath, { force: true });
    }
  }
  const pid = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
  return { heldBy: Number.isNaN(pid) ? 0 : pid };
}
