import {describe, expect, it} from 'vitest'

import {checkText, differs} from './check.js'
import type {MachinePushResult} from './run.js'

const base: MachinePushResult = {machine: 'm1', status: 'planned', files: [], services: {}, filesUploaded: 0, bytesUploaded: 0, durationMs: 1}
const file = (action: MachinePushResult['files'][number]['action']) => ({path: '/opt/rediacc/proxy/traefik.yml', action, role: 'proxy', bytes: 1})

describe('push-infra --check', () => {
  it('a machine differs when a file would be created or changed, or a service acted on', () => {
    expect(differs({...base, files: [file('unchanged'), file('kept')]})).toBe(false)
    expect(differs({...base, files: [file('update')]})).toBe(true)
    expect(differs({...base, files: [file('create')]})).toBe(true)
    expect(differs({...base, services: {proxy: 'container not running (false)'}})).toBe(true)
    expect(differs({...base, status: 'failed'})).toBe(false)
  })

  it('says a matching machine matches, and shows the diff of one that differs', () => {
    const text = checkText({ok: true, dryRun: true, machines: [base, {...base, machine: 'm2', files: [file('update')], diff: '--- a\n+++ b\n-# edited\n'}]})
    expect(text).toContain('m1: matches what a push would make')
    expect(text).toContain('== m2\n  ~ /opt/rediacc/proxy/traefik.yml')
    expect(text).toContain('-# edited')
  })
})
