// Stands in for `semver` inside dist/cli.cjs, for @oclif/core's index only (scripts/build-cli.mjs). That index
// loads semver (about 3 ms) just to warn when Node is older than oclif's engines (>=18). rdc requires Node 20
// (package.json engines; the bundle is built for node20), so on a supported Node the check always passes.
'use strict'
exports.satisfies = () => true
