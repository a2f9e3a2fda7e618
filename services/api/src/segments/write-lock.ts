/**
 * Runs tasks one at a time, in call order. Segment writes read the current version and add
 * the next one; two at once would both add the same version.
 */
export class WriteLock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    // The next task waits for this one whatever its outcome.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
