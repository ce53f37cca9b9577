// Typings for the parts of the `stun` package (node-stun 2.x, no bundled types) that we use.
declare module 'stun' {
  interface NodeStunAttribute {
    readonly type: number;
    readonly value: unknown;
  }
  interface NodeStunMessage {
    readonly type: number;
    readonly transactionId: Buffer;
    isLegacy(): boolean;
    getAttribute(type: number): NodeStunAttribute | undefined;
    [Symbol.iterator](): Iterator<NodeStunAttribute>;
  }
  interface NodeStunRequest extends NodeStunMessage {
    setType(type: number): void;
    setTransactionId(id: Buffer): boolean;
    addAttribute(type: number, ...args: unknown[]): NodeStunAttribute | undefined;
  }
  export function createMessage(type: number, transaction?: Buffer): NodeStunRequest;
  export function encode(message: NodeStunMessage): Buffer;
  export function decode(bytes: Buffer): NodeStunMessage;
  export const constants: Record<string, number>;
}
