import type {BuildOptions} from 'esbuild'

export function renetBuildOptions(version: string, overrides?: BuildOptions): BuildOptions
