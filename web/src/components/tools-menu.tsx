import { useEffect, useId, useRef, useState } from 'react';
import type { ToolInfo } from '../api/types.ts';
import { useT } from '../i18n/index.ts';

export interface ToolsMenuProps {
  tools: readonly ToolInfo[];
  selected: readonly string[];
  onChange: (names: string[]) => void;
}

/**
 * The composer's Tools control: a chip like DeepThink ("Tools · 2" when some are on) opening a list of
 * Ponder's tools to tick. Closes on Escape or a click elsewhere.
 */
export function ToolsMenu({ tools, selected, onChange }: ToolsMenuProps) {
  const t = useT();
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const listId = useId();

  useEffect(() => {
    if (!open) return;
    const onPointer = (e: PointerEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      setOpen(false);
      button.current?.focus();
    };
    document.addEventListener('pointerdown', onPointer);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('pointerdown', onPointer);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  const on = tools.filter((tool) => selected.includes(tool.name)).length;
  const toggle = (name: string, checked: boolean) => {
    const rest = selected.filter((n) => n !== name);
    onChange(checked ? [...rest, name] : rest);
  };

  return (
    <div className="tools-menu" ref={root}>
      <button
        ref={button}
        type="button"
        className={`chip${on > 0 ? ' chip-on' : ''}`}
        aria-expanded={open}
        aria-controls={listId}
        onClick={() => setOpen(!open)}
      >
        {on > 0 ? t('toolsCount', { n: on }) : t('tools')}
      </button>
      {open ? (
        <fieldset id={listId} className="tools-popover">
          <legend className="tools-legend">{t('toolsLegend')}</legend>
          {tools.map((tool) => (
            <label key={tool.name} className="tools-option">
              <input
                type="checkbox"
                checked={selected.includes(tool.name)}
                onChange={(e) => toggle(tool.name, e.target.checked)}
              />
              <span className="tools-option-text">
                <span className="tools-option-title">{tool.title || tool.name}</span>
                {tool.description ? <span className="tools-option-desc">{tool.description}</span> : null}
              </span>
            </label>
          ))}
        </fieldset>
      ) : null}
    </div>
  );
}
