/** Makes a `switch` over a union exhaustive: adding a member without a case fails to compile. */
export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}
