/** UI language: follows navigator.language unless the user chose one; small typed dictionaries. */
import { createContext, useContext } from 'react';
import { type Dictionary, en, type MessageKey } from './en.ts';
import { fr } from './fr.ts';
import { zh } from './zh.ts';

export type Lang = 'en' | 'fr' | 'zh';
export const LANGS: readonly { id: Lang; label: string }[] = [
  { id: 'en', label: 'English' },
  { id: 'fr', label: 'Français' },
  { id: 'zh', label: '中文' },
];
export const dictionaries: Record<Lang, Dictionary> = { en, fr, zh };

/** Picks the language for a BCP 47 tag list, defaulting to English. */
export function detectLang(languages: readonly string[]): Lang {
  for (const tag of languages) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'fr' || base === 'zh' || base === 'en') return base;
  }
  return 'en';
}

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

export function translator(lang: Lang): Translate {
  const dict = dictionaries[lang];
  return (key, vars) => {
    const template = dict[key] ?? en[key];
    if (!vars) return template;
    return template.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
  };
}

/** Base names of the keys that come in plural forms: `{base}_one` and `{base}_other`. */
export type PluralKey = {
  [K in MessageKey]: K extends `${infer B}_one` ? (`${B}_other` extends MessageKey ? B : never) : never;
}[MessageKey];

/**
 * The key of the plural form for `n` in `lang` (CLDR rules through `Intl.PluralRules`): French reads 0 and 1
 * as singular, Chinese has one form. Forms other than `one` (French `many`) use `_other`.
 */
export function pluralKey(lang: Lang, base: PluralKey, n: number): MessageKey {
  return new Intl.PluralRules(lang).select(n) === 'one' ? `${base}_one` : `${base}_other`;
}

export interface I18n {
  lang: Lang;
  t: Translate;
  setLang: (lang: Lang) => void;
}

export const I18nContext = createContext<I18n>({ lang: 'en', t: translator('en'), setLang: () => undefined });

export function useI18n(): I18n {
  return useContext(I18nContext);
}

export function useT(): Translate {
  return useContext(I18nContext).t;
}
