import {inspect} from 'node:util'

export const MASK = '***'

/**
 * A secret value. It prints as *** through every channel a value can leak by accident (String(), template
 * literals, JSON.stringify, util.inspect / console.log); only reveal() gives the real value, so every place that
 * does is easy to find.
 */
export class Secret {
  readonly #value: string

  constructor(value: string) {
    this.#value = value
  }

  reveal(): string {
    return this.#value
  }

  toString(): string {
    return MASK
  }

  toJSON(): string {
    return MASK
  }

  [inspect.custom](): string {
    return MASK
  }
}
