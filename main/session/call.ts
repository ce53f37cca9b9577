import { type ErrorInfo, MediapathError, toErrorInfo } from '../common/errors';
import type { CandidatePair, PairView } from '../ice/pair';
import { pickSdpPart } from '../sdp/alternatives';
import { getHeader } from '../sip/message';
import { parseMultipart } from '../sip/multipart';
import { bodyOf, type CallEnd, type ClientCall, type SipBody, type UnsupportedMediaTypeRefusal } from '../sip/ua';
import { type CallOutcome, CallSession, type CallTimings, type QoeDialog } from './call-session';
import type { Endpoint } from './endpoint';
import { readRemoteDescription, remoteCandidatesOf, remoteDescriptionError } from './sdp-bridge';
import { pathInfoOfPair } from './call-media';

/**
 * The caller's side of a call (PROTOCOLS.md §0 steps 5–7): gather, INVITE with every candidate
 * (v19, or multipart with the draft-6 fallback part), the callee's candidates from its 183
 * start the checks at once and the first pair that works carries early media, 200 OK and ACK,
 * promotions while media runs, then — once checks have settled — the re-INVITE with only the
 * chosen candidates and `a=remote-candidates` (RFC 5245 §9.1.2.2), answered by the callee's final
 * 200; another re-INVITE if the path moves after that (consent lost, relay failed); BYE after the
 * call's duration.
 */

export interface OutgoingCallOptions extends Partial<CallTimings> {
  /** Whom to call: `sip:bob@lab.test`. */
  readonly target: string;
}

/** How an offer body is named in events and errors. */
function offerLabel(body: SipBody): string {
  const type = body.contentType.split(';')[0]!.trim().toLowerCase();
  return type.startsWith('multipart/') ? `${type} (draft-6 fallback + v19)` : `${type} (v19)`;
}

/**
 * The single-part offer to send after a 415 refused our multipart one (PROTOCOLS.md §2): the v19
 * part of the body we sent, byte for byte, so the ICE credentials and candidates are the ones
 * already offered and nothing is gathered again. RFC 3261 §8.1.3.5 / §21.4.13: the retry may use
 * only what the refusal's `Accept` lists; both of our parts are application/sdp, and the v19 part
 * is the one the engine can check. An `Accept` without application/sdp leaves nothing to offer.
 */
export function singlePartRetryBody(sent: SipBody, accept: readonly string[]): SipBody | undefined {
  if (!sent.contentType.trim().toLowerCase().startsWith('multipart/')) return undefined;
  if (accept.length > 0 && !accept.some((t) => t === 'application/sdp' || t === 'application/*' || t === '*/*')) return undefined;
  const mp = parseMultipart(sent.body, sent.contentType);
  if (!mp.ok) return undefined;
  const v19 = pickSdpPart(mp.value.parts, 'rfc5245');
  return v19 ? { body: v19.part.body, contentType: 'application/sdp' } : undefined;
}

export class OutgoingCall extends CallSession {
  readonly target: string;
  private sip: ClientCall | undefined;
  private signalled: string | undefined;
  private finalOfferSent = false;
  private reinviteChain: Promise<void> = Promise.resolve();
  /** The INVITE bodies sent, in order (a 415 retry adds the second). */
  private readonly offers: SipBody[] = [];
  private remoteUserAgent: string | undefined;

  constructor(endpoint: Endpoint, opts: OutgoingCallOptions) {
    super(endpoint, 'outgoing', opts);
    this.target = opts.target;
  }

  get callId(): string | undefined {
    return this.sip?.callId;
  }

  /** Runs the whole call; never rejects: a failure is an outcome with its error. */
  async run(): Promise<CallOutcome> {
    let error: ErrorInfo | undefined;
    let end: CallEnd['reason'] | undefined;
    try {
      await this.gather('controlling');
      const offer = this.localDescription();
      this.offers.push(offer);
      this.move('offering', 'INVITE sent');
      const sip = this.endpoint.ua.invite(this.target, { body: offer.body, contentType: offer.contentType, onUnsupportedMediaType: (r) => this.retryOffer(r) });
      this.sip = sip;
      this.subs.push(
        sip.on('progress', (p) => {
          // RFC 3261 §13.2.1: an early answer in a 183; our peers' 18x without SDP carry none.
          if (p.body) this.onSdp(p.body, `${p.status} ${p.reason}`, false);
        }),
      );
      const res = await this.answerOrTimeout(sip);
      this.remoteUserAgent = getHeader(res, 'Server') ?? getHeader(res, 'User-Agent');
      const body = bodyOf(res);
      if (!body) throw new MediapathError('SDP_NEGOTIATION_FAILED', 'the 200 OK to the INVITE carries no SDP', { layer: 'session' });
      this.onSdp(body, '200 OK', true);
      this.move('answered', '200 OK, ACK sent');
      const answeredAt = this.now();
      const ended = sip.ended.then((e) => e);
      const pairs = await Promise.race([this.waitSettled(this.timings.checksTimeoutMs), ended.then(() => [] as CandidatePair[])]);
      if (sip.endedWith) {
        end = sip.endedWith.reason;
      } else if (pairs.length === 0) {
        throw new MediapathError('ICE_CHECK_FAILED', `no candidate pair succeeded within ${this.timings.checksTimeoutMs} ms of the answer`, { layer: 'session' });
      } else {
        await this.finalOffer(pairs, 'checks settled');
        const left = answeredAt + (this.timings.durationMs ?? 10_000) - this.now();
        if (left > 0) await Promise.race([this.sleep(left), ended]);
        await this.reinviteChain;
      }
      if (!sip.endedWith) {
        this.stopMedia('hangup');
        await this.sleep(this.timings.drainMs);
        await sip.bye();
      }
      end = sip.endedWith?.reason ?? end;
      if (sip.endedWith?.error && sip.endedWith.reason === 'failed') error = sip.endedWith.error.toInfo();
    } catch (e) {
      error = toErrorInfo(e);
      this.emit({ type: 'call.failed', at: this.now(), direction: 'outgoing', error });
      this.stopMedia('call failed');
      if (this.sip && !this.sip.endedWith) {
        // CANCEL before the answer, BYE after (ClientCall.bye); bounded, the call is over for us.
        await Promise.race([this.sip.bye().catch(() => undefined), this.sleep(5000)]);
      }
      end = this.sip?.endedWith?.reason;
    }
    return this.conclude(error, end, this.sip?.callId);
  }

