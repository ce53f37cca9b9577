import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_SETTINGS, settingsSchema, type Settings } from '../api';
import type { Logger } from '../common/logger';
import { silentLogger } from '../common/logger';

/**
 * Settings in the user's config folder as one JSON file. The schema has no password field
 * (strict objects refuse one), so a secret cannot end up in this plain file; the desktop app
 * keeps passwords with Electron's safeStorage instead.
 */
export interface SettingsStore {
  load(): Promise<Settings>;
  save(s: Settings): Promise<void>;
}

/** `$XDG_CONFIG_HOME/mediapath`, else `~/.config/mediapath` (the Electron app uses its userData). */
export function defaultConfigDir(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
  const xdg = env['XDG_CONFIG_HOME'];
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.config'), 'mediapath');
}

export class FileSettingsStore implements SettingsStore {
  readonly file: string;

  constructor(
    dir: string,
    private readonly log: Logger = silentLogger,
  ) {
    this.file = path.join(dir, 'settings.json');
  }

  async load(): Promise<Settings> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return DEFAULT_SETTINGS;
    }
    try {
      // A file from an older version may lack newer keys: defaults fill them, then the whole is checked.
      const parsed = settingsSchema.safeParse({ ...DEFAULT_SETTINGS, ...(JSON.parse(text) as object) });
      if (parsed.success) return parsed.data;
      this.log.warn({ file: this.file, issue: parsed.error.issues[0]?.message }, 'settings file invalid: using defaults');
    } catch (e) {
      this.log.warn({ file: this.file, error: (e as Error).message }, 'settings file is not JSON: using defaults');
    }
    return DEFAULT_SETTINGS;
  }

  async save(s: Settings): Promise<void> {
    const valid = settingsSchema.parse(s);
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    // Write then rename: a crash mid-write never leaves half a file.
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(valid, null, 2) + '\n', { mode: 0o600 });
    await rename(tmp, this.file);
  }
}

/** Settings held in memory (tests, throwaway sessions). */
export class MemorySettingsStore implements SettingsStore {
  constructor(private current: Settings = DEFAULT_SETTINGS) {}
  async load(): Promise<Settings> {
    return this.current;
  }
  async save(s: Settings): Promise<void> {
    this.current = settingsSchema.parse(s);
  }
}
