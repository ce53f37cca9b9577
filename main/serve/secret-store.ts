import type { PasswordStorage } from '../api';

/**
 * Where account passwords live between registrations: never in the settings file. The desktop
 * app keeps them encrypted with the OS keychain (main/app/secret-store.ts, Electron safeStorage);
 * `mediapath serve` has no keychain to use, so it keeps them in this process's memory only and
 * says so (RegistrationInfo.passwordStored = 'memory'): they are gone when serve stops.
 */
export interface SecretStore {
  /** What `set` gives: `keychain` (encrypted at rest by the OS) or `memory` (this process only). */
  readonly kind: Exclude<PasswordStorage, 'none'>;
  /** Whether `set` can keep a secret safely now (asked before a registration that should remember one). */
  available(): boolean;
  get(accountId: string): Promise<string | undefined>;
  /** Throws SECRET_STORE_UNAVAILABLE when it cannot keep the secret safely. */
  set(accountId: string, secret: string): Promise<void>;
  delete(accountId: string): Promise<void>;
}

export class MemorySecretStore implements SecretStore {
  readonly kind = 'memory' as const;
  private readonly secrets = new Map<string, string>();

  available(): boolean {
    return true;
  }

  async get(accountId: string): Promise<string | undefined> {
    return this.secrets.get(accountId);
  }

  async set(accountId: string, secret: string): Promise<void> {
    this.secrets.set(accountId, secret);
  }

  async delete(accountId: string): Promise<void> {
    this.secrets.delete(accountId);
  }
}
