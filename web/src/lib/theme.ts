/** Dark, light or system theme: a `data-theme` attribute on <html> drives CSS variables. */
import { readPref, writePref } from './prefs.ts';

export type ThemeChoice = 'system' | 'light' | 'dark';

export function storedTheme(): ThemeChoice {
  const v = readPref('theme');
  return v === 'light' || v === 'dark' ? v : 'system';
}

function systemDark(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches;
}

export function applyTheme(choice: ThemeChoice): void {
  const dark = choice === 'dark' || (choice === 'system' && systemDark());
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
}

/** Applies and stores the choice; with 'system', follows OS changes until the returned cleanup runs. */
export function setTheme(choice: ThemeChoice): () => void {
  writePref('theme', choice === 'system' ? null : choice);
  applyTheme(choice);
  if (choice !== 'system' || typeof matchMedia !== 'function') return () => undefined;
  const mq = matchMedia('(prefers-color-scheme: dark)');
  const onChange = () => applyTheme('system');
  mq.addEventListener('change', onChange);
  return () => mq.removeEventListener('change', onChange);
}
