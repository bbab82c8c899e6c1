/**
 * Uploaded file names are untrusted text shown in lists and citations (`[report.pdf p. 3]`). Ponder
 * never writes them to disk, but a name still must not carry path parts, control or bidi-override
 * characters (which can disguise `exe.pdf` as `fdp.exe`), or be unbounded.
 */

const MAX_NAME_BYTES = 200;
/** C0/C1 controls, bidi overrides and isolates, zero-width and BOM characters. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** A safe display name: the last path segment, cleaned, bounded, never empty. */
export function sanitiseFileName(raw: string): string {
  const base = String(raw ?? '')
    .normalize('NFC')
    .split(/[\\/]/)
    .pop() as string;
  let name = base
    .replace(UNSAFE, '')
    .replace(/[<>:"|?*]/g, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s]+/, '');
  if (name === '' || /^\.*$/.test(name)) name = 'document';
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) {
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 && name.length - dot <= 12 ? name.slice(dot) : '';
    let stem = name.slice(0, name.length - ext.length);
    while (Buffer.byteLength(stem + ext) > MAX_NAME_BYTES) stem = [...stem].slice(0, -1).join('');
    name = stem + ext;
  }
  return name;
}

/** Lowercase extension without the dot ('' when none). */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}
