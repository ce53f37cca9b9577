import { MediapathError } from '../../../main/common/errors';
import { KAMAILIO_INSTALL_HINT, startKamailio, type KamailioInstance, type KamailioOptions } from '../../../main/lab/kamailio';

/** The accounts every Kamailio test registers. */
export const USERS = { alice: 'alice-pw', bob: 'bob-pw', carol: 'carol-pw' } as const;
export type UserName = keyof typeof USERS;
export const DOMAIN = 'lab.test';

/**
 * Starts Debian's kamailio for a test with our three users. A missing kamailio FAILS the test
 * (never skips, as with coturn): CI installs it (.ci/run), and a developer is told how.
 */
export async function startLabKamailio(extra: Partial<KamailioOptions> = {}): Promise<KamailioInstance> {
  try {
    return await startKamailio({ domain: DOMAIN, users: Object.entries(USERS).map(([name, password]) => ({ name, password })), ...extra });
  } catch (e) {
    if (e instanceof MediapathError && e.code === 'LAB_KAMAILIO_MISSING') {
      throw new Error(`Kamailio interop tests need the real kamailio and never skip${process.env['CI'] ? ' (CI)' : ''}: ${KAMAILIO_INSTALL_HINT}`, { cause: e });
    }
    throw e;
  }
}

/** Kamailio's log appended to a failed assertion's message. */
export async function withKamailioLog<T>(k: KamailioInstance, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof Error) e.message = `${e.message}\n--- kamailio log (tail) ---\n${k.log().trimEnd().split('\n').slice(-40).join('\n')}`;
    throw e;
  }
}

/**
 * Lines Kamailio logged at ERROR or CRITICAL level: what it thought of the messages our user
 * agent sent (parse errors, sanity failures, routing trouble). A test file expects none.
 */
export function kamailioErrors(k: KamailioInstance): string[] {
  return k
    .log()
    .split('\n')
    .filter((l) => /\b(ERROR|CRITICAL|ALERT|BUG):/.test(l));
}
