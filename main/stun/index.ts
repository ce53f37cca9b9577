export * from './constants';
export * from './message';
export * from './encode';
export * from './integrity';
export * from './transaction';
export * from './client';
export { crc32 } from './crc32';
