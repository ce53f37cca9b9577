import { StateMachine } from '../common/fsm';
import { err, ok, type Result } from '../common/result';
import { parseCSeq, parseContact, parseNameAddr, formatNameAddr, type NameAddr } from './header-values';
import { getHeader, getHeaders, type SipMessage, type SipParseError, type SipRequest, type SipResponse, sipParseError, sipRequest } from './message';
import { emptyParams, type Params } from './params';
import { parseSipUri } from './uri';

/** RFC 3261 §12: a dialog is named by the Call-ID and the two tags. */
export interface DialogId {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
}

export function dialogKey(id: DialogId): string {
  return `${id.callId}\u0000${id.localTag}\u0000${id.remoteTag}`;
}

/** The id a request arriving in one of our dialogs names: our tag is in To, the peer's in From. */
export function dialogIdOfIncoming(req: SipRequest): DialogId | undefined {
  const to = parseNameAddr(getHeader(req, 'To') ?? '');
  const from = parseNameAddr(getHeader(req, 'From') ?? '');
  const callId = getHeader(req, 'Call-ID');
  if (!to.ok || !from.ok || callId === undefined) return undefined;
  const localTag = to.value.params['tag'];
  const remoteTag = from.value.params['tag'];
  if (!localTag || !remoteTag) return undefined;
  return { callId, localTag, remoteTag };
}

/** The id of the dialog a response to our request belongs to: our tag is in From, the peer's in To. */
export function dialogIdOfResponse(res: SipResponse): DialogId | undefined {
  const to = parseNameAddr(getHeader(res, 'To') ?? '');
  const from = parseNameAddr(getHeader(res, 'From') ?? '');
  const callId = getHeader(res, 'Call-ID');
  if (!to.ok || !from.ok || callId === undefined) return undefined;
  const localTag = from.value.params['tag'];
  const remoteTag = to.value.params['tag'];
  if (!localTag || !remoteTag) return undefined;
  return { callId, localTag, remoteTag };
}

export type DialogState = 'early' | 'confirmed' | 'terminated';

const TABLE: Record<DialogState, readonly DialogState[]> = {
  early: ['confirmed', 'terminated'],
  confirmed: ['terminated'],
  terminated: [],
};

export interface DialogRequestInput {
  /** Our top Via (the transport stamps its sent-by). */
  readonly via: string;
  readonly contact?: string;
  readonly headers?: ReadonlyArray<readonly [string, string]>;
  readonly body?: string;
  readonly contentType?: string;
  readonly maxForwards?: number;
}

function withoutTag(n: NameAddr): NameAddr {
  const params: Record<string, string | null> = emptyParams();
  for (const [k, v] of Object.entries(n.params)) if (k !== 'tag') params[k] = v;
  return { ...n, params };
}

function withTag(n: NameAddr, tag: string): string {
  const params: Record<string, string | null> = emptyParams();
  for (const [k, v] of Object.entries(n.params as Params)) params[k] = v;
  params['tag'] = tag;
  return formatNameAddr({ ...(n.displayName !== undefined ? { displayName: n.displayName } : {}), uri: n.uri, params });
}

function contactUri(msg: SipMessage): Result<string, SipParseError> {
  const value = getHeader(msg, 'Contact');
  if (value === undefined) return err(sipParseError(0, 'no Contact header: the dialog has no remote target'));
  const c = parseContact(value);
  if (!c.ok) return c;
  if (c.value === '*') return err(sipParseError(0, 'Contact "*" in a dialog-creating message'));
  return ok(c.value.uri);
}

function isLooseRoute(route: string): boolean {
  const n = parseNameAddr(route);
  if (!n.ok) return true;
  const u = parseSipUri(n.value.uri);
  return u.ok ? 'lr' in u.value.params : true;
}

/**
 * One dialog (RFC 3261 §12), sans-IO: its identity, the two sequence numbers, the route set and
 * the remote target, and the requests built inside it (§12.2.1.1, loose and strict routing).
 * INVITE dialogs start early on a 1xx with a To tag and are confirmed by the 2xx (§12.1.2, §13).
 */
export class Dialog {
  readonly id: DialogId;
  private readonly fsm: StateMachine<DialogState>;
  private localUri: NameAddr;
  private remoteUri: NameAddr;
  /** The last CSeq number we used; undefined before our first request (the UAS side). */
  localSeq: number | undefined;
  remoteSeq: number | undefined;
  remoteTarget: string;
  readonly routeSet: readonly string[];
  readonly secure: boolean;

  private constructor(init: {
    id: DialogId;
    state: 'early' | 'confirmed';
    localUri: NameAddr;
    remoteUri: NameAddr;
    localSeq: number | undefined;
    remoteSeq: number | undefined;
    remoteTarget: string;
    routeSet: readonly string[];
    secure: boolean;
    now: () => number;
  }) {
    this.id = init.id;
    this.fsm = new StateMachine<DialogState>(`dialog ${init.id.callId}`, init.state, TABLE, init.now, undefined, 'sip');
    this.localUri = init.localUri;
    this.remoteUri = init.remoteUri;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.secure = init.secure;
  }

