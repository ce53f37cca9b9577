import pino from 'pino';
import { SECRET_KEYS, REDACTED } from './redact';

/** One logger per module: `createLogger('turn/allocation')`. */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

// pino's redaction is by path; cover secret keys at the top level and one/two levels down.
const redactPaths = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

let root: pino.Logger | undefined;

/** A root logger writing JSON lines to `stream`, with the redaction list applied. */
export function makeRootLogger(level: string, stream: pino.DestinationStream): pino.Logger {
  return pino({ level, redact: { paths: redactPaths, censor: REDACTED }, base: undefined }, stream);
}

function rootLogger(): pino.Logger {
  // Logs go to stderr so the CLI's stdout stays clean for --json output.
  root ??= makeRootLogger(process.env['MEDIAPATH_LOG'] ?? 'silent', pino.destination(2));
  return root;
}

export function createLogger(module: string): Logger {
  return rootLogger().child({ module }) as unknown as Logger;
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
