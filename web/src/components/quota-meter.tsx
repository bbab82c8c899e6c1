import { quotaMeter } from '../lib/format.ts';

/**
 * What is left of a daily quota: the fill is the share left, the colour says how much (green, amber at a
 * quarter or less, red and empty at nothing left). A native <meter> fills with the value and colours it
 * differently in every browser, which made "0 of 1 left" a full green bar.
 */
export function QuotaMeter(props: { used: number; limit: number; label: string; text: string }) {
  const m = quotaMeter(props.used, props.limit);
  return (
    // biome-ignore lint/a11y/useSemanticElements: a native <meter> cannot fill with what is left in our colours
    <div
      className="quota-meter"
      data-level={m.level}
      role="meter"
      aria-label={props.label}
      aria-valuemin={0}
      aria-valuemax={props.limit}
      aria-valuenow={m.left}
      aria-valuetext={props.text}
    >
      <span className="quota-meter-fill" style={{ width: `${Math.round(m.fraction * 1000) / 10}%` }} />
    </div>
  );
}
