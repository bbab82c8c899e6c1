/** Helpers for the documents tests (issue 13). */
import type { TestServer } from '../src/server/testing.ts';

/** `POST /api/files` with one multipart `file` part (plus `extra` fields, to test refusals). */
export async function uploadFile(
  s: TestServer,
  cookie: string,
  name: string,
  bytes: Uint8Array,
  query = '',
  extra: Record<string, string> = {},
): Promise<Response> {
  const form = new FormData();
  for (const [k, v] of Object.entries(extra)) form.append(k, v);
  form.append('file', new Blob([new Uint8Array(bytes)]), name);
  return s.request(`/api/files${query}`, { method: 'POST', cookie, body: form });
}
