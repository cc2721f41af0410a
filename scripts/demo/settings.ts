import {join} from 'node:path'

import {InstanceLayout} from '../../test/testhost/instance.js'

export const CONTEXT = 'demo'
export const MACHINE = 'demo-1'
/** A made-up Cloudflare token: the Cloudflare API stand-in accepts only it, and rdc must treat it as the secret it is. */
export const DEMO_TOKEN = 'demo-cf-token-0123456789abcdef'
export const EXTRA_TCP_PORTS = '25,587'
export const EXTRA_UDP_PORTS = '3478'
/** The zone the demo's machine serves (its base domain), held by the Cloudflare API stand-in. */
export const ZONE = 'example.com'
/** The web app's hostname in examples/webapp. */
export const HTTP_HOST = 'app.example.com'

/** The demo's own context file, under its instance's state folder: never the person's ~/.config/rediacc/config.yaml. */
export function demoConfigDir(layout: InstanceLayout): string {
  return join(layout.dir, 'rdc')
}
