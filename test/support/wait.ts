import {setTimeout as sleep} from 'node:timers/promises'

/** Polls `check` until it holds; throws naming `what` when `timeoutMs` passes first. */
export async function until(
  check: () => Promise<boolean>,
  what: string,
  {timeoutMs = 30_000, intervalMs = 250}: {timeoutMs?: number; intervalMs?: number} = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await sleep(intervalMs)
  }

  throw new Error(`timed out waiting for ${what}`)
}
