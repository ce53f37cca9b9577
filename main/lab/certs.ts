import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MediapathError } from '../common/errors';

/** A throwaway self-signed certificate for a TLS server in a test, and its cleanup. */
export interface SelfSignedPair {
  readonly dir: string;
  readonly certPath: string;
  readonly keyPath: string;
  /** The certificate PEM, to trust as a CA on the client side. */
  readonly certPem: string;
  /** The name the certificate is issued to (CN and DNS SAN). */
  readonly hostname: string;
  remove(): void;
}

/**
 * An ECDSA P-256 pair valid for two days, issued to `hostname` (CN and DNS SAN) and to the
 * loopback addresses (IP SANs), so a client may verify it with the cert as its only CA.
 */
export function makeSelfSignedPair(hostname = 'turn.lab.test', ips: readonly string[] = ['127.0.0.1']): SelfSignedPair {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mediapath-cert-'));
  const certPath = path.join(dir, 'cert.pem');
  const keyPath = path.join(dir, 'key.pem');
  const san = [`DNS:${hostname}`, ...ips.map((ip) => `IP:${ip}`)].join(',');
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
        '-subj', `/CN=${hostname}`, '-addext', `subjectAltName=${san}`, '-keyout', keyPath, '-out', certPath],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new MediapathError(
      'LAB_CERT_FAILED',
      missing
        ? 'openssl is not installed; install it with: apt-get install -y --no-install-recommends openssl'
        : `openssl could not make a self-signed pair: ${String((e as { stderr?: unknown }).stderr ?? e)}`,
      { layer: 'lab' },
      { cause: e },
    );
  }
  return {
    dir,
    certPath,
    keyPath,
    certPem: fs.readFileSync(certPath, 'utf8'),
    hostname,
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
