import { describe, expect, it } from 'vitest';
import { API_CHANNELS, API_METHODS, CHANNEL_PREFIX, channelFor, EVENT_CHANNEL, isApiMethod } from '../../../main/api/channels';
import { ENGINE_EVENT_TYPES, INPUT_SCHEMAS } from '../../../main/api';

// The channel list is the contract between preload, main/app and the WebSocket bridge: a change
// here is a deliberate one, reviewed in the snapshot (DESIGN.md convention 6).
describe('api channels', () => {
  it('channel list snapshot', () => {
    expect(API_CHANNELS).toMatchInlineSnapshot(`
      [
        "mediapath:version",
        "mediapath:scenarios",
        "mediapath:runScenario",
        "mediapath:register",
        "mediapath:unregister",
        "mediapath:call",
        "mediapath:answer",
        "mediapath:hangup",
        "mediapath:openRun",
        "mediapath:exportRun",
        "mediapath:currentRun",
        "mediapath:getSettings",
        "mediapath:saveSettings",
        "mediapath:revealMrasCredentials",
        "mediapath:event",
      ]
    `);
  });

  it('every channel has the one prefix, and every method a schema', () => {
    for (const c of API_CHANNELS) expect(c.startsWith(CHANNEL_PREFIX)).toBe(true);
    expect(EVENT_CHANNEL).toBe('mediapath:event');
    expect(channelFor('runScenario')).toBe('mediapath:runScenario');
    expect(Object.keys(INPUT_SCHEMAS).sort()).toEqual([...API_METHODS].sort());
    expect(isApiMethod('version')).toBe(true);
    expect(isApiMethod('onDidEvent')).toBe(false);
    expect(isApiMethod('__proto__')).toBe(false);
    expect(isApiMethod(42)).toBe(false);
  });

  it('event type list snapshot', () => {
    expect(ENGINE_EVENT_TYPES.join(' ')).toMatchInlineSnapshot(
      `"run.started run.ended phase sip.sent sip.received registration mras.credentials mras.failed candidate.gathered candidate.remote gather.step gather.done check pair.valid pair.nominated path.changed consent ice.state media.stats diagnosis verdict"`,
    );
  });
});
