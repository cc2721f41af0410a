/**
 * `fn` over every item, at most `limit` at a time, results in the items' order. The one worker pool of the CLI
 * (push-infra's machines, diagnose's machines, dns's machines): a rejection stops nothing already running and is
 * the caller's to avoid — each of them turns a machine's failure into that machine's result.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!, i)
    }
  }
  await Promise.all(Array.from({length: Math.max(1, Math.min(limit, items.length))}, worker))
  return out
}
