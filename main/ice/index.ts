// The sans-IO core of the ICE agent. The agent (agent*.ts) and gathering (gather/) build on it.
export * from './candidate';
export * from './candidate-factory';
export * from './address-order';
export * from './priority';
export * from './foundation';
export * from './pair-state';
export * from './pair';
export * from './checklist';
export * from './checks';
export * from './role';
export * from './credentials';
