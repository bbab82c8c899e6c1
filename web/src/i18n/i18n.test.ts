import { expect, test } from 'vitest';
import { en } from './en.ts';
import { detectLang, dictionaries, translator } from './index.ts';

test('every language has every key, non-empty, with the same placeholders', () => {
  const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  for (const [lang, dict] of Object.entries(dictionaries)) {
    expect(Object.keys(dict).sort(), lang).toEqual(Object.keys(en).sort());
    for (const [key, value] of Object.entries(dict)) {
      expect(value.trim().length, `${lang}.${key}`).toBeGreaterThan(0);
      expect(placeholders(value), `${lang}.${key}`).toEqual(placeholders(en[key as keyof typeof en]));
    }
  }
});

test('detectLang follows navigator.languages and falls back to English', () => {
  expect(detectLang(['fr-CA', 'en'])).toBe('fr');
  expect(detectLang(['zh-Hans-CN'])).toBe('zh');
  expect(detectLang(['de-DE'])).toBe('en');
});

test('translator fills placeholders', () => {
  expect(translator('en')('queuedEta', { position: 3, seconds: 20 })).toBe('#3 in line, about 20 s');
});
