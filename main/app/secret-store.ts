import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { MediapathError } from '../common/errors';
import type { SecretStore } from '../serve/secret-store';

/**
 * The part of Electron's `safeStorage` this store uses (a plain interface, so tests can hand in
 * an object of their own): strings encrypted with a key the OS keychain holds (Keychain on macOS,
 * DPAPI on Windows, libsecret/kwallet on Linux).
 */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

interface SecretsFile {
  readonly version: 1;
  /** Account id → base64 of safeStorage's ciphertext. */
  readonly secrets: Record<string, string>;
}

export function unavailable(): MediapathError {
  return new MediapathError('SECRET_STORE_UNAVAILABLE', 'the OS keychain offers no encryption here (on Linux: no keyring running), so the password cannot be remembered; type it at each registration', { layer: 'api' });
}

const EMPTY: SecretsFile = { version: 1, secrets: {} };

/**
 * Passwords in `secrets.json` in the app's userData folder, each one safeStorage ciphertext in
 * base64: the file never holds a password in clear. When the OS offers no encryption (Linux
 * without a keyring: safeStorage would fall back to a hard-coded key), it refuses to store
 * (SECRET_STORE_UNAVAILABLE) rather than keep a password that anyone could decrypt.
 */
export class SafeStorageSecretStore implements SecretStore {
  readonly kind = 'keychain' as const;
  readonly file: string;

  constructor(
    dir: string,
    private readonly safe: SafeStorageLike,
  ) {
    this.file = path.join(dir, 'secrets.json');
  }

  available(): boolean {
    return this.safe.isEncryptionAvailable();
  }

  async get(accountId: string): Promise<string | undefined> {
    const b64 = (await this.read()).secrets[accountId];
    if (b64 === undefined || !this.safe.isEncryptionAvailable()) return undefined;
    try {
      return this.safe.decryptString(Buffer.from(b64, 'base64'));
    } catch {
      // Encrypted under another user's or machine's key: as good as absent.
      return undefined;
    }
  }

  async set(accountId: string, secret: string): Promise<void> {
    if (!this.safe.isEncryptionAvailable()) throw unavailable();
    const cipher = this.safe.encryptString(secret).toString('base64');
    const cur = await this.read();
    await this.write({ version: 1, secrets: { ...cur.secrets, [accountId]: cipher } });
  }

  async delete(accountId: string): Promise<void> {
    const cur = await this.read();
    if (!(accountId in cur.secrets)) return;
    const { [accountId]: _gone, ...rest } = cur.secrets;
    await this.write({ version: 1, secrets: rest });
  }

  private async read(): Promise<SecretsFile> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return EMPTY;
    }
    try {
      const v = JSON.parse(text) as Partial<SecretsFile>;
      if (v.version !== 1 || typeof v.secrets !== 'object' || v.secrets === null) return EMPTY;
      const secrets: Record<string, string> = {};
      for (const [k, s] of Object.entries(v.secrets)) if (typeof s === 'string') secrets[k] = s;
      return { version: 1, secrets };
    } catch {
      return EMPTY;
    }
  }

  private async write(f: SecretsFile): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(f, null, 2) + '\n', { mode: 0o600 });
    await rename(tmp, this.file);
  }
}
