import type { ReactNode } from 'react';

/** What a view shows before its events arrive: says what will appear and where it comes from. */
export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty" role="note">
      <strong>{title}</strong>
      {children ? <p>{children}</p> : null}
    </div>
  );
}

export function Badge({ tone, children }: { tone: 'ok' | 'bad' | 'warn' | 'info' | 'muted'; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

export function stateTone(state: string): 'ok' | 'bad' | 'warn' | 'info' | 'muted' {
  switch (state) {
    case 'succeeded':
    case 'done':
    case 'registered':
    case 'gathered':
    case 'pass':
      return 'ok';
    case 'failed':
    case 'fail':
    case 'error':
      return 'bad';
    case 'in-progress':
    case 'running':
    case 'registering':
    case 'unregistering':
      return 'info';
    case 'waiting':
      return 'warn';
    default:
      return 'muted';
  }
}
