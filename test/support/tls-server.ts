// The TLS listener moved into the lab (the lab registrar serves TLS with it); tests keep this name.
export { TlsListener as TlsTestServer, type TlsIdentity } from '../../main/lab/tls-listener';
