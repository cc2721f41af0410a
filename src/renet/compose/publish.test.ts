import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {cleanCopyPath, OVERRIDE_FILE} from './override.js'
import {prepareCompose} from './prepare.js'
import {publishOnServiceIp} from './publish.js'

describe('publishOnServiceIp', () => {
  it('publishes every declared port on the service IP, keeps 127.0.0.1 ones, and notes the rewritten ones', () => {
    const p = publishOnServiceIp('web', {ports: ['80:80', '8443:443', '127.0.0.1:3000:3000', {target: 53, protocol: 'udp', published: 53}, '9000'], expose: ['6000', '7000/udp']}, '127.0.11.2')
    expect(p.ports).toEqual(['127.0.11.2:80:80', '127.0.11.2:443:443', '127.0.0.1:3000:3000', '127.0.11.2:53:53/udp', '127.0.11.2:9000:9000', '127.0.11.2:6000:6000', '127.0.11.2:7000:7000/udp'])
    expect(p.declared).toEqual({tcp: [80, 443, 6000, 9000], udp: [53, 7000]})
    expect(p.notes).toHaveLength(4)
    expect(p.notes[1]).toBe("service 'web': ports: 8443:443 is published on 127.0.11.2:443 (its service IP) instead of every address; Traefik reaches it there")
  })

  it('resolves variables and reads IPv6 and ranges', () => {
    const p = publishOnServiceIp('db', {ports: ['${PORT}:5432', '[::1]:5433:5433', '8000-8002:8000-8002']}, '127.0.11.3', {PORT: '15432'})
    expect(p.ports).toEqual(['127.0.11.3:5432:5432', '[::1]:5433:5433', '127.0.11.3:8000-8002:8000-8002'])
    expect(p.declared.tcp).toEqual([5432, 8000, 8001, 8002])
  })
})

describe('prepareCompose with services that keep their networks', () => {
  let root: string
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'rdc-compose-bridge-'))
  })
  afterEach(() => rmSync(root, {recursive: true, force: true}))

  it('keeps networks and links, publishes on the service IP, and leaves host-network services as they were', () => {
    writeFileSync(
      join(root, 'docker-compose.yml'),
      `services:
  wordpress:
    image: wordpress
    ports: ["80:80"]
    links: [db]
    networks: [front, back]
  db:
    image: mysql
    expose: ["3306"]
    networks: [back]
  legacy:
    image: busybox
    network_mode: host
    command: httpd -p \${LEGACY_IP}:8080
    expose: ["8080"]
  sidecar:
    image: busybox
    network_mode: service:wordpress
networks:
  front: {}
  back: {}
`,
    )
    const prepared = prepareCompose({repo: {path: root, name: 'wp', networkId: 2816, dockerHost: 'unix:///var/run/rediacc/docker-2816.sock'}, dir: root, env: {}})
    const override = parse(readFileSync(join(root, OVERRIDE_FILE), 'utf8'))
    const ip = (name: string) => prepared.services.find((s) => s.name === name)?.ip
    expect(override.services.wordpress).toEqual({labels: expect.objectContaining({'rediacc.tcp_ports': '80'}), ports: [`${ip('wordpress')}:80:80`]})
    expect(override.services.db).toEqual({labels: expect.objectContaining({'rediacc.tcp_ports': '3306'}), ports: [`${ip('db')}:3306:3306`]})
    expect(override.services.legacy.network_mode).toBe('host')
    expect(override.services.sidecar).toEqual({labels: expect.not.objectContaining({'rediacc.tcp_ports': expect.anything()})})
    // The copy drops only wordpress's ports (merged by docker-compose 1.x, they could not be replaced), not networks.
    const copy = parse(readFileSync(cleanCopyPath(join(root, 'docker-compose.yml')), 'utf8'))
    expect(copy.services.wordpress).toEqual({image: 'wordpress', links: ['db'], networks: ['front', 'back']})
    expect(copy.networks).toEqual({front: {}, back: {}})
    expect(prepared.warnings).toEqual([`service 'wordpress': ports: 80:80 is published on ${ip('wordpress')}:80 (its service IP) instead of every address; Traefik reaches it there`])
  })
})
