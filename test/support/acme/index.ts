/** The ACME lab's entry point: see README.md in this folder. */
export {startAcmeLab, type AcmeLab, type AcmeLabOptions, type CfRecord, type DnsStandinCall, type DnsStandinRecord, type FrontQuery} from './lab.js'
export {queryDns, TYPE, RCODE, typeName, rcodeName, type DnsMessage} from './dns-wire.js'
