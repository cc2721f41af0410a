// Replaced at bundle time by scripts/build-renet.mjs with the package version (the CLI and renet ship together).
declare const __RENET_VERSION__: string | undefined

export const RENET_VERSION: string = typeof __RENET_VERSION__ === 'string' ? __RENET_VERSION__ : 'dev'
