import {describe, expect, it} from 'vitest'

import {GUIDE_DNS_LABELS, GUIDE_MAIL_LABELS, GUIDE_POSTGRES_LABELS} from '../../../test/support/guide-labels.js'
import {LabelDecodeError, decodeTraefikLabels, traefikEnabled} from './labels.js'

const ok: Array<[string, Record<string, string>, unknown]> = [
  [
    'networking guide: web app with HSTS',
    {
      'traefik.enable': 'true',
      'traefik.http.routers.webapp.rule': 'Host(`app.example.com`)',
      'traefik.http.routers.webapp.entrypoints': 'websecure,websecure-v6',
      'traefik.http.routers.webapp.tls.certresolver': 'letsencrypt',
      'traefik.http.services.webapp.loadbalancer.server.port': '3000',
      'traefik.http.middlewares.webapp-hsts.headers.stsSeconds': '15768000',
      'traefik.http.middlewares.webapp-hsts.headers.stsIncludeSubdomains': 'true',
      'traefik.http.routers.webapp.middlewares': 'webapp-hsts',
    },
    {
      http: {
        routers: {
          webapp: {
            rule: 'Host(`app.example.com`)',
            entryPoints: ['websecure', 'websecure-v6'],
            tls: {certResolver: 'letsencrypt'},
            middlewares: ['webapp-hsts'],
          },
        },
        services: {webapp: {loadBalancer: {servers: [{port: '3000'}]}}},
        middlewares: {'webapp-hsts': {headers: {stsSeconds: 15_768_000, stsIncludeSubdomains: true}}},
      },
    },
  ],
  [
    'networking guide: HSTS with preload, buffering, two middlewares',
    {
      'traefik.http.middlewares.myapp-hsts.headers.stsSeconds': '15768000',
      'traefik.http.middlewares.myapp-hsts.headers.stsIncludeSubdomains': 'true',
      'traefik.http.middlewares.myapp-hsts.headers.stsPreload': 'true',
      'traefik.http.middlewares.myapp-buffering.buffering.maxRequestBodyBytes': '536870912',
      'traefik.http.routers.myapp.middlewares': 'myapp-hsts, myapp-buffering',
    },
    {
      http: {
        routers: {myapp: {middlewares: ['myapp-hsts', 'myapp-buffering']}},
        middlewares: {
          'myapp-hsts': {headers: {stsSeconds: 15_768_000, stsIncludeSubdomains: true, stsPreload: true}},
          'myapp-buffering': {buffering: {maxRequestBodyBytes: 536_870_912}},
        },
      },
    },
  ],
  [
    'networking guide: mail server SMTP + IMAPS passthrough',
    {...GUIDE_MAIL_LABELS},
    {
      tcp: {
        routers: {
          'mail-smtp': {entryPoints: ['tcp-25'], rule: 'HostSNI(`*`)', service: 'mail-smtp'},
          'mail-imaps': {entryPoints: ['tcp-993'], rule: 'HostSNI(`mail.example.com`)', tls: {passthrough: true}, service: 'mail-imaps'},
        },
        services: {
          'mail-smtp': {loadBalancer: {servers: [{port: '25'}]}},
          'mail-imaps': {loadBalancer: {servers: [{port: '993'}]}},
        },
      },
    },
  ],
  [
    'networking guide: plain TCP Postgres',
    {...GUIDE_POSTGRES_LABELS},
    {
      tcp: {
        routers: {mydb: {entryPoints: ['tcp-5432'], rule: 'HostSNI(`*`)'}},
        services: {mydb: {loadBalancer: {servers: [{port: '5432'}]}}},
      },
    },
  ],
  [
    'UDP DNS',
    {...GUIDE_DNS_LABELS},
    {udp: {routers: {dns: {entryPoints: ['udp-53']}}, services: {dns: {loadBalancer: {servers: [{port: '53'}]}}}}},
  ],
  [
    "Traefik's documented router labels",
    {
      'traefik.http.routers.myrouter.rule': 'Host(`example.com`)',
      'traefik.http.routers.myrouter.entrypoints': 'ep1,ep2',
      'traefik.http.routers.myrouter.middlewares': 'auth,prefix,cb',
      'traefik.http.routers.myrouter.service': 'myservice',
      'traefik.http.routers.myrouter.tls': 'true',
      'traefik.http.routers.myrouter.tls.certresolver': 'myresolver',
      'traefik.http.routers.myrouter.tls.domains[0].main': 'example.org',
      'traefik.http.routers.myrouter.tls.domains[0].sans': 'test.example.org,dev.example.org',
      'traefik.http.routers.myrouter.tls.options': 'foobar',
      'traefik.http.routers.myrouter.priority': '42',
    },
    {
      http: {
        routers: {
          myrouter: {
            rule: 'Host(`example.com`)',
            entryPoints: ['ep1', 'ep2'],
            middlewares: ['auth', 'prefix', 'cb'],
            service: 'myservice',
            tls: {certResolver: 'myresolver', domains: [{main: 'example.org', sans: ['test.example.org', 'dev.example.org']}], options: 'foobar'},
            priority: 42,
          },
        },
      },
    },
  ],
  [
    "Traefik's documented service labels",
    {
      'traefik.http.services.myservice.loadbalancer.server.port': '8080',
      'traefik.http.services.myservice.loadbalancer.server.scheme': 'http',
      'traefik.http.services.myservice.loadbalancer.passhostheader': 'true',
      'traefik.http.services.myservice.loadbalancer.healthcheck.headers.X-Foo': 'foobar',
      'traefik.http.services.myservice.loadbalancer.healthcheck.hostname': 'example.org',
      'traefik.http.services.myservice.loadbalancer.healthcheck.interval': '10s',
      'traefik.http.services.myservice.loadbalancer.healthcheck.path': '/foo',
      'traefik.http.services.myservice.loadbalancer.healthcheck.port': '42',
      'traefik.http.services.myservice.loadbalancer.healthcheck.followredirects': 'true',
      'traefik.http.services.myservice.loadbalancer.sticky.cookie': 'true',
      'traefik.http.services.myservice.loadbalancer.sticky.cookie.httponly': 'true',
      'traefik.http.services.myservice.loadbalancer.sticky.cookie.name': 'foobar',
      'traefik.http.services.myservice.loadbalancer.sticky.cookie.samesite': 'none',
      'traefik.http.services.myservice.loadbalancer.responseforwarding.flushinterval': '10',
    },
    {
      http: {
        services: {
          myservice: {
            loadBalancer: {
              servers: [{port: '8080', scheme: 'http'}],
              passHostHeader: true,
              healthCheck: {headers: {'X-Foo': 'foobar'}, hostname: 'example.org', interval: '10s', path: '/foo', port: 42, followRedirects: true},
              sticky: {cookie: {httpOnly: true, name: 'foobar', sameSite: 'none'}},
              responseForwarding: {flushInterval: '10'},
            },
          },
        },
      },
    },
  ],
  [
    "Traefik's documented middleware, TCP and UDP labels",
    {
      'traefik.http.middlewares.my-redirect.redirectscheme.scheme': 'https',
      'traefik.http.middlewares.test-auth.basicauth.users': 'test:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/,test2:$apr1$d9hr9HBB$4HxwgUir3HP4EsggP/QNo0',
      'traefik.http.middlewares.my-compress.compress': 'true',
      'traefik.tcp.routers.mytcprouter.rule': 'HostSNI(`example.com`)',
      'traefik.tcp.routers.mytcprouter.tls.passthrough': 'true',
      'traefik.tcp.services.mytcpservice.loadbalancer.server.port': '423',
      'traefik.udp.routers.myudprouter.entrypoints': 'ep1,ep2',
      'traefik.udp.routers.myudprouter.service': 'myservice',
      'traefik.udp.services.myudpservice.loadbalancer.server.port': '423',
    },
    {
      http: {
        middlewares: {
          'my-redirect': {redirectScheme: {scheme: 'https'}},
          'test-auth': {basicAuth: {users: ['test:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/', 'test2:$apr1$d9hr9HBB$4HxwgUir3HP4EsggP/QNo0']}},
          'my-compress': {compress: {}},
        },
      },
      tcp: {
        routers: {mytcprouter: {rule: 'HostSNI(`example.com`)', tls: {passthrough: true}}},
        services: {mytcpservice: {loadBalancer: {servers: [{port: '423'}]}}},
      },
      udp: {
        routers: {myudprouter: {entryPoints: ['ep1', 'ep2'], service: 'myservice'}},
        services: {myudpservice: {loadBalancer: {servers: [{port: '423'}]}}},
      },
    },
  ],
  [
    'field names match case-insensitively, router names keep their case, spellings merge',
    {
      'traefik.HTTP.Routers.Web.RULE': 'Host(`a.example.com`)',
      'traefik.http.routers.web.EntryPoints': 'websecure',
      'traefik.http.middlewares.H.Headers.CustomRequestHeaders.X-Custom': 'v',
    },
    {
      http: {
        routers: {Web: {rule: 'Host(`a.example.com`)', entryPoints: ['websecure']}},
        middlewares: {H: {headers: {customRequestHeaders: {'X-Custom': 'v'}}}},
      },
    },
  ],
  [
    'tls=true is an empty TLS block; tls=false leaves it out; a bare router is an empty router',
    {
      'traefik.http.routers.a.tls': 'true',
      'traefik.http.routers.b.tls': 'false',
      'traefik.http.routers.b.tls.certresolver': 'letsencrypt',
      'traefik.http.routers.c': 'anything',
    },
    {http: {routers: {a: {tls: {}}, b: {}, c: {}}}},
  ],
  [
    'indexed keys keep their sort order; Go booleans; labels outside the filters are ignored',
    {
      'traefik.http.routers.r.tls.domains[0].main': 'a.example.com',
      'traefik.http.routers.r.tls.domains[1].main': 'b.example.com',
      'traefik.http.middlewares.m.headers.stsPreload': 'T',
      'traefik.docker.network': 'ignored',
      'com.example.other': 'ignored',
    },
    {
      http: {
        routers: {r: {tls: {domains: [{main: 'a.example.com'}, {main: 'b.example.com'}]}}},
        middlewares: {m: {headers: {stsPreload: true}}},
      },
    },
  ],
  [
    "Traefik's documented middleware examples (headers, redirect, strip prefix, rate limit, allow list, plugin)",
    {
      'traefik.http.middlewares.testHeader.headers.customrequestheaders.X-Script-Name': 'test',
      'traefik.http.middlewares.testHeader.headers.accesscontrolallowmethods': 'GET,OPTIONS,PUT',
      'traefik.http.middlewares.testHeader.headers.accesscontrolalloworiginlist': 'https://foo.bar.org,https://example.org',
      'traefik.http.middlewares.testHeader.headers.accesscontrolmaxage': '100',
      'traefik.http.middlewares.testHeader.headers.addvaryheader': 'true',
      'traefik.http.middlewares.test-redirectregex.redirectregex.regex': '^http://localhost/(.*)',
      'traefik.http.middlewares.test-redirectregex.redirectregex.replacement': 'http://mydomain/${1}',
      'traefik.http.middlewares.test-stripprefix.stripprefix.prefixes': '/foobar,/fiibar',
      'traefik.http.middlewares.test-ratelimit.ratelimit.average': '100',
      'traefik.http.middlewares.test-ratelimit.ratelimit.burst': '200',
      'traefik.http.middlewares.test-ipallowlist.ipallowlist.sourcerange': '127.0.0.1/32, 192.168.1.7',
      'traefik.http.middlewares.my-plugin.plugin.plugindemo.Headers.X-Demo': 'test',
    },
    {
      http: {
        middlewares: {
          testHeader: {
            headers: {
              customRequestHeaders: {'X-Script-Name': 'test'},
              accessControlAllowMethods: ['GET', 'OPTIONS', 'PUT'],
              accessControlAllowOriginList: ['https://foo.bar.org', 'https://example.org'],
              accessControlMaxAge: 100,
              addVaryHeader: true,
            },
          },
          'test-redirectregex': {redirectRegex: {regex: '^http://localhost/(.*)', replacement: 'http://mydomain/${1}'}},
          'test-stripprefix': {stripPrefix: {prefixes: ['/foobar', '/fiibar']}},
          'test-ratelimit': {rateLimit: {average: 100, burst: 200}},
          'test-ipallowlist': {ipAllowList: {sourceRange: ['127.0.0.1/32', '192.168.1.7']}},
          'my-plugin': {plugin: {plugindemo: {Headers: {'X-Demo': 'test'}}}},
        },
      },
    },
  ],
  ['only traefik.enable: nothing to decode', {'traefik.enable': 'true'}, {}],
]

