import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {traefikBody} from './body.js'

describe('traefikBody', () => {
  it('writes JSON that a YAML reader reads back as the same data', () => {
    const data = {http: {routers: {'web-2816': {rule: 'Host(`a.example.com`) && Path(`/x"y`)', entryPoints: ['websecure'], tls: {}}}}, udp: {services: {}}}
    const body = traefikBody(data)
    expect(body.endsWith('\n')).toBe(true)
    expect(JSON.parse(body)).toEqual(data)
    expect(parse(body)).toEqual(data)
  })

  it('writes an empty configuration as {}', () => {
    expect(traefikBody({})).toBe('{}\n')
  })
})
