import { renderToStaticMarkup } from 'react-dom/server';
import { expect, test } from 'vitest';
import { QuotaMeter } from './quota-meter.tsx';

test('at nothing left the meter is empty, marked empty and says so to screen readers', () => {
  const html = renderToStaticMarkup(<QuotaMeter used={1} limit={1} label="Usage" text="0 of 1 left" />);
  expect(html).toContain('data-level="empty"');
  expect(html).toContain('aria-valuenow="0"');
  expect(html).toContain('aria-valuemax="1"');
  expect(html).toContain('aria-valuetext="0 of 1 left"');
  expect(html).toContain('width:0%');
});

test('the fill is the share left, not the share used', () => {
  const html = renderToStaticMarkup(<QuotaMeter used={10} limit={40} label="Usage" text="30 of 40 left" />);
  expect(html).toContain('data-level="ok"');
  expect(html).toContain('aria-valuenow="30"');
  expect(html).toContain('width:75%');
  const low = renderToStaticMarkup(<QuotaMeter used={35} limit={40} label="Usage" text="5 of 40 left" />);
  expect(low).toContain('data-level="low"');
  expect(low).toContain('width:12.5%');
});
