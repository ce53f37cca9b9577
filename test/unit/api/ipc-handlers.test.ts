import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { describe, expect, it } from 'vitest';
import { API_METHODS, channelFor } from '../../../main/api';
import { registerIpc } from '../../../main/app/ipc';
import { ApiServer } from '../../../main/serve/api-server';
import { MemorySettingsStore } from '../../../main/serve/settings-store';

type Handler = (e: IpcMainInvokeEvent, input: unknown) => Promise<unknown>;

/** The two IpcMain methods registerIpc uses, recording what it registers. */
function fakeIpcMain(): { ipc: IpcMain; handlers: Map<string, Handler> } {
  const handlers = new Map<string, Handler>();
  const ipc = {
    handle: (channel: string, h: Handler) => void handlers.set(channel, h),
    removeHandler: (channel: string) => void handlers.delete(channel),
  } as unknown as IpcMain;
  return { ipc, handlers };
}

const frame = (url: string) => ({ senderFrame: { url } }) as unknown as IpcMainInvokeEvent;

describe('Electron IPC handlers', () => {
  it('one handler per method on its channel, validated by ApiServer, refused to foreign frames', async () => {
    const api = new ApiServer({ version: '1.2.3', host: 'electron', settings: new MemorySettingsStore() });
    const { ipc, handlers } = fakeIpcMain();
    const off = registerIpc(ipc, api, (e) => e.senderFrame?.url.startsWith('file:///app/') ?? false);
    expect([...handlers.keys()]).toEqual(API_METHODS.map(channelFor));
    const version = handlers.get('mediapath:version')!;
    expect(await version(frame('file:///app/index.html'), undefined)).toEqual({ ok: true, value: { name: 'mediapath', version: '1.2.3', host: 'electron' } });
    expect(await version(frame('https://evil.example/'), undefined)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    const run = handlers.get('mediapath:runScenario')!;
    expect(await run(frame('file:///app/index.html'), { kind: 'ice', scenario: 'promotion', strategy: 'lync', seed: '1; rm -rf' })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    off();
    expect(handlers.size).toBe(0);
  });
});
