import { err, ok, type Result } from '../common/result';
import type { MrasError, ServerConfiguration } from './types';
import { attr, children, elementNames, escapeXml as x, parseXmlRoot, text } from './xml-doc';

/**
 * In-band provisioning (PROTOCOLS.md §0 step 2): the self-SUBSCRIBE body asking for provisioning
 * groups, and the `provisionGroupList` its 200 OK carries. We need the ServerConfiguration group:
 * `mrasUri` (absent ⇒ no Edge ⇒ host candidates only), `qosUri`, the audio port range. The group
 * has been seen both as child elements (`<mrasUri>…</mrasUri>`, as pidgin-sipe reads it) and as
 * `propertyEntryList/property[@name]`; both are read.
 */
export const PROVISIONING_EVENT = 'vnd-microsoft-provisioning-v2';
export const PROVISIONING_CONTENT_TYPE = 'application/vnd-microsoft-roaming-provisioning-v2+xml';
const REQUEST_NS = 'http://schemas.microsoft.com/2006/09/sip/provisioninggrouplist';
const NOTIFICATION_NS = 'http://schemas.microsoft.com/2006/09/sip/provisiongrouplist-notification';

export const DEFAULT_PROVISIONING_GROUPS = ['ServerConfiguration', 'meetingPolicy', 'ucPolicy'] as const;
const MAX_GROUPS = 64;
const MAX_PROPERTIES = 512;

/** The SUBSCRIBE body. */
export function buildProvisioningRequest(groups: readonly string[] = DEFAULT_PROVISIONING_GROUPS): string {
  return `<provisioningGroupList xmlns="${REQUEST_NS}">${groups.map((g) => `<provisioningGroup name="${x(g)}"/>`).join('')}</provisioningGroupList>`;
}

/** Server side: which groups a client asked for. */
export function parseProvisioningRequest(xml: string): Result<string[], MrasError> {
  const root = parseXmlRoot(xml, 'provisioningGroupList');
  if (!root.ok) return root;
  const names = children(root.value, 'provisioningGroup')
    .map((g) => attr(g, 'name'))
    .filter((n): n is string => n !== undefined && n !== '');
  return names.length > MAX_GROUPS ? err({ code: 'MRAS_PARSE', reason: `more than ${MAX_GROUPS} groups` }) : ok(names);
}

export interface ServerConfigurationInput {
  readonly mrasUri?: string;
  readonly qosUri?: string;
  readonly focusFactoryUri?: string;
  readonly ucMinAudioPort?: number;
  readonly ucMaxAudioPort?: number;
  /** More ServerConfiguration elements, written as given. */
  readonly extra?: Readonly<Record<string, string>>;
}

/** Server side: the 200 OK body of the provisioning SUBSCRIBE. */
export function buildProvisionGroupList(c: ServerConfigurationInput): string {
  const props: [string, string | number | undefined][] = [
    ['mrasUri', c.mrasUri],
    ['qosUri', c.qosUri],
    ['focusFactoryUri', c.focusFactoryUri],
    ['ucPortRangeEnabled', c.ucMinAudioPort !== undefined ? 'true' : undefined],
    ['ucMinAudioPort', c.ucMinAudioPort],
    ['ucMaxAudioPort', c.ucMaxAudioPort],
    ...Object.entries(c.extra ?? {}),
  ];
  const inner = props
    .filter((p): p is [string, string | number] => p[1] !== undefined)
    .map(([k, v]) => `<${k}>${x(String(v))}</${k}>`)
    .join('');
  return `<provisionGroupList xmlns="${NOTIFICATION_NS}"><provisionGroup name="ServerConfiguration">${inner}</provisionGroup></provisionGroupList>`;
}

function portProp(props: Record<string, string>, name: string): Result<number | undefined, MrasError> {
  const v = props[name.toLowerCase()];
  if (v === undefined || v === '') return ok(undefined);
  const n = /^\d{1,5}$/.test(v) ? Number(v) : NaN;
  return n >= 1 && n <= 65535 ? ok(n) : err({ code: 'MRAS_PARSE', reason: `${name} "${v.slice(0, 20)}" is not a port` });
}

/** Client side: the ServerConfiguration group of a provisioning 200 OK (or NOTIFY) body. */
export function parseServerConfiguration(xml: string): Result<ServerConfiguration, MrasError> {
  const root = parseXmlRoot(xml, 'provisionGroupList');
  if (!root.ok) return root;
  const groups = children(root.value, 'provisionGroup');
  const names = groups.map((g) => attr(g, 'name') ?? '');
  const group = groups.find((g) => (attr(g, 'name') ?? '').toLowerCase() === 'serverconfiguration');
  const props = Object.create(null) as Record<string, string>;
  let count = 0;
  const put = (name: string, value: string | undefined): boolean => {
    if (value === undefined) return true;
    if (++count > MAX_PROPERTIES) return false;
    const k = name.toLowerCase();
    if (!(k in props)) props[k] = value;
    return true;
  };
  if (group) {
    for (const name of elementNames(group)) {
      if (name.toLowerCase() === 'propertyentrylist') continue;
      if (!put(name, text(children(group, name)[0]))) return err({ code: 'MRAS_PARSE', reason: 'too many properties' });
    }
    for (const list of children(group, 'propertyEntryList')) {
      for (const p of children(list, 'property')) {
        const name = attr(p, 'name');
        if (name && !put(name, text(p))) return err({ code: 'MRAS_PARSE', reason: 'too many properties' });
      }
    }
  }
  const min = portProp(props, 'ucMinAudioPort');
  if (!min.ok) return min;
  const max = portProp(props, 'ucMaxAudioPort');
  if (!max.ok) return max;
  if (min.value !== undefined && max.value !== undefined && min.value > max.value) {
    return err({ code: 'MRAS_PARSE', reason: `ucMinAudioPort ${min.value} is above ucMaxAudioPort ${max.value}` });
  }
  const uri = (k: string): Record<string, string> => {
    const v = props[k.toLowerCase()]?.trim();
    return v ? { [k]: v } : {};
  };
  const enabled = props['ucportrangeenabled'];
  return ok({
    ...uri('mrasUri'),
    ...uri('qosUri'),
    ...uri('focusFactoryUri'),
    ...(min.value !== undefined ? { ucMinAudioPort: min.value } : {}),
    ...(max.value !== undefined ? { ucMaxAudioPort: max.value } : {}),
    ...(enabled !== undefined ? { ucPortRangeEnabled: enabled.toLowerCase() === 'true' } : {}),
    properties: props,
    groups: names,
  });
}
