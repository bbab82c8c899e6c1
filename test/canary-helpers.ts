/**
 * Shared by the "no content at rest or in logs" tests (conversations-canary, documents-canary): looking
 * for planted canary strings in logs, files and a PostgreSQL dump. Not a test file itself.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

/** Fails naming the canary and `where` when any of `canaries` occurs in `haystack`. */
export function assertAbsent(haystack: Buffer | string, canaries: string[], where: string): void {
  const buf = typeof haystack === 'string' ? Buffer.from(haystack) : haystack;
  for (const canary of canaries) assert.equal(buf.indexOf(canary), -1, `${canary} found in ${where}`);
}

/** Dumps the data of the database at `databaseUrl` (pg_dump) and asserts none of `canaries` is in it. */
export function assertAbsentFromPgDump(databaseUrl: string | undefined, canaries: string[]): void {
  assert.ok(databaseUrl);
  const dump = execFileSync('pg_dump', ['--no-owner', '--data-only', databaseUrl], {
    maxBuffer: 256 * 1024 * 1024,
  });
  assert.ok(dump.length > 0);
  assertAbsent(dump, canaries, 'pg_dump');
}
