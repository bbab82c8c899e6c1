/**
 * Numbers, sizes, percentages, dates and quota meters in the UI language (`Intl`), so French reads "195 302" and "2 déc. 2026",
 * Chinese "2026年12月2日", English "Dec 2, 2026": the browser's own locale would mix languages.
 */
import { type Lang, useI18n } from '../i18n/index.ts';

const LOCALES: Record<Lang, string> = { en: 'en-US', fr: 'fr-FR', zh: 'zh-CN' };

export function localeOf(lang: Lang): string {
  return LOCALES[lang];
}

export function formatNumber(n: number, lang: Lang): string {
  return new Intl.NumberFormat(localeOf(lang)).format(n);
}

/** A share from 0 to 1 as a whole percentage: "42%" in English, "42 %" in French. */
export function formatPercent(fraction: number, lang: Lang): string {
  const options: Intl.NumberFormatOptions = { style: 'percent', maximumFractionDigits: 0 };
  return new Intl.NumberFormat(localeOf(lang), options).format(fraction);
}

const BYTE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

/**
 * A size in bytes with the UI language's unit and separators: "1.5 GB", French "1,5 Go", "512 bytes".
 * Decimal units (1 kB = 1000 bytes), as `Intl` names them.
 */
export function formatBytes(bytes: number, lang: Lang): string {
  let value = Math.max(0, bytes);
  let i = 0;
  while (value >= 1000 && i < BYTE_UNITS.length - 1) {
    value /= 1000;
    i++;
  }
  // Rounded up to 1000 of a unit (999.96 MB): the next unit reads better.
  if (i > 0 && i < BYTE_UNITS.length - 1 && Math.round(value * 10) >= 10_000) {
    value /= 1000;
    i++;
  }
  return new Intl.NumberFormat(localeOf(lang), {
    style: 'unit',
    unit: BYTE_UNITS[i],
    unitDisplay: i === 0 ? 'long' : 'short',
    maximumFractionDigits: i === 0 ? 0 : 1,
  }).format(value);
}

/** Date and time, medium date and short time (`2 déc. 2026, 14:05`); an unparsable value is shown as given. */
export function formatDateTime(value: string | Date, lang: Lang): string {
  const date = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) return String(value);
  return new Intl.DateTimeFormat(localeOf(lang), { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

export type MeterLevel = 'ok' | 'low' | 'empty';

export interface QuotaMeterState {
  left: number;
  /** Share of the limit still left, 0 to 1: the bar's fill. */
  fraction: number;
  /** `empty` at nothing left, `low` at a quarter or less, else `ok`: the bar's colour. */
  level: MeterLevel;
}

/** What a quota meter shows: what is left (never below zero), not what was used. */
export function quotaMeter(used: number, limit: number): QuotaMeterState {
  const left = Math.max(0, limit - Math.max(0, used));
  const fraction = limit > 0 ? Math.min(1, left / limit) : 0;
  const level: MeterLevel = left === 0 ? 'empty' : fraction <= 0.25 ? 'low' : 'ok';
  return { left, fraction, level };
}

/** Formatters bound to the current UI language. */
export function useFormat(): {
  num: (n: number) => string;
  date: (value: string | Date) => string;
  percent: (fraction: number) => string;
  bytes: (n: number) => string;
} {
  const { lang } = useI18n();
  return {
    num: (n) => formatNumber(n, lang),
    date: (value) => formatDateTime(value, lang),
    percent: (fraction) => formatPercent(fraction, lang),
    bytes: (n) => formatBytes(n, lang),
  };
}
