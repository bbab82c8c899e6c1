/** Rows of a local data file: JSONL, a JSON array (or `{ "data": [...] }`), or CSV with a header row. */
import { SuiteError } from './types.ts';

export type Row = Record<string, unknown>;

/** RFC 4180 CSV: quoted fields may hold commas, newlines and doubled quotes. */
export function parseCsv(text: string): Row[] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      field = '';
      if (record.some((f) => f !== '')) records.push(record);
      record = [];
    } else field += c;
  }
  if (quoted) throw new SuiteError('CSV: a quoted field is not closed');
  record.push(field);
  if (record.some((f) => f !== '')) records.push(record);
  const [header, ...rows] = records;
  if (!header) return [];
  const names = header.map((h) => h.replace(/^\uFEFF/, '').trim());
  return rows.map((r) => Object.fromEntries(names.map((n, i) => [n, r[i] ?? ''])));
}

export function parseRows(text: string, fileName: string): Row[] {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.csv')) return parseCsv(text);
  const trimmed = text.trim();
  if (lower.endsWith('.json') || trimmed.startsWith('[')) {
    let data: unknown;
    try {
      data = JSON.parse(trimmed);
    } catch (err) {
      throw new SuiteError(`${fileName}: not valid JSON (${(err as Error).message})`);
    }
    const list = Array.isArray(data) ? data : (data as { data?: unknown })?.data;
    if (!Array.isArray(list)) throw new SuiteError(`${fileName}: expected a JSON array of objects`);
    return list as Row[];
  }
  return trimmed
    .split(/\r?\n/)
    .map((line, i) => ({ line: line.trim(), i }))
    .filter(({ line }) => line !== '')
    .map(({ line, i }) => {
      try {
        return JSON.parse(line) as Row;
      } catch {
        throw new SuiteError(`${fileName}: line ${i + 1} is not valid JSON`);
      }
    });
}

/** The first of `names` present in the row (case-insensitive), as a trimmed string. */
export function field(row: Row, names: readonly string[]): string | undefined {
  const keys = Object.keys(row);
  for (const n of names) {
    const key = keys.find((k) => k.toLowerCase() === n.toLowerCase());
    const v = key === undefined ? undefined : row[key];
    if (v !== undefined && v !== null && String(v).trim() !== '') return String(v).trim();
  }
  return undefined;
}
