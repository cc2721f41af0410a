import {
  daemonConfigPath,
  daemonDockerHost,
  DOCKER_DATA_DIR,
  DOCKER_UNIT_TEMPLATE_PATH,
  MANAGED_HEADER,
  RENET_LAUNCHER_PATH,
  ROUTER_ADDRESS,
  ROUTER_CONFIG_PATH,
  ROUTER_STATE_DIR,
  ROUTER_UNIT_PATH,
  SOCKET_DIR,
} from '../../layout/server.js'
import type {RenderedFile} from './rendered-file.js'

/** systemd's RuntimeDirectory= is relative to /run; /var/run is a link to it on every systemd distribution. */
const RUNTIME_DIR_NAME = SOCKET_DIR.replace(/^\/var\/run\//, '')
const STATE_DIR_NAME = ROUTER_STATE_DIR.replace(/^\/var\/lib\//, '')

export function renderRouterUnit(): string {
  return `# ${MANAGED_HEADER}
[Unit]
Description=rediacc route server (Traefik HTTP provider on ${ROUTER_ADDRESS})
After=network-online.target
Wants=network-online.target
# At boot the route server comes up before docker.service restarts the proxy, so Traefik's first polls find it
# answering (503 until the enabled repository daemons have answered: Traefik keeps its configuration meanwhile).
Before=docker.service

[Service]
Type=simple
ExecStart=${RENET_LAUNCHER_PATH} router --config ${ROUTER_CONFIG_PATH}
Restart=always
RestartSec=2
# The per-repository daemons' sockets live here; Preserve keeps them when this unit stops. Connecting to a
# unix socket is allowed on the read-only view ProtectSystem gives, so the router needs no write access there.
RuntimeDirectory=${RUNTIME_DIR_NAME}
RuntimeDirectoryPreserve=yes
# Dynamic port allocations (ports.json) survive restarts here; the only writable place.
StateDirectory=${STATE_DIR_NAME}
ReadWritePaths=${ROUTER_STATE_DIR}
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RestrictRealtime=yes
# Node's JIT needs writable executable memory, so no MemoryDenyWriteExecute.
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6

[Install]
WantedBy=multi-user.target
`
}

export function renderDockerUnitTemplate(): string {
  return `# ${MANAGED_HEADER}
[Unit]
Description=rediacc Docker daemon for network %i
After=network-online.target
Wants=network-online.target

[Service]
Type=notify
# The repository's own bridge, address pool (a /22 of 10.64.0.0/10 from its network id) and the NAT, forwarding
# and isolation rules for it; dockerd reads the bridge and pool from the file net up writes. --iptables=false: several
# dockerd would rewrite each other's DOCKER chains, so the rules are renet's. Removed again when the daemon stops.
ExecStartPre=${RENET_LAUNCHER_PATH} net up %i
# A bare name: systemd searches its executable path, and dockerd is /usr/bin on Docker CE, /usr/sbin on Debian.
ExecStart=dockerd --host ${daemonDockerHost('%i')} --data-root ${DOCKER_DATA_DIR}/%i --exec-root ${SOCKET_DIR}/exec-%i --pidfile ${SOCKET_DIR}/docker-%i.pid --config-file ${daemonConfigPath('%i')} --iptables=false
ExecStopPost=-${RENET_LAUNCHER_PATH} net down %i
ExecReload=/bin/kill -s HUP $MAINPID
RuntimeDirectory=${RUNTIME_DIR_NAME}
RuntimeDirectoryPreserve=yes
Restart=always
RestartSec=2
TimeoutStartSec=120
# Containers run as children of this daemon's containerd: stop only dockerd, as docker.service does.
KillMode=process
Delegate=yes
LimitNOFILE=infinity
LimitNPROC=infinity
TasksMax=infinity

[Install]
WantedBy=multi-user.target
`
}

export function renderUnitFiles(): RenderedFile[] {
  return [
    {path: ROUTER_UNIT_PATH, content: renderRouterUnit(), mode: 0o644, role: 'units'},
    {path: DOCKER_UNIT_TEMPLATE_PATH, content: renderDockerUnitTemplate(), mode: 0o644, role: 'units'},
  ]
}
