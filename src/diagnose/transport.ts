import type {Transport} from '../remote/transport.js'

export type {ExecResult} from '../remote/transport.js'

/**
 * The part of a Transport that diagnose uses: one exec per round trip (and close, when there is one), so the
 * SSH transport and a local one in tests both fit.
 */
export type ExecTransport = Pick<Transport, 'exec'> & Partial<Pick<Transport, 'close'>>
