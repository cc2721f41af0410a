import {isIP} from 'node:net'

/** A canonical form for comparing addresses: IPv6 expanded to eight 4-digit groups, IPv4 as is. */
export function canonicalIp(address: string): string {
  const a = address.trim().toLowerCase().replace(/^\[|\]$/g, '')
  if (isIP(a) !== 6) return a
  const [head = '', tail] = a.split('::', 2) as [string, string | undefined]
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'))
  let h = groups(head)
  let t = tail === undefined ? [] : groups(tail)
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const fix = (g: string[]): string[] =>
    g.flatMap((x) => {
      if (!x.includes('.')) return [x]
      const o = x.split('.').map(Number)
      return [((o[0]! << 8) | o[1]!).toString(16), ((o[2]! << 8) | o[3]!).toString(16)]
    })
  h = fix(h)
  t = fix(t)
  const fill = tail === undefined ? [] : Array.from({length: 8 - h.length - t.length}, () => '0')
  return [...h, ...fill, ...t].map((g) => g.padStart(4, '0')).join(':')
}

export function sameIp(a: string, b: string): boolean {
  return canonicalIp(a) === canonicalIp(b)
}
