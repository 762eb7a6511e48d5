/**
 * Waits for a condition with a deadline — the only way tests over real sockets
 * and processes wait. Polls every `intervalMs`; on timeout it throws with the
 * description and, if given, the last observed value.
 */
export interface WaitForOptions {
  /** @default 5000 */
  readonly timeoutMs?: number;
  /** @default 10 */
  readonly intervalMs?: number;
  readonly describe?: () => string;
}

export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  options: WaitForOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const intervalMs = options.intervalMs ?? 10;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (performance.now() >= deadline) {
      const seen = options.describe === undefined ? "" : ` (last seen: ${options.describe()})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
