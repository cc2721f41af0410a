import {describe, expect, it} from 'vitest'

import {protectedPathsFromCompose} from './compose-mounts.js'

const webapp = `services:
  webapp:
    image: busybox
    volumes:
      - ./www:/srv/www:ro
  postgres:
    image: busybox
    volumes:
      - ./data/postgres:/var/lib/postgresql/data
      - pgsocket:/run/postgresql
      - /var/log:/host-logs
      - ../shared:/shared
volumes:
  pgsocket: {}
`

describe('protectedPathsFromCompose', () => {
  it('returns the writable bind-mount sources inside the repository, not read-only, named, absolute or outside ones', async () => {
    expect(await protectedPathsFromCompose([{path: 'docker-compose.yml', text: webapp}])).toEqual(['data/postgres'])
  })

  it('resolves sources against the compose file folder and reads the long syntax and bind-backed named volumes', async () => {
    const api = `services:
  api:
    image: x
    volumes:
      - type: bind
        source: ./uploads
        target: /uploads
      - type: bind
        source: ./config
        target: /config
        read_only: true
      - type: volume
        source: cache
        target: /cache
      - type: volume
        source: media
        target: /media
      - ./logs:/logs:rw,z
volumes:
  cache: {}
  media:
    driver: local
    driver_opts: {type: none, o: bind, device: ./media-files}
`
    expect(await protectedPathsFromCompose([{path: 'api/compose.yaml', text: api}])).toEqual(['api/logs', 'api/media-files', 'api/uploads'])
  })

  it('expands variables with the environment or their defaults, and stops at one it cannot resolve', async () => {
    const text = `services:
  a:
    image: x
    volumes:
      - \${DATA_DIR:-./state}/a:/a
      - ./\${ROOT}/b:/b
      - ./cache/\${TENANT}/c:/c
      - \${NAMED}:/n
`
    expect(await protectedPathsFromCompose([{path: 'docker-compose.yml', text}], {env: {ROOT: 'r', NAMED: 'somevolume'}})).toEqual(['cache', 'r/b', 'state/a'])
  })

  it('keeps only the outermost of nested sources', async () => {
    const text = 'services:\n  a:\n    image: x\n    volumes: ["./data:/d", "./data/pg:/pg", "./database:/db"]\n'
    expect(await protectedPathsFromCompose([{path: 'docker-compose.yml', text}])).toEqual(['data', 'database'])
  })

  it('refuses a writable mount of the whole repository, and a compose file that does not parse', async () => {
    const root = 'services:\n  a:\n    image: x\n    volumes: [".:/app"]\n'
    await expect(protectedPathsFromCompose([{path: 'docker-compose.yml', text: root}])).rejects.toThrow(
      "docker-compose.yml: the writable bind mount '.' would make the whole repository a data folder",
    )
    const ro = 'services:\n  a:\n    image: x\n    volumes: [".:/app:ro"]\n'
    expect(await protectedPathsFromCompose([{path: 'docker-compose.yml', text: ro}])).toEqual([])
    await expect(protectedPathsFromCompose([{path: 'docker-compose.yml', text: 'services: [\n'}])).rejects.toThrow(/does not parse/)
  })
})
