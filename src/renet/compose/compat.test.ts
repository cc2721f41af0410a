import {describe, expect, it} from 'vitest'

import {UsageError} from '../../errors.js'
import {checkCompat, compatProblems} from './compat.js'
import {parseComposeFile} from './compose-file.js'

const file = (text: string) => parseComposeFile('/repo/docker-compose.yml', text)

describe('compatProblems', () => {
  it('names links and net.* sysctls of a host-network service with the fix', () => {
    const problems = compatProblems(
      file(`services:
  n8n:
    image: n8n
    network_mode: host
    links: [postgres]
  wireguard:
    image: wg
    network_mode: host
    sysctls:
      - net.ipv4.conf.all.src_valid_mark=1
      - kernel.msgmax=65536
  postgres:
    image: pg
    sysctls: {kernel.shmmax: 1}
`),
    )
    expect(problems.map((p) => p.where)).toEqual(["docker-compose.yml: service 'n8n': links:", "docker-compose.yml: service 'wireguard': sysctls:"])
    expect(problems[0].fix).toMatch(/\$\{<SERVICE>_IP\}/)
    expect(problems[1].problem).toMatch(/net\.ipv4\.conf\.all\.src_valid_mark/)
    expect(problems[1].problem).not.toMatch(/kernel/)
  })

  it('leaves links and net.* sysctls alone for a service that keeps compose networks', () => {
    expect(compatProblems(file('services:\n  web:\n    image: x\n    links: [db]\n    sysctls: [net.core.somaxconn=1024]\n  db: {image: y}\n'))).toEqual([])
    expect(compatProblems(file('services:\n  web:\n    image: x\n    links: [db]\n'), {hostNetwork: () => true})).toHaveLength(1)
  })

  it('names compose features newer than docker-compose 1.29', () => {
    const problems = compatProblems(
      file(`name: myproject
include: [other.yml]
x-ok: 1
services:
  web:
    image: x
    depends_on:
      db: {condition: service_healthy, restart: true, required: false}
    healthcheck: {test: [CMD, true], start_interval: 1s}
    develop: {watch: []}
    build: {context: ., additional_contexts: {a: b}}
    env_file: [{path: .env.web, required: false}]
  db: {image: pg, depends_on: [web]}
`),
    )
    expect(problems.map((p) => p.where)).toEqual([
      'docker-compose.yml: name:',
      'docker-compose.yml: include:',
      "docker-compose.yml: service 'web': develop:",
      "docker-compose.yml: service 'web': depends_on.db.restart",
      "docker-compose.yml: service 'web': depends_on.db.required",
      "docker-compose.yml: service 'web': build.additional_contexts",
      "docker-compose.yml: service 'web': healthcheck.start_interval",
      "docker-compose.yml: service 'web': env_file",
    ])
    expect(problems[0].fix).toMatch(/COMPOSE_PROJECT_NAME/)
  })

  it('accepts what the guide and docker-compose 1.29 accept', () => {
    expect(compatProblems(file('version: "3.8"\nservices:\n  web:\n    image: x\n    network_mode: host\n    depends_on: {db: {condition: service_started}}\n  db: {image: y}\nvolumes: {}\nnetworks: {}\n'))).toEqual([])
  })
})

describe('checkCompat', () => {
  it('refuses with every problem on its own line', () => {
    let error: unknown
    try {
      checkCompat([file('name: x\nservices:\n  a: {image: b, network_mode: host, links: [c]}\n  c: {image: d}\n')])
    } catch (caught) {
      error = caught
    }

    expect(error).toBeInstanceOf(UsageError)
    const message = (error as UsageError).message
    expect(message.split('\n')).toHaveLength(3)
    expect(message).toMatch(/top-level 'name' is not known to docker-compose 1\.29/)
    expect(message).toMatch(/service 'a': links: the Docker daemon refuses links/)
  })
})
