import {describe, expect, it} from 'vitest'

import {declaredPorts, interpolate} from './ports.js'

describe('declaredPorts', () => {
  it('reads the container side of every short and long ports: form, and expose:', () => {
    const ports = declaredPorts({
      ports: ['8080:80', '127.0.0.1:9443:8443', '3000', '53:53/udp', '[::1]:2222:22', {target: 5353, published: 15353, protocol: 'udp'}, {target: '9000'}],
      expose: ['4000', 4001, '7000-7002', '161/udp'],
    })
    expect(ports).toEqual({tcp: [22, 80, 3000, 4000, 4001, 7000, 7001, 7002, 8443, 9000], udp: [53, 161, 5353]})
  })

  it('resolves ${VAR} from the environment and skips what it cannot read', () => {
    expect(declaredPorts({ports: ['${HOST_PORT}:${APP_PORT}', '${MISSING}', '${OTHER:-8081}', 'garbage', '1-1000']}, {APP_PORT: '8080'})).toEqual({
      tcp: [8080, 8081],
      udp: [],
    })
  })

  it('gives nothing for a service without ports', () => {
    expect(declaredPorts({image: 'x'})).toEqual({tcp: [], udp: []})
  })
})

describe('interpolate', () => {
  it('follows compose rules for defaults and $$', () => {
    expect(interpolate('${A}-${B:-b}-${C-c}-$$-$A', {A: 'a', C: ''})).toBe('a-b--$-a')
    expect(interpolate('${NOPE}:80', {})).toBe(':80')
  })
})