  /** A 415 to our INVITE: the one retry with a single part, or undefined to give up (UA asks once). */
  private retryOffer(r: UnsupportedMediaTypeRefusal): SipBody | undefined {
    const sent = this.offers[this.offers.length - 1]!;
    const body = singlePartRetryBody(sent, r.accept);
    if (!body) return undefined;
    this.offers.push(body);
    this.emit({
      type: 'call.offer-retry',
      at: this.now(),
      direction: 'outgoing',
      status: r.status,
      reason: r.reason,
      ...(r.accept.length ? { accept: [...r.accept] } : {}),
      from: this.endpoint.dialect,
      to: 'v19',
      contentType: body.contentType,
    });
    return body;
  }

  /**
   * A 415 that ends the call (a second one, one to a single-part offer, or one whose Accept we
   * cannot meet) says what was offered and what the callee accepts.
   */
  private unsupportedMediaError(e: unknown): unknown {
    if (!(e instanceof MediapathError) || e.code !== 'SIP_REJECTED' || e.detail?.response?.code !== 415) return e;
    const accept = e.detail.response['accept'];
    const accepts = Array.isArray(accept) && accept.length ? `; it accepts ${accept.join(', ')}` : '; it sent no Accept';
    const offered = this.offers.map(offerLabel).join(', then ');
    return new MediapathError('SDP_NEGOTIATION_FAILED', `the callee refused the INVITE with ${e.detail.response.code} ${String(e.detail.response.reason ?? 'Unsupported Media Type')}: offered ${offered}${accepts}`, {
      layer: 'session',
      ...(e.detail.peer ? { peer: e.detail.peer } : {}),
      response: e.detail.response,
    });
  }

  private async answerOrTimeout(sip: ClientCall): Promise<Awaited<ClientCall['answered']>> {
    let timedOut = false;
    const res = await Promise.race([
      sip.answered.catch((e: unknown) => {
        throw this.unsupportedMediaError(e);
      }),
      this.sleep(this.timings.answerTimeoutMs).then(() => {
        timedOut = true;
      }),
    ]);
    if (timedOut || !res) {
      throw new MediapathError('SIP_TIMEOUT', `no answer to the INVITE within ${this.timings.answerTimeoutMs} ms`, { layer: 'session' });
    }
    return res;
  }

  /** The callee's SDP in a 183 or the 200; an unreadable one in the 200 ends the call. */
  private onSdp(body: SipBody, where: string, required: boolean): void {
    const info = readRemoteDescription(body);
    if (!info.ok) {
      this.emit({ type: 'sdp.unusable', at: this.now(), where, code: info.error.code, reason: info.error.reason });
      if (required) throw remoteDescriptionError(info.error, `the callee's SDP in the ${where}`);
      return;
    }
    this.applyRemote(info.value, where);
  }

  /** RFC 5245 §9.1.2.2 / PROTOCOLS.md §0 step 6: only the chosen candidates, and the peer's. */
  private async finalOffer(pairs: readonly CandidatePair[], why: string): Promise<void> {
    const sip = this.sip;
    if (!sip || sip.endedWith || this.fsm.is('ending', 'ended')) return;
    this.finalOfferSent = true;
    this.signalled = pairs[0]!.id;
    const body = this.localDescription({ candidates: pairs.map((p) => p.local), remoteCandidates: remoteCandidatesOf(pairs) });
    const at = this.now();
    const labels = pairs.map((p) => pathInfoOfPair(p.view())!.label);
    try {
      const res = await sip.reinvite(body);
      this.reinvites++;
      this.emit({ type: 'call.reinvite', at: this.now(), direction: 'outgoing', why, status: res.status, pairs: labels, ms: this.now() - at });
      const answer = bodyOf(res);
      if (answer) this.onSdp(answer, 're-INVITE 200 OK', false);
    } catch (e) {
      this.emit({ type: 'call.reinvite', at: this.now(), direction: 'outgoing', why, pairs: labels, error: toErrorInfo(e) });
    }
  }

  protected override qoeDialog(): QoeDialog | undefined {
    const sip = this.sip;
    if (!sip) return undefined;
    const d = sip.dialogInfo;
    return {
      callId: sip.callId,
      fromTag: sip.localTag,
      ...(d ? { toTag: d.id.remoteTag, remoteContact: d.remoteTarget } : {}),
      fromUri: this.endpoint.aor,
      toUri: sip.remote,
      caller: true,
      ...(this.remoteUserAgent !== undefined ? { remoteUserAgent: this.remoteUserAgent } : {}),
    };
  }

  /** After the final offer, a path that moves again is signalled again (one re-INVITE at a time). */
  protected override afterPathChange(to: PairView | undefined, reason: string): void {
    if (!this.finalOfferSent || !to || to.id === this.signalled || !this.fsm.is('answered')) return;
    this.reinviteChain = this.reinviteChain.then(async () => {
      const sel = this.agent?.selectedPair(1);
      if (!sel || sel.id === this.signalled) return;
      await this.finalOffer([sel], `path changed (${reason})`);
    });
  }
}
