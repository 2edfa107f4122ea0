/** The value of an ok result; fails the test with the result's own error otherwise (no assertion hidden behind `if (ok)`). */
export function expectOk<T>(
  result: { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string },
): T {
  if (!result.ok) throw new Error(`expected an ok result, got: ${result.error}`);
  return result.value;
}
