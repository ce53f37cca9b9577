import { describe, expect, it } from 'vitest';
import {
  buildProvisionGroupList,
  buildProvisioningRequest,
  parseProvisioningRequest,
  parseServerConfiguration,
} from '../../../main/mras/provisioning-xml';
import { loadMrasFixture } from '../../fixtures/mras/load';

describe('provisioning', () => {
  it('asks for ServerConfiguration, meetingPolicy and ucPolicy like Lync', () => {
    const body = buildProvisioningRequest();
    expect(body).toBe(
      '<provisioningGroupList xmlns="http://schemas.microsoft.com/2006/09/sip/provisioninggrouplist">' +
        '<provisioningGroup name="ServerConfiguration"/><provisioningGroup name="meetingPolicy"/>' +
        '<provisioningGroup name="ucPolicy"/></provisioningGroupList>',
    );
    expect(parseProvisioningRequest(body)).toEqual({ ok: true, value: ['ServerConfiguration', 'meetingPolicy', 'ucPolicy'] });
  });

  it('reads mrasUri, qosUri and the audio port range from the 200 OK', () => {
    const r = parseServerConfiguration(loadMrasFixture('provisioning-ok.xml'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      mrasUri: 'sip:fe01.example.test@example.test;gruu;opaque=srvr:MRAS:Wq3cH0kZ1UeG8dJx2mYbTQAA',
      qosUri: 'sip:pool01.example.test@example.test;gruu;opaque=srvr:HomeServer:c1Zs2k3LQE2b8Pj5QaZ0hgAA',
      focusFactoryUri: 'sip:alice@example.test;gruu;opaque=app:conf:focusfactory',
      ucMinAudioPort: 50000,
      ucMaxAudioPort: 50019,
      ucPortRangeEnabled: true,
      groups: ['ServerConfiguration', 'meetingPolicy', 'ucPolicy'],
    });
    expect(r.value.properties['ucdiffservvoice']).toBe('46');
    expect(r.value.properties['pooluri']).toMatch(/^sip:pool01/);
  });

  it('reads the propertyEntryList form, whatever the group name case', () => {
    expect(parseServerConfiguration(loadMrasFixture('provisioning-property-list.xml'))).toMatchObject({
      ok: true,
      value: { mrasUri: 'sip:edge-mras@example.test;gruu;opaque=srvr:MRAS:AAAA', ucMinAudioPort: 51000, ucMaxAudioPort: 51099 },
    });
  });

  it('has no mrasUri when no Edge is deployed (host candidates only)', () => {
    const r = parseServerConfiguration(loadMrasFixture('provisioning-no-edge.xml'));
    expect(r.ok && r.value.mrasUri).toBeUndefined();
    expect(r.ok && r.value.qosUri).toMatch(/^sip:pool01/);
    const none = parseServerConfiguration('<provisionGroupList><provisionGroup name="ucPolicy"/></provisionGroupList>');
    expect(none).toMatchObject({ ok: true, value: { groups: ['ucPolicy'], properties: {} } });
    expect(none.ok && none.value.mrasUri).toBeUndefined();
  });

  it('round-trips what the lab registrar sends', () => {
    const xml = buildProvisionGroupList({ mrasUri: 'sip:mras@lab.test;gruu;opaque=srvr:MRAS:x&y', qosUri: 'sip:qos@lab.test', ucMinAudioPort: 50000, ucMaxAudioPort: 50100 });
    expect(parseServerConfiguration(xml)).toMatchObject({
      ok: true,
      value: { mrasUri: 'sip:mras@lab.test;gruu;opaque=srvr:MRAS:x&y', qosUri: 'sip:qos@lab.test', ucMinAudioPort: 50000, ucMaxAudioPort: 50100, ucPortRangeEnabled: true },
    });
  });

  it('rejects bad port ranges and broken XML', () => {
    const ports = (a: string, b: string): string =>
      `<provisionGroupList><provisionGroup name="ServerConfiguration"><ucMinAudioPort>${a}</ucMinAudioPort><ucMaxAudioPort>${b}</ucMaxAudioPort></provisionGroup></provisionGroupList>`;
    expect(parseServerConfiguration(ports('50100', '50000'))).toMatchObject({ ok: false, error: { code: 'MRAS_PARSE', reason: expect.stringContaining('above') } });
    expect(parseServerConfiguration(ports('lots', '50000'))).toMatchObject({ ok: false, error: { reason: 'ucMinAudioPort "lots" is not a port' } });
    expect(parseServerConfiguration('<provisionGroupList>')).toMatchObject({ ok: false, error: { code: 'MRAS_PARSE' } });
    expect(parseProvisioningRequest('<other/>')).toMatchObject({ ok: false });
  });
});