const errors: Array<[string, Record<string, string>, RegExp]> = [
  ['root spelled differently', {'Traefik.http.routers.a.rule': 'Host(`x`)'}, /invalid label root Traefik/],
  ['unknown field', {'traefik.http.routers.a.hostname': 'x'}, /field not found, node: hostname/],
  ['empty element', {'traefik.http.routers..rule': 'x'}, /invalid element/],
  ['leading bracket', {'traefik.http.routers.a.tls.[0].main': 'x'}, /invalid leading character/],
  ['closing bracket without opening', {'traefik.http.routers.a]': 'x'}, /invalid bracket/],
  ['not a number', {'traefik.http.routers.a.priority': 'high'}, /invalid number/],
  ['not a boolean', {'traefik.http.middlewares.m.headers.stsPreload': 'yes'}, /invalid boolean/],
  ['a value under a scalar', {'traefik.http.routers.a.rule.x': '1'}, /invalid node rule/],
  ['a struct given a value', {'traefik.http.middlewares.m.headers': 'on'}, /headers cannot be a standalone element/],
  ['TCP backend address by label', {'traefik.tcp.services.s.loadbalancer.server.address': '127.0.11.66:5432'}, /field not found, node: address/],
  ['weighted services are not label-decodable', {'traefik.http.services.s.weighted.services[0].name': 'x'}, /field not found, node: weighted/],
  ['a prefix that only looks like a filter', {'traefik.https.routers.a.rule': 'x'}, /field not found, node: https/],
]

describe('Traefik label decoding', () => {
  for (const [name, labels, expected] of ok) {
    it(name, () => {
      expect(decodeTraefikLabels(labels)).toEqual(expected)
    })
  }

  for (const [name, labels, message] of errors) {
    it(`refuses: ${name}`, () => {
      expect(() => decodeTraefikLabels(labels)).toThrow(LabelDecodeError)
      expect(() => decodeTraefikLabels(labels)).toThrow(message)
    })
  }

  it('reads traefik.enable as a Go boolean', () => {
    expect(traefikEnabled({'traefik.enable': 'true'})).toBe(true)
    expect(traefikEnabled({'traefik.enable': 'TRUE'})).toBe(true)
    expect(traefikEnabled({'traefik.enable': '0'})).toBe(false)
    expect(traefikEnabled({})).toBe(false)
    expect(() => traefikEnabled({'traefik.enable': 'yes'})).toThrow(/invalid boolean/)
  })
})
