// The lab makes the self-signed pairs (turn-probe --lab needs them too); tests use the same code.
export { makeSelfSignedPair, type SelfSignedPair } from '../../main/lab/certs';
