import { type ErrorInfo, MediapathError, toErrorInfo } from '../common/errors';
import type { CallEnd, ServerCall, SipBody } from '../sip/ua';
import { getHeader } from '../sip/message';
import { type CallOutcome, CallSession, type CallTimings, type QoeDialog } from './call-session';
import type { Endpoint } from './endpoint';
import { readRemoteDescription } from './sdp-bridge';
import { pathInfoOfPair } from './call-media';

/**
 * The callee's side of a call, done automatically (`answer` mode): read the offer (the v19 part
 * of a Lync multipart body), gather, 183 Session Progress with our candidates and start checks at
 * once (early media on the first pair that works), 200 OK after `answerDelayMs`, answer the
 * caller's final re-INVITE with our chosen candidate once we have a pair of our own
 * (PROTOCOLS.md §0 step 6), media until the caller's BYE (or our own after `durationMs`).
 */

export interface IncomingCallOptions extends Partial<CallTimings> {
  /**
   * Refuse a multipart offer with 415 and `Accept: application/sdp`, as a peer that takes one SDP
   * only would (PROTOCOLS.md §2): the caller is expected to send the INVITE again with the v19
   * part alone, which arrives as a new incoming call.
   */
  readonly singlePartOnly?: boolean;
}

export class IncomingCall extends CallSession {
  private readonly singlePartOnly: boolean;

  constructor(
    endpoint: Endpoint,
    readonly sip: ServerCall,
    opts: IncomingCallOptions = {},
  ) {
    const { singlePartOnly, ...timings } = opts;
    super(endpoint, 'incoming', timings);
    this.singlePartOnly = singlePartOnly ?? false;
  }

  get callId(): string {
    return this.sip.callId;
  }

  /** Runs the whole call; never rejects. */
  async run(): Promise<CallOutcome> {
    const sip = this.sip;
    // Read afresh each time: the call may end while we await (TypeScript would keep a narrowing).
    const ended = (): CallEnd | undefined => sip.endedWith;
    let error: ErrorInfo | undefined;
    let end: CallEnd['reason'] | undefined;
    try {
      if (!sip.offer) {
        sip.reject(488, { reason: 'Not Acceptable Here (no SDP offer)' });
        throw new MediapathError('SDP_NEGOTIATION_FAILED', 'INVITE without an SDP offer: this client answers offers only', { layer: 'session' });
      }
      if (this.singlePartOnly && sip.offer.contentType.trim().toLowerCase().startsWith('multipart/')) {
        // RFC 3261 §21.4.13: 415 names what we take in Accept.
        sip.reject(415, { reason: 'Unsupported Media Type', headers: [['Accept', 'application/sdp']] });
        this.emit({ type: 'call.offer-refused', at: this.now(), direction: 'incoming', status: 415, contentType: sip.offer.contentType.split(';')[0]!.trim(), accept: ['application/sdp'] });
        throw new MediapathError('SIP_REJECTED', 'refused a multipart offer with 415 (this side takes single-part application/sdp offers only)', { layer: 'session', response: { code: 415, reason: 'Unsupported Media Type' } });
      }
      const info = readRemoteDescription(sip.offer);
      if (!info.ok) {
        // RFC 3261 §21.4.26: 488 for an offer we cannot take.
        sip.reject(488, { reason: `Not Acceptable Here (${info.error.reason.slice(0, 100)})` });
        throw new MediapathError(info.error.code, `the caller's offer: ${info.error.reason}`, { layer: 'session' });
      }
      this.offered = info.value;
      sip.onReinvite((offer) => this.onReinvite(offer));
      await this.gather('controlled');
      const gaveUp = ended();
      if (gaveUp) throw new MediapathError('SIP_REJECTED', `the caller gave up while we gathered (${gaveUp.reason})`, { layer: 'session' });
      this.move('offering', '183 sent');
      this.applyRemote(info.value, 'INVITE');
      const answer = this.localDescription({ answer: true });
      sip.progress(183, answer);
      const over = sip.ended.then((e) => e);
      await Promise.race([this.sleep(this.timings.answerDelayMs), over]);
      if (!ended()) {
        await sip.accept(answer);
        this.move('answered', 'ACK received');
        const duration = this.timings.durationMs;
        await Promise.race([over, ...(duration !== undefined ? [this.sleep(duration)] : [])]);
      }
      this.stopMedia(ended() ? 'caller hung up' : 'hangup');
      if (!ended()) {
        await this.sleep(this.timings.drainMs);
        await sip.bye();
      }
      const e = ended();
      end = e?.reason;
      if (end === 'cancelled') error = { code: 'SIP_REJECTED', message: 'the caller cancelled before the answer', layer: 'session' };
      if (e?.error && end === 'failed') error = e.error.toInfo();
    } catch (e) {
      error = toErrorInfo(e);
      this.emit({ type: 'call.failed', at: this.now(), direction: 'incoming', error });
      this.stopMedia('call failed');
      if (!ended()) await Promise.race([sip.bye().catch(() => undefined), this.sleep(5000)]);
      end = ended()?.reason;
    }
    return this.conclude(error, end, sip.callId);
  }

  protected override qoeDialog(): QoeDialog {
    const sip = this.sip;
    const ua = getHeader(sip.request, 'User-Agent');
    return {
      callId: sip.callId,
      ...(sip.dialogInfo ? { fromTag: sip.dialogInfo.id.remoteTag, remoteContact: sip.dialogInfo.remoteTarget } : {}),
      toTag: sip.localTag,
      fromUri: sip.from,
      toUri: sip.to,
      caller: false,
      ...(ua !== undefined ? { remoteUserAgent: ua } : {}),
    };
  }

  private async onReinvite(offer: SipBody | undefined): Promise<SipBody | { status: number; reason?: string }> {
    if (!offer) return this.localDescription({ answer: true });
    const info = readRemoteDescription(offer);
    if (!info.ok) return { status: 488, reason: 'Not Acceptable Here' };
    this.applyRemote(info.value, 're-INVITE');
    if (!info.value.remoteCandidates?.length) return this.localDescription({ answer: true });
    // The final offer: answer with our own chosen candidate once we have a pair (PROTOCOLS.md §0 step 6).
    const at = this.now();
    const pair = await this.waitSelected(this.timings.finalAnswerWaitMs);
    this.reinvites++;
    this.emit({ type: 'call.reinvite', at: this.now(), direction: 'incoming', why: 'final offer', status: 200, ...(pair ? { pairs: [pathInfoOfPair(pair.view())!.label] } : {}), ms: this.now() - at });
    return this.localDescription({ answer: true, ...(pair ? { candidates: [pair.local] } : {}) });
  }
}

/**
 * Waits for the next incoming call on `endpoint` (at most `timeoutMs`); undefined when none came.
 * A call arriving while nobody waits is answered 480 by the user agent.
 */
export function nextIncomingCall(endpoint: Endpoint, timeoutMs: number): Promise<ServerCall | undefined> {
  return new Promise((resolve) => {
    const clock = endpoint.clock;
    const timer = clock.setTimeout(() => {
      sub.dispose();
      resolve(undefined);
    }, timeoutMs);
    const sub = endpoint.onIncomingCall((c) => {
      clock.clearTimeout(timer);
      sub.dispose();
      resolve(c);
    });
  });
}
