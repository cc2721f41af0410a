import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {parseComposeFile} from './compose-file.js'
import {cleanComposeFile, renderOverride} from './override.js'

describe('renderOverride', () => {
  it('puts every service on the host network with its rediacc.* labels', () => {
    const text = renderOverride(
      [
        {name: 'webapp', ip: '127.0.11.3', networkId: 2816, ports: {tcp: [3000], udp: []}},
        {name: 'dns', ip: '127.0.11.2', networkId: 2816, ports: {tcp: [53, 8053], udp: [53]}},
        {name: 'worker', ip: '127.0.11.4', networkId: 2816, ports: {tcp: [], udp: []}},
      ],
      '3.8',
    )
    expect(text).toBe(`# Written by renet compose on every run; edit the compose file instead.
version: "3.8"
services:
  webapp:
    network_mode: host
    labels:
      rediacc.service_name: webapp
      rediacc.service_ip: 127.0.11.3
      rediacc.network_id: "2816"
      rediacc.tcp_ports: "3000"
  dns:
    network_mode: host
    labels:
      rediacc.service_name: dns
      rediacc.service_ip: 127.0.11.2
      rediacc.network_id: "2816"
      rediacc.tcp_ports: 53,8053
      rediacc.udp_ports: "53"
  worker:
    network_mode: host
    labels:
      rediacc.service_name: worker
      rediacc.service_ip: 127.0.11.4
      rediacc.network_id: "2816"
`)
    // Every label value is a string once parsed (docker refuses numbers there).
    const labels = parse(text).services.dns.labels as Record<string, unknown>
    expect(Object.values(labels).every((value) => typeof value === 'string')).toBe(true)
  })

  it('leaves version out when the compose file has none', () => {
    expect(renderOverride([])).not.toMatch(/version/)
  })

  it('quotes values YAML 1.1 would not read as strings', () => {
    const text = renderOverride([{name: 'on', ip: '127.0.11.2', networkId: 2816, ports: {tcp: [], udp: []}}])
    expect(text).toContain('  "on":\n    network_mode: host\n')
    expect(text).toContain('rediacc.service_name: "on"\n')
  })
})

describe('cleanComposeFile', () => {
  it('drops ports: and networks: with a warning each and keeps the rest of the text', () => {
    const file = parseComposeFile(
      '/r/docker-compose.yml',
      `services:
  web-app:
    image: busybox # the app
    command: httpd -f -p \${WEB_APP_IP}:8080
    ports:
      - "8080:8080"
    networks: [front]
    network_mode: bridge
  db:
    image: busybox
networks:
  front: {}
`,
    )
    const {text, warnings} = cleanComposeFile(file)
    expect(warnings).toEqual([
      "docker-compose.yml: service 'web-app': ports: 8080:8080 dropped (with host networking a service listens on its own IP; bind to ${WEB_APP_IP} instead)",
      "docker-compose.yml: service 'web-app': networks: front dropped (the service runs on the host network)",
    ])
    expect(text).toContain('image: busybox # the app')
    expect(text).toContain('command: httpd -f -p ${WEB_APP_IP}:8080')
    const cleaned = parse(text as string)
    expect(cleaned.services['web-app'].ports).toBeUndefined()
    expect(cleaned.services['web-app'].networks).toBeUndefined()
    expect(cleaned.services.db).toEqual({image: 'busybox'})
  })

  it('also drops ports that came in through a merge key', () => {
    const file = parseComposeFile('c.yml', 'x-base: &base\n  image: busybox\n  ports: ["80:80"]\nservices:\n  web:\n    <<: *base\n    command: httpd\n')
    const {text, warnings} = cleanComposeFile(file)
    expect(warnings).toHaveLength(1)
    expect(parse(text as string, {merge: true}).services.web).toEqual({image: 'busybox', command: 'httpd'})
  })

  it('changes nothing in a file without ports: or networks:', () => {
    const file = parseComposeFile('c.yml', 'services:\n  web:\n    image: busybox\n    network_mode: host\n    expose: ["80"]\n')
    expect(cleanComposeFile(file)).toEqual({text: null, warnings: []})
  })
})
