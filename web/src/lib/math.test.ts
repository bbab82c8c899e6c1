import { expect, test } from 'vitest';
import { mayContainMath, normaliseMath } from './math.ts';

test('bracket delimiters become dollar delimiters', () => {
  expect(normaliseMath('Euler: \\(e^{i\\pi}+1=0\\).')).toBe('Euler: $e^{i\\pi}+1=0$.');
  expect(normaliseMath('so \\[ x^2 \\] done')).toBe('so \n$$\nx^2\n$$\n done');
});

test('a one-line $$…$$ becomes a display block; inline $$ inside text stays', () => {
  expect(normaliseMath('see:\n\n$$\\int_0^1 x\\,dx$$\n')).toBe('see:\n\n$$\n\\int_0^1 x\\,dx\n$$\n');
  expect(normaliseMath('a $$x$$ b')).toBe('a $$x$$ b');
});

test('code spans and fences are untouched', () => {
  const src = 'a `\\(x\\)` b\n```\n\\[y\\]\n```\nc \\(z\\)';
  expect(normaliseMath(src)).toBe('a `\\(x\\)` b\n```\n\\[y\\]\n```\nc $z$');
});

test('mayContainMath', () => {
  expect(mayContainMath('no math here')).toBe(false);
  expect(mayContainMath('costs $5')).toBe(true);
  expect(mayContainMath('\\(x\\)')).toBe(true);
});
