import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {interpolationEnv, parseDotenv, readDotenv} from './dotenv.js'

describe('parseDotenv', () => {
  it('reads KEY=VALUE lines as python-dotenv does for docker-compose 1.29', () => {
    const text = [
      '# comment',
      '',
      'UPLOAD_LOCATION=./library',
      'export DB_DATA_LOCATION = ./postgres',
      "SINGLE='a $b # c'",
      'DOUBLE="x\\ny \\"q\\""',
      'TRAILING=value # a comment',
      'EMPTY=',
      'not a line',
    ].join('\n')
    expect(parseDotenv(text)).toEqual({
      UPLOAD_LOCATION: './library',
      DB_DATA_LOCATION: './postgres',
      SINGLE: 'a $b # c',
      DOUBLE: 'x\ny "q"',
      TRAILING: 'value',
      EMPTY: '',
    })
  })

  it('lets the environment win over the file, and a missing file is no variables', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rdc-dotenv-'))
    try {
      expect(readDotenv(dir)).toEqual({})
      writeFileSync(join(dir, '.env'), 'A=file\nB=file\n')
      expect(interpolationEnv(dir, {B: 'env', C: undefined})).toEqual({A: 'file', B: 'env'})
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
