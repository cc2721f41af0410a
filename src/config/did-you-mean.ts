/** Edit distance between two short names (contexts, machines), for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = cur
  }
  return prev[b.length]
}

/** The closest known name, if it is close enough to be a likely typo (or a prefix of what was typed). */
export function closest(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of known) {
    const d = editDistance(name, candidate)
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  if (best === undefined) return undefined
  const limit = Math.max(2, Math.floor(name.length / 3))
  return bestDistance <= limit || best.startsWith(name) || name.startsWith(best) ? best : undefined
}

/** English plural of a kind of thing: machine → machines, repository → repositories. */
export function plural(kind: string): string {
  if (/[^aeiou]y$/.test(kind)) return `${kind.slice(0, -1)}ies`
  if (/(s|x|z|ch|sh)$/.test(kind)) return `${kind}es`
  return `${kind}s`
}

/** "Known: a, b, c." or a hint on how to create the first one. */
export function suggestName(name: string, known: string[], kind: string, createHint: string): string {
  const guess = closest(name, known)
  if (guess) return `Did you mean "${guess}"? Known ${plural(kind)}: ${known.join(', ')}.`
  if (known.length > 0) return `Known ${plural(kind)}: ${known.join(', ')}.`
  return createHint
}
