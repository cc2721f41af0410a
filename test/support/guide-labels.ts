/**
 * Label sets from the networking guide's examples, as a user writes them in a compose file. The label decoder's
 * and the route builder's tests both start from them, so each checks the guide's own words.
 */
export const GUIDE_MAIL_LABELS: Readonly<Record<string, string>> = {
  'traefik.enable': 'true',
  'traefik.tcp.routers.mail-smtp.entrypoints': 'tcp-25',
  'traefik.tcp.routers.mail-smtp.rule': 'HostSNI(`*`)',
  'traefik.tcp.routers.mail-smtp.service': 'mail-smtp',
  'traefik.tcp.services.mail-smtp.loadbalancer.server.port': '25',
  'traefik.tcp.routers.mail-imaps.entrypoints': 'tcp-993',
  'traefik.tcp.routers.mail-imaps.rule': 'HostSNI(`mail.example.com`)',
  'traefik.tcp.routers.mail-imaps.tls.passthrough': 'true',
  'traefik.tcp.routers.mail-imaps.service': 'mail-imaps',
  'traefik.tcp.services.mail-imaps.loadbalancer.server.port': '993',
}

export const GUIDE_POSTGRES_LABELS: Readonly<Record<string, string>> = {
  'traefik.enable': 'true',
  'traefik.tcp.routers.mydb.entrypoints': 'tcp-5432',
  'traefik.tcp.routers.mydb.rule': 'HostSNI(`*`)',
  'traefik.tcp.services.mydb.loadbalancer.server.port': '5432',
}

export const GUIDE_DNS_LABELS: Readonly<Record<string, string>> = {
  'traefik.enable': 'true',
  'traefik.udp.routers.dns.entrypoints': 'udp-53',
  'traefik.udp.services.dns.loadbalancer.server.port': '53',
}