  /** §12.1.2: the UAC's dialog from its request and a 1xx/2xx with a To tag. */
  static forUac(request: SipRequest, response: SipResponse, now: () => number = () => 0): Result<Dialog, SipParseError> {
    const id = dialogIdOfResponse(response);
    if (!id) return err(sipParseError(0, 'response without both tags cannot create a dialog'));
    const from = parseNameAddr(getHeader(request, 'From') ?? '');
    const to = parseNameAddr(getHeader(response, 'To') ?? '');
    const cseq = parseCSeq(getHeader(request, 'CSeq') ?? '');
    if (!from.ok) return from;
    if (!to.ok) return to;
    if (!cseq.ok) return cseq;
    const target = contactUri(response);
    if (!target.ok) return target;
    return ok(
      new Dialog({
        id,
        state: response.status >= 200 ? 'confirmed' : 'early',
        localUri: withoutTag(from.value),
        remoteUri: withoutTag(to.value),
        localSeq: cseq.value.seq,
        remoteSeq: undefined,
        remoteTarget: target.value,
        // The UAC reverses the Record-Route list (§12.1.2).
        routeSet: getHeaders(response, 'Record-Route').reverse(),
        secure: request.uri.toLowerCase().startsWith('sips:'),
        now,
      }),
    );
  }

  /** §12.1.1: the UAS's dialog from the request and the tag it puts in its To. */
  static forUas(request: SipRequest, localTag: string, state: 'early' | 'confirmed', now: () => number = () => 0): Result<Dialog, SipParseError> {
    const from = parseNameAddr(getHeader(request, 'From') ?? '');
    const to = parseNameAddr(getHeader(request, 'To') ?? '');
    const cseq = parseCSeq(getHeader(request, 'CSeq') ?? '');
    const callId = getHeader(request, 'Call-ID');
    if (!from.ok) return from;
    if (!to.ok) return to;
    if (!cseq.ok) return cseq;
    const remoteTag = from.value.params['tag'];
    if (!remoteTag || callId === undefined) return err(sipParseError(0, 'request without a From tag cannot create a dialog'));
    const target = contactUri(request);
    if (!target.ok) return target;
    return ok(
      new Dialog({
        id: { callId, localTag, remoteTag },
        state,
        localUri: withoutTag(to.value),
        remoteUri: withoutTag(from.value),
        localSeq: undefined,
        remoteSeq: cseq.value.seq,
        remoteTarget: target.value,
        routeSet: getHeaders(request, 'Record-Route'),
        secure: request.uri.toLowerCase().startsWith('sips:'),
        now,
      }),
    );
  }

  get state(): DialogState {
    return this.fsm.state;
  }

  get key(): string {
    return dialogKey(this.id);
  }

  confirm(reason = '2xx'): void {
    if (this.fsm.is('early')) this.fsm.transition('confirmed', reason);
  }

  terminate(reason: string): void {
    if (!this.fsm.is('terminated')) this.fsm.transition('terminated', reason);
  }

  /** Our From (with our tag) and their To (with theirs), as written in our requests. */
  get fromHeader(): string {
    return withTag(this.localUri, this.id.localTag);
  }

  get toHeader(): string {
    return withTag(this.remoteUri, this.id.remoteTag);
  }

  /** The next CSeq number for a new request of ours (§12.2.1.1: one more than the last). */
  nextSeq(): number {
    this.localSeq = this.localSeq === undefined ? 1 : this.localSeq + 1;
    return this.localSeq;
  }

  /**
   * A request inside the dialog (§12.2.1.1). With a loose-routing first hop (`;lr`) the
   * Request-URI is the remote target and the route set goes in Route; with a strict router the
   * first route becomes the Request-URI and the remote target the last Route.
   */
  request(method: string, input: DialogRequestInput, seq?: number): SipRequest {
    const n = seq ?? this.nextSeq();
    let uri = this.remoteTarget;
    let routes = [...this.routeSet];
    if (routes.length > 0 && !isLooseRoute(routes[0]!)) {
      const first = parseNameAddr(routes[0]!);
      uri = first.ok ? first.value.uri.replace(/\?.*$/, '') : uri;
      routes = [...routes.slice(1), `<${this.remoteTarget}>`];
    }
    const headers: [string, string][] = [
      ['Via', input.via],
      ['Max-Forwards', String(input.maxForwards ?? 70)],
      ...routes.map((r): [string, string] => ['Route', r]),
      ['From', this.fromHeader],
      ['To', this.toHeader],
      ['Call-ID', this.id.callId],
      ['CSeq', `${n} ${method}`],
      ...(input.contact !== undefined ? [['Contact', input.contact] as [string, string]] : []),
      ...(input.headers ?? []).map(([k, v]): [string, string] => [k, v]),
      ...(input.contentType !== undefined && input.body ? [['Content-Type', input.contentType] as [string, string]] : []),
    ];
    return sipRequest(method, uri, headers, input.body ?? '');
  }

  /** The ACK for a 2xx to the INVITE numbered `inviteSeq` (§13.2.2.4: same CSeq number, new branch). */
  ack(inviteSeq: number, input: DialogRequestInput): SipRequest {
    return this.request('ACK', input, inviteSeq);
  }

  /**
   * §12.2.2: a request from the peer must not go backwards in CSeq; 500 otherwise. ACK and CANCEL
   * reuse their INVITE's number and are not checked.
   */
  acceptRemoteSeq(req: SipRequest): Result<true, { status: 500; reason: string }> {
    if (req.method === 'ACK' || req.method === 'CANCEL') return ok(true);
    const cseq = parseCSeq(getHeader(req, 'CSeq') ?? '');
    if (!cseq.ok) return err({ status: 500, reason: 'Bad CSeq' });
    if (this.remoteSeq !== undefined && cseq.value.seq <= this.remoteSeq) {
      return err({ status: 500, reason: 'CSeq Out of Order' });
    }
    this.remoteSeq = cseq.value.seq;
    return ok(true);
  }

  /** Target refresh (§12.2: a re-INVITE or its 2xx may move the remote target). */
  refreshTarget(msg: SipMessage): void {
    const c = contactUri(msg);
    if (c.ok) this.remoteTarget = c.value;
  }
}
