import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, test } from 'vitest';
import { loadPasswordJudge } from '../../../src/api/password-strength.ts';
import { PasswordMeter, StrengthReport } from './password-meter.tsx';

describe('password meter', () => {
  test('renders nothing before the user types (and zxcvbn is not loaded for it)', () => {
    expect(renderToStaticMarkup(<PasswordMeter password="" owner={{ email: 'a@example.com' }} />)).toBe('');
  });

  test('the lazily loaded judge gives the same verdicts as the server, shown as meter and words', async () => {
    const judge = await loadPasswordJudge();
    expect(await loadPasswordJudge()).toBe(judge); // built once

    const weak = renderToStaticMarkup(<StrengthReport verdict={judge('password123!')} />);
    expect(weak).toContain('value="1"');
    expect(weak).toContain('class="form-error"');
    expect(weak).toContain(
      'Weak: This password is too easy to guess. This is similar to a commonly used password.',
    );

    const mine = judge('ada.lovelace@example.com', { email: 'ada.lovelace@example.com' });
    expect(mine.problem).toMatch(/your email address, your name/);

    const strong = renderToStaticMarkup(
      <StrengthReport verdict={judge('copper violin across misty harbours')} />,
    );
    expect(strong).toContain('value="4"');
    expect(strong).toContain('Very strong');
    expect(strong).not.toContain('form-error');
  });
});
