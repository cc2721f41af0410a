import {describe, expect, it} from 'vitest'

import {UsageError} from '../../errors.js'
import {checkServiceNames, repositoryEnv, serviceIpEnv} from './environment.js'

describe('service environment', () => {
  it('names each {SERVICE}_IP after its service and gives it the slot IP', () => {
    const env = serviceIpEnv(2816, new Map([['postgres', 0], ['webapp', 1], ['listmonk-app', 2], ['my.cache', 60]]))
    expect(env).toEqual({POSTGRES_IP: '127.0.11.2', WEBAPP_IP: '127.0.11.3', LISTMONK_APP_IP: '127.0.11.4', MY_CACHE_IP: '127.0.11.62'})
    expect(serviceIpEnv(2880, new Map([['webapp', 1]]))).toEqual({WEBAPP_IP: '127.0.11.67'})
  })

  it('refuses names that cannot be a variable and names that collide', () => {
    expect(() => checkServiceNames(['webapp', '1st'], () => 'compose.yml')).toThrow(/compose.yml: service name '1st' cannot become an environment variable/)
    expect(() => checkServiceNames(['my-app', 'my_app'], () => 'compose.yml')).toThrow(/'my-app' and 'my_app' would both be MY_APP_IP/)
    expect(() => checkServiceNames(['a+b'], () => 'f')).toThrow(UsageError)
    expect(() => checkServiceNames(['web-app', 'db', '_x'], () => 'f')).not.toThrow()
  })

  it('exports the repository variables', () => {
    expect(repositoryEnv({path: '/mnt/rediacc/repos/app', name: 'app', networkId: 2880, dockerHost: 'unix:///var/run/rediacc/docker-2880.sock'})).toEqual({
      REPOSITORY_PATH: '/mnt/rediacc/repos/app',
      REPOSITORY_NAME: 'app',
      REPOSITORY_NETWORK_ID: '2880',
      DOCKER_HOST: 'unix:///var/run/rediacc/docker-2880.sock',
    })
  })
})
