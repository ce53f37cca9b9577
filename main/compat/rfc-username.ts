import type { CheckDialect } from './profile';

const utf8 = new TextEncoder();
const text = new TextDecoder('utf-8', { fatal: false });

/**
 * RFC 8445 §7.2.2 / §7.3: a check's USERNAME is `<receiver's ufrag>:<sender's ufrag>`, so an
 * agent accepts a request whose USERNAME starts with its own ufrag and a colon. Shared by every
 * dialect that uses session-level ufrag/pwd (RFC 8445 and [MS-ICE2]).
 */
export const rfcUsername: Pick<CheckDialect, 'requestUsername' | 'usernameIsOurs' | 'remoteUfragOf'> = {
  requestUsername: (localUfrag, remoteUfrag) => utf8.encode(`${remoteUfrag}:${localUfrag}`),
  usernameIsOurs: (username, localUfrag) => {
    const s = text.decode(username);
    return localUfrag.length > 0 && s.startsWith(`${localUfrag}:`);
  },
  remoteUfragOf: (username) => {
    const s = text.decode(username);
    const i = s.indexOf(':');
    return i >= 0 ? s.slice(i + 1) : undefined;
  },
};
