import {describe, expect, it} from 'vitest'

import {mapLimit} from './map-limit.js'

describe('mapLimit', () => {
  it('keeps the items order in its results while they finish out of order', async () => {
    const delays = [30, 5, 20, 1, 10]
    const finished: number[] = []
    const out = await mapLimit(delays, 3, async (ms, i) => {
      await new Promise((resolve) => setTimeout(resolve, ms))
      finished.push(i)
      return ms * 2
    })
    expect(out).toEqual([60, 10, 40, 2, 20])
    expect(finished).not.toEqual([0, 1, 2, 3, 4])
  })

  it('never runs more than limit at once, and uses all of them', async () => {
    let running = 0
    let peak = 0
    await mapLimit(Array.from({length: 12}, (_, i) => i), 4, async () => {
      running++
      peak = Math.max(peak, running)
      await new Promise((resolve) => setTimeout(resolve, 5))
      running--
    })
    expect(peak).toBe(4)
  })

  it('runs one at a time for a limit below one, and returns [] for no items', async () => {
    let peak = 0
    let running = 0
    await mapLimit([1, 2, 3], 0, async () => {
      peak = Math.max(peak, ++running)
      await new Promise((resolve) => setTimeout(resolve, 1))
      running--
    })
    expect(peak).toBe(1)
    expect(await mapLimit([], 4, async () => 1)).toEqual([])
  })
})
