import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SafeStorageSecretStore, type SafeStorageLike } from '../../../main/app/secret-store';
import { DEFAULT_SETTINGS } from '../../../main/api';
import { FileSettingsStore } from '../../../main/serve/settings-store';
import { MemorySecretStore } from '../../../main/serve/secret-store';

/**
 * A stand-in for Electron's safeStorage object (a plain interface): a keyed XOR with a version
 * prefix, enough to prove the file holds ciphertext and that decryption goes through it.
 */
function fakeSafeStorage(available = true, key = 0x5a): SafeStorageLike & { calls: number } {
  const xor = (b: Buffer): Buffer => Buffer.from(b.map((x) => x ^ key));
  return {
    calls: 0,
    isEncryptionAvailable: () => available,
    encryptString(plain: string): Buffer {
      this.calls++;
      return Buffer.concat([Buffer.from('v10'), xor(Buffer.from(plain, 'utf8'))]);
    },
    decryptString(enc: Buffer): string {
      if (enc.subarray(0, 3).toString() !== 'v10') throw new Error('not ours');
      return xor(enc.subarray(3)).toString('utf8');
    },
  };
}

const PASSWORD = 'Corr3ct-Horse-Battery-Staple';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mp-secrets-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every file under dir, as text. */
async function everyFile(d: string): Promise<Array<{ file: string; text: string }>> {
  const out: Array<{ file: string; text: string }> = [];
  for (const name of await readdir(d, { recursive: true })) {
    const p = path.join(d, name);
    try {
      out.push({ file: p, text: await readFile(p, 'utf8') });
    } catch {
      // a folder
    }
  }
  return out;
}

describe('SafeStorageSecretStore', () => {
  it('keeps base64 ciphertext in secrets.json and reads it back through safeStorage', async () => {
    const safe = fakeSafeStorage();
    const store = new SafeStorageSecretStore(dir, safe);
    expect(store.kind).toBe('keychain');
    expect(store.available()).toBe(true);
    expect(await store.get('a')).toBeUndefined();
    await store.set('a', PASSWORD);
    await store.set('b', 'other');
    expect(safe.calls).toBe(2);
    expect(await store.get('a')).toBe(PASSWORD);
    const file = JSON.parse(await readFile(store.file, 'utf8')) as { version: number; secrets: Record<string, string> };
    expect(file.version).toBe(1);
    expect(Buffer.from(file.secrets['a']!, 'base64').subarray(0, 3).toString()).toBe('v10');
    // A second store on the same folder (the app restarted) reads the same secrets.
    expect(await new SafeStorageSecretStore(dir, fakeSafeStorage()).get('a')).toBe(PASSWORD);
    await store.delete('a');
    expect(await store.get('a')).toBeUndefined();
    expect(await store.get('b')).toBe('other');
  });

  it('neither the settings file nor the secrets file ever holds the password in clear', async () => {
    const store = new SafeStorageSecretStore(dir, fakeSafeStorage());
    const settings = new FileSettingsStore(dir);
    await settings.save({ ...DEFAULT_SETTINGS, accounts: [{ id: 'a', aor: 'sip:alice@example.com', registrar: 'sip.example.com:5061', transport: 'tls', username: 'alice' }] });
    await store.set('a', PASSWORD);
    const files = await everyFile(dir);
    expect(files.map((f) => path.basename(f.file)).sort()).toEqual(['secrets.json', 'settings.json']);
    for (const f of files) {
      expect(f.text, f.file).not.toContain(PASSWORD);
      expect(f.text, f.file).not.toContain(Buffer.from(PASSWORD).toString('base64'));
    }
  });

  it('refuses to store when the OS offers no encryption, and reads nothing then', async () => {
    const store = new SafeStorageSecretStore(dir, fakeSafeStorage(false));
    expect(store.available()).toBe(false);
    await expect(store.set('a', PASSWORD)).rejects.toMatchObject({ code: 'SECRET_STORE_UNAVAILABLE' });
    expect(await everyFile(dir)).toEqual([]);
    await new SafeStorageSecretStore(dir, fakeSafeStorage()).set('a', PASSWORD);
    expect(await store.get('a')).toBeUndefined();
  });

  it('a damaged file or a secret from another key reads as absent, never as an error', async () => {
    await writeFile(path.join(dir, 'secrets.json'), '{ not json');
    const store = new SafeStorageSecretStore(dir, fakeSafeStorage());
    expect(await store.get('a')).toBeUndefined();
    await writeFile(path.join(dir, 'secrets.json'), JSON.stringify({ version: 1, secrets: { a: Buffer.from('garbage').toString('base64'), b: 42 } }));
    expect(await store.get('a')).toBeUndefined();
    expect(await store.get('b')).toBeUndefined();
    await store.set('c', 'x');
    expect(await store.get('c')).toBe('x');
  });
});

describe('MemorySecretStore', () => {
  it('keeps secrets for this process only', async () => {
    const m = new MemorySecretStore();
    expect(m.kind).toBe('memory');
    await m.set('a', PASSWORD);
    expect(await m.get('a')).toBe(PASSWORD);
    expect(await new MemorySecretStore().get('a')).toBeUndefined();
    await m.delete('a');
    expect(await m.get('a')).toBeUndefined();
  });
});
