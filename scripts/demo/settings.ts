import {createHash} from 'node:crypto'
import {join} from 'node:path'

import {TRAEFIK_STANDIN_IMAGE} from '../../test/testhost/images.js'
import {InstanceLayout} from '../../test/testhost/instance.js'

export const CONTEXT = 'demo'
export const MACHINE = 'demo-1'
/** A made-up Cloudflare token: nothing talks to Cloudflare here, but rdc must treat it as the secret it would be. */
export const DEMO_TOKEN = 'demo-cf-token-0123456789abcdef'
export const EXTRA_TCP_PORTS = '25,587'
export const EXTRA_UDP_PORTS = '3478'
/** The proxy image the demo's machine runs (infra.proxyImage): a stand-in, since no Traefik image can be pulled. */
export const DEMO_PROXY_IMAGE = TRAEFIK_STANDIN_IMAGE
/** The web app's hostname in examples/webapp. */
export const HTTP_HOST = 'app.example.com'

/** The demo's own context file, under its instance's state folder: never the person's ~/.config/rediacc/config.yaml. */
export function demoConfigDir(layout: InstanceLayout): string {
  return join(layout.dir, 'rdc')
}

/** Loopback port of the demo's dnsmasq: from the instance id, so demos of several worktrees do not collide. */
export function demoDnsPort(instanceId: string): number {
  return 54_000 + (Number.parseInt(createHash('sha256').update(instanceId).digest('hex').slice(0, 6), 16) % 1000)
}
