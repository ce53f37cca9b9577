import { describe, expect, it } from 'vitest';
import { restCredentials } from '../../../main/turn';

describe('TURN REST API credentials', () => {
  // Expected values computed independently: printf '%s' USERNAME | openssl dgst -sha1 -hmac SECRET -binary | base64
  it('derives username expiry:user and base64 HMAC-SHA1 password', () => {
    expect(restCredentials('lab-shared-secret', 'alice', 1_700_000_000)).toEqual({
      kind: 'rest',
      username: '1700000000:alice',
      password: 'UuufM7WYt9lO/IsWKRH7V66AMnU=',
      expiresAt: 1_700_000_000,
    });
    expect(restCredentials('my_secret', 'my_username', 1433895918506).password).toBe('gKwSWE2uKuZnhCArog06lwc23/A=');
  });

  it('truncates a fractional expiry to whole seconds', () => {
    expect(restCredentials('s', 'u', 1_700_000_000.9).username).toBe('1700000000:u');
  });
});
