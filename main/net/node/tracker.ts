/** Counts what a NodeNet has open, so tests can assert that nothing outlives them. */
export class ResourceTracker {
  private readonly open = new Set<object>();

  add(r: object): void {
    this.open.add(r);
  }

  remove(r: object): void {
    this.open.delete(r);
  }

  get count(): number {
    return this.open.size;
  }
}
