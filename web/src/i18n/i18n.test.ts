import { expect, test } from 'vitest';
import { en } from './en.ts';
import { detectLang, dictionaries, pluralKey, translator } from './index.ts';

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

test('plural keys follow each language: French 0 and 1 are singular, Chinese has one form', () => {
  const calls = (lang: 'en' | 'fr' | 'zh', n: number) =>
    translator(lang)(pluralKey(lang, 'toolCalls', n), { n });
  expect(calls('en', 1)).toBe('1 tool call');
  expect(calls('en', 0)).toBe('0 tool calls');
  expect(calls('en', 2)).toBe('2 tool calls');
  expect(calls('fr', 0)).toBe("0 appel d'outil");
  expect(calls('fr', 1)).toBe("1 appel d'outil");
  expect(calls('fr', 3)).toBe("3 appels d'outils");
  expect(calls('fr', 1_000_000)).toBe("1000000 appels d'outils");
  expect(calls('zh', 1)).toBe('1 次工具调用');
  expect(calls('zh', 5)).toBe('5 次工具调用');
});
