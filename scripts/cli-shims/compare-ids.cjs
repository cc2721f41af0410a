// Orders command ids as String#localeCompare does, without ICU (used inside dist/cli.cjs by oclif's
// Plugin#load, which sorts every plugin's commands on every run; scripts/build-cli.mjs). The first
// localeCompare in a process loads ICU's collation data, about 7 ms of a 60 ms start-up.
// For ids made of lowercase letters, digits, '-' and ':' (all of rdc's and its plugins'), ICU's root
// collation compares by primary weight alone, in this order: '-' < ':' < digits < letters, a prefix first.
// Anything else falls back to localeCompare, so the order is the same for every id.
'use strict'
const RANK = '-:0123456789abcdefghijklmnopqrstuvwxyz'
const SIMPLE = /^[-:0-9a-z]*$/

function compareIds(a, b) {
  if (!SIMPLE.test(a) || !SIMPLE.test(b)) return a.localeCompare(b)
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return RANK.indexOf(a[i]) - RANK.indexOf(b[i]) < 0 ? -1 : 1
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1
}

module.exports = {compareIds}
