/**
 * Validates a piece of dynamic configuration against Traefik's file-provider schema before it is served, so a
 * label set that decodes but makes an invalid configuration skips only its container. Compiled on first use.
 */
import AjvModule from 'ajv'

import schema from './traefik-dynamic.schema.json'

type Validator = ((data: unknown) => boolean) & {errors?: Array<{instancePath: string; message?: string}> | null}

let validator: Validator | undefined

function compile(): Validator {
  const Ajv = ((AjvModule as unknown as {default?: unknown}).default ?? AjvModule) as new (options: object) => {
    compile(schema: object): Validator
  }
  const ajv = new Ajv({allowUnionTypes: true, strict: false, allErrors: false})
  return ajv.compile(schema as object)
}

/** Null when valid, else the first error as `path: message`. */
export function schemaError(config: unknown): string | null {
  validator ??= compile()
  if (validator(config)) return null
  const e = validator.errors?.[0]
  return e ? `${e.instancePath || '/'}: ${e.message ?? 'invalid'}` : 'invalid configuration'
}
