export * from './allocation';
export * from './credentials';
export * from './channel-data';
export * from './stream-framing';
export * from './server-connection';
export * from './auth';
