/**
 * How `ponder serve` writes its log: JSON lines for log shippers, or short human lines for a person
 * watching a terminal. pino always produces the JSON; the human stream re-renders each record, so both
 * formats carry the same fields and nothing is logged twice.
 */
import type { DestinationStream } from 'pino';

export type LogFormat = 'auto' | 'json' | 'human';

interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** `auto` follows the output: a terminal gets human lines, a pipe or file (a log shipper) gets JSON. */
export function resolveLogFormat(format: LogFormat, isTTY: boolean | undefined): 'json' | 'human' {
  if (format === 'auto') return isTTY === true ? 'human' : 'json';
  return format;
}

/** The pino destination for `format` on `out`; undefined means pino's own JSON on stdout. */
export function logDestination(
  format: LogFormat,
  out: Output = process.stdout,
): DestinationStream | undefined {
  if (resolveLogFormat(format, out.isTTY) === 'json') return out === process.stdout ? undefined : jsonTo(out);
  return createHumanLogStream(out, { color: out.isTTY === true });
}

function jsonTo(out: Output): DestinationStream {
  return { write: (line: string) => void out.write(line) };
}

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const COLORS: Record<number, string> = { 40: '\x1b[33m', 50: '\x1b[31m', 60: '\x1b[31m' };
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';
/** Fields every record has or that only matter to machines; the human line leaves them out. */
const OMITTED = new Set(['level', 'time', 'msg', 'app', 'pid', 'hostname', 'hint', 'reqId']);

/** A pino destination that writes each record as `HH:MM:SS LEVEL message key=value…` plus its hint. */
export function createHumanLogStream(out: Output, options: { color: boolean }): DestinationStream {
  return {
    write(line: string) {
      for (const part of line.split('\n')) {
        if (part.trim() !== '') out.write(formatLogRecord(part, options));
      }
    },
  };
}

/**
 * One JSON record as human text. A `hint` field (what to do about it) goes on its own indented lines:
 * it is the part a person needs, and is kept in the JSON for the same reason.
 */
export function formatLogRecord(json: string, options: { color: boolean }): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const level = typeof record.level === 'number' ? record.level : 30;
  const time = typeof record.time === 'number' ? new Date(record.time) : new Date();
  const clock = [time.getHours(), time.getMinutes(), time.getSeconds()]
    .map((n) => String(n).padStart(2, '0'))
    .join(':');
  const name = (LEVELS[level] ?? String(level)).padEnd(5);
  const color = options.color ? (COLORS[level] ?? '') : '';
  const fields = Object.entries(record)
    .filter(([key, value]) => !OMITTED.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${fieldText(value)}`);
  const head =
    `${options.color ? DIM : ''}${clock}${options.color ? RESET : ''} ` +
    `${color}${name}${color ? RESET : ''} ${String(record.msg ?? '')}`;
  const tail =
    fields.length > 0 ? `  ${options.color ? DIM : ''}${fields.join(' ')}${options.color ? RESET : ''}` : '';
  const hint =
    typeof record.hint === 'string'
      ? `${record.hint
          .split('\n')
          .map((l) => `    ${l}`)
          .join('\n')}\n`
      : '';
  return `${head}${tail}\n${hint}`;
}

function fieldText(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value;
  if (value !== null && typeof value === 'object' && 'message' in value) {
    // A serialised error: its message, not its stack (the JSON format keeps the stack).
    return JSON.stringify(String((value as { message: unknown }).message));
  }
  return JSON.stringify(value);
}
