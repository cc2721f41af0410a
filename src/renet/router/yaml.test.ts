import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {toYaml} from './yaml.js'

describe('toYaml', () => {
  it('writes sorted keys, quoted strings and empty containers, and reads back the same data', () => {
    const data = {b: {'x y': 'v', true: 'quoted key', list: [1, 'two', {k: false, j: []}], empty: {}}, a: 'line\nbreak "quoted" `tick`'}
    const text = toYaml(data)
    expect(text).toBe(
      [
        'a: "line\\nbreak \\"quoted\\" `tick`"',
        'b:',
        '  empty: {}',
        '  list:',
        '    - 1',
        '    - "two"',
        '    - j: []',
        '      k: false',
        '  "true": "quoted key"',
        '  "x y": "v"',
        '',
      ].join('\n'),
    )
    expect(parse(text)).toEqual(data)
  })

  it('writes an empty configuration as {}', () => {
    expect(toYaml({})).toBe('{}\n')
  })
})
