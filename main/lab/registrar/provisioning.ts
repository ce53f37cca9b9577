import { buildProvisionGroupList, PROVISIONING_CONTENT_TYPE, PROVISIONING_EVENT } from '../../mras/provisioning-xml';
import { getHeader, type HeaderInput, type SipRequest } from '../../sip/message';

export interface ProvisioningAnswer {
  readonly status: 200 | 489;
  readonly headers: HeaderInput;
  readonly body: string;
  readonly mrasUri?: string;
  readonly qosUri?: string;
}

export interface ProvisioningValues {
  readonly mrasUri?: string;
  readonly qosUri?: string;
  readonly minAudioPort?: number;
  readonly maxAudioPort?: number;
}

/** The event package of a SUBSCRIBE (RFC 6665 §8.2.1: the token before any parameter), lower-cased. */
export function eventPackage(req: SipRequest): string {
  return (getHeader(req, 'Event') ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * The answer to the self-SUBSCRIBE for in-band provisioning (PROTOCOLS.md §0 step 2,
 * [MS-SIPREGE]): the 200 OK itself carries the provisionGroupList with ServerConfiguration.
 * The lab keeps no subscription (it answers `Expires: 0`), so no NOTIFY ever follows; the
 * client reads everything it needs from this answer, as a Lync client does. An `mrasUri`
 * left out is the "no Edge deployed" case. Any other event package is 489 (RFC 6665 §4.2.1.1).
 */
export function answerProvisioning(req: SipRequest, values: ProvisioningValues, contact: string): ProvisioningAnswer {
  if (eventPackage(req) !== PROVISIONING_EVENT) {
    return { status: 489, headers: [['Allow-Events', PROVISIONING_EVENT]], body: '' };
  }
  const body = buildProvisionGroupList({
    ...(values.mrasUri !== undefined ? { mrasUri: values.mrasUri } : {}),
    ...(values.qosUri !== undefined ? { qosUri: values.qosUri } : {}),
    ...(values.minAudioPort !== undefined ? { ucMinAudioPort: values.minAudioPort } : {}),
    ...(values.maxAudioPort !== undefined ? { ucMaxAudioPort: values.maxAudioPort } : {}),
  });
  return {
    status: 200,
    headers: [
      ['Contact', contact],
      ['Event', PROVISIONING_EVENT],
      ['Expires', '0'],
      ['Content-Type', PROVISIONING_CONTENT_TYPE],
    ],
    body,
    ...(values.mrasUri !== undefined ? { mrasUri: values.mrasUri } : {}),
    ...(values.qosUri !== undefined ? { qosUri: values.qosUri } : {}),
  };
}
