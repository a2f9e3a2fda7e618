/** Exhaustiveness check for a switch: adding a case to a union fails the build here. */
export function assertNever(value: never): never {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}
