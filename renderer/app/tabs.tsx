import { useRef, type KeyboardEvent, type ReactNode } from 'react';

export interface TabDef {
  readonly id: string;
  readonly label: string;
  readonly badge?: string;
  readonly render: () => ReactNode;
}

/** WAI-ARIA tabs: arrow keys move between tabs, Home/End jump, the panel is focusable. */
export function Tabs({ tabs, active, onChange }: { tabs: readonly TabDef[]; active: string; onChange: (id: string) => void }) {
  const refs = useRef<Record<string, HTMLButtonElement | null>>({});
  const idx = Math.max(0, tabs.findIndex((t) => t.id === active));
  const go = (i: number): void => {
    const t = tabs[(i + tabs.length) % tabs.length]!;
    onChange(t.id);
    refs.current[t.id]?.focus();
  };
  const onKey = (e: KeyboardEvent): void => {
    const k: Record<string, () => void> = { ArrowRight: () => go(idx + 1), ArrowLeft: () => go(idx - 1), Home: () => go(0), End: () => go(tabs.length - 1) };
    const f = k[e.key];
    if (f) {
      e.preventDefault();
      f();
    }
  };
  const cur = tabs[idx]!;
  return (
    <div className="tabs">
      <div role="tablist" aria-label="Views" onKeyDown={onKey}>
        {tabs.map((t) => (
          <button
            key={t.id}
            ref={(el) => {
              refs.current[t.id] = el;
            }}
            role="tab"
            type="button"
            id={`tab-${t.id}`}
            aria-selected={t.id === cur.id}
            aria-controls={`panel-${t.id}`}
            tabIndex={t.id === cur.id ? 0 : -1}
            onClick={() => onChange(t.id)}
          >
            {t.label}
            {t.badge ? <span className="tab-badge">{t.badge}</span> : null}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${cur.id}`} aria-labelledby={`tab-${cur.id}`} tabIndex={0} className="panel">
        {cur.render()}
      </div>
    </div>
  );
}
