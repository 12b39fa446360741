#!/usr/bin/env bash
# Pulse agent installer for Linux and macOS, served by the hub as /install.sh.
#
#   curl -fsSL https://hub:7655/install.sh | sudo bash -s -- --url https://hub:7655 --token <token>
#
# Downloads the agent from the hub, verifies its SHA-256 against the hub's X-Checksum-Sha256 header, installs it
# as /usr/local/bin/pulse-agent with its token in /var/lib/pulse-agent/token (mode 0600, never on a command line)
# and registers a service (systemd, OpenRC, SysV init or launchd). --uninstall reverses all of it.
# Everything runs inside main(), so a partially downloaded script does nothing.

set -euo pipefail

main() {
    local action="${PULSE_DEFAULT_ACTION:-install}"
    local url="" token="" interval="30s" agent_id="" hostname_override="" kubeconfig="" proxmox_type=""
    local enable_host=true enable_docker="" enable_kubernetes="" enable_proxmox="" enable_commands=false
    local insecure=false cacert="" fingerprint="" root="" skip_service=false service_manager=auto arch_override=""
    local disable_auto_update=false
    local -a disk_excludes=() tags=()

    while [ $# -gt 0 ]; do
        local flag="$1" value=""
        case "$flag" in
            --*=*) value="${flag#*=}"; flag="${flag%%=*}"; set -- "$flag" "$value" "${@:2}" ;;
        esac
        case "$1" in
            -h|--help) usage; return 0 ;;
            --url) need_value "$@"; url="$2"; shift 2 ;;
            --token) need_value "$@"; token="$2"; shift 2 ;;
            --interval) need_value "$@"; interval="$2"; shift 2 ;;
            --agent-id) need_value "$@"; agent_id="$2"; shift 2 ;;
            --hostname) need_value "$@"; hostname_override="$2"; shift 2 ;;
            --enable-host) enable_host=true; shift ;;
            --disable-host) enable_host=false; shift ;;
            --enable-docker) enable_docker=true; shift ;;
            --disable-docker) enable_docker=false; shift ;;
            --enable-kubernetes) enable_kubernetes=true; shift ;;
            --disable-kubernetes) enable_kubernetes=false; shift ;;
            --kubeconfig) need_value "$@"; kubeconfig="$2"; enable_kubernetes=true; shift 2 ;;
            --enable-proxmox) enable_proxmox=true; shift ;;
            --disable-proxmox) enable_proxmox=false; shift ;;
            --proxmox-type) need_value "$@"; proxmox_type="$2"; shift 2 ;;
            --enable-commands) enable_commands=true; shift ;;
            --disable-auto-update) disable_auto_update=true; shift ;;
            --insecure) insecure=true; shift ;;
            --cacert) need_value "$@"; cacert="$2"; shift 2 ;;
            --fingerprint) need_value "$@"; fingerprint="$2"; shift 2 ;;
            --disk-exclude) need_value "$@"; disk_excludes+=("$2"); shift 2 ;;
            --tag) need_value "$@"; tags+=("$2"); shift 2 ;;
            --uninstall) action=uninstall; shift ;;
            --install-root) need_value "$@"; root="${2%/}"; shift 2 ;;
            --skip-service) skip_service=true; shift ;;
            --service-manager) need_value "$@"; service_manager="$2"; shift 2 ;;
            --arch) need_value "$@"; arch_override="$2"; shift 2 ;;
            *) fail "unknown option $1 (run with --help for the list)" ;;
        esac
    done

    # An install root is a staging tree, never the running system: no service manager is touched.
    if [ -n "$root" ]; then
        skip_service=true
        mkdir -p "$root"
        root="$(cd "$root" && pwd)"
    elif [ "$(id -u)" -ne 0 ]; then
        fail "run as root (for example: curl -fsSL <url>/install.sh | sudo bash -s -- …)"
    fi

    local bin_path="/usr/local/bin/pulse-agent" state_dir="/var/lib/pulse-agent"
    local os
    os="$(uname -s | tr '[:upper:]' '[:lower:]')"
    case "$os" in linux|darwin) ;; *) fail "unsupported operating system: $(uname -s)" ;; esac
    if [ "$service_manager" = auto ]; then service_manager="$(detect_service_manager "$os")"; fi
    case "$service_manager" in systemd|openrc|sysv|launchd|none) ;; *) fail "--service-manager must be systemd, openrc, sysv, launchd or none" ;; esac

    if [ "$action" = uninstall ]; then
        uninstall
        return 0
    fi

    [ -n "$url" ] || fail "--url is required (the hub's address, e.g. https://pulse.example.com:7655)"
    [ -n "$token" ] || fail "--token is required (create one in the hub: Settings → Agents, or pulse-hub token create)"
    validate_url "$url"
    url="${url%/}"
    local token_pattern='^[A-Za-z0-9._~+/=-]{16,512}$'
    [[ "$token" =~ $token_pattern ]] || fail "--token does not look like a Pulse API token"
    interval="$(normalize_interval "$interval")"
    [ -z "$agent_id" ] || [[ "$agent_id" =~ ^[A-Za-z0-9._:-]{1,128}$ ]] || fail "--agent-id may contain only letters, digits, '.', '_', ':' and '-'"
    [ -z "$hostname_override" ] || [[ "$hostname_override" =~ ^[A-Za-z0-9._-]{1,253}$ ]] || fail "--hostname is not a valid host name"
    [ -z "$kubeconfig" ] || [[ "$kubeconfig" =~ ^[A-Za-z0-9._/-]+$ ]] || fail "--kubeconfig must be a plain path"
    [ -z "$cacert" ] || [[ "$cacert" =~ ^[A-Za-z0-9._/-]+$ ]] || fail "--cacert must be a plain path"
    [ -z "$cacert" ] || [ -r "$cacert" ] || fail "--cacert $cacert is not readable"
    [ -z "$fingerprint" ] || [[ "$fingerprint" =~ ^[A-Fa-f0-9:]{64,95}$ ]] || fail "--fingerprint must be a SHA-256 fingerprint in hex"
    [ -z "$proxmox_type" ] || [[ "$proxmox_type" =~ ^(pve|pbs)$ ]] || fail "--proxmox-type must be pve or pbs"
    local pattern
    for pattern in ${disk_excludes[@]+"${disk_excludes[@]}"}; do
        [[ "$pattern" =~ ^[A-Za-z0-9_./*?-]{1,256}$ ]] || fail "--disk-exclude \"$pattern\" may contain only letters, digits and _ . / * ? -"
    done
    for pattern in ${tags[@]+"${tags[@]}"}; do
        [[ "$pattern" =~ ^[A-Za-z0-9_.:=-]{1,64}$ ]] || fail "--tag \"$pattern\" may contain only letters, digits and _ . : = -"
    done

    [ -n "$enable_docker" ] || enable_docker="$(detect_docker)"
    [ -n "$enable_kubernetes" ] || enable_kubernetes="$(detect_kubernetes)"
    [ -n "$enable_proxmox" ] || enable_proxmox="$(detect_proxmox)"

    local arch
    arch="$(detect_arch "$arch_override")"
    log "installing the Pulse agent for $os-$arch from $url"

    prepare_curl
    local work
    work="$(mktemp -d "${TMPDIR:-/tmp}/pulse-install.XXXXXX")"
    # shellcheck disable=SC2064  # expand now: $work is local to main, gone when the EXIT trap runs
    trap "rm -rf '$work'" EXIT
    download_agent "$url" "$os-$arch" "$work"
    check_magic "$work/pulse-agent" "$os"
    chmod 0755 "$work/pulse-agent"
    "$work/pulse-agent" --self-test >/dev/null 2>&1 || fail "the downloaded agent does not run on this machine (--self-test failed; it needs glibc, libcurl4 and libssl3); nothing was changed"
    local new_version
    new_version="$("$work/pulse-agent" --version 2>/dev/null | head -n 1 || true)"

    local target="$root$bin_path"
    if [ -x "$target" ]; then
        log "upgrading $("$target" --version 2>/dev/null | head -n 1 || echo "an unknown version") to ${new_version:-the version the hub serves}"
        service_stop
    fi
    mkdir -p "$(dirname "$target")"
    cp "$work/pulse-agent" "$target.new"
    chmod 0755 "$target.new"
    mv -f "$target.new" "$target"
    if command -v restorecon >/dev/null 2>&1 && [ -z "$root" ]; then restorecon "$target" >/dev/null 2>&1 || true; fi

    mkdir -p "$root$state_dir"
    chmod 0700 "$root$state_dir"
    (umask 077 && printf '%s\n' "$token" > "$root$state_dir/token.new")
    chmod 0600 "$root$state_dir/token.new"
    mv -f "$root$state_dir/token.new" "$root$state_dir/token"
    (umask 077 && printf 'url=%s\n' "$url" > "$root$state_dir/install.conf")
    if [ -n "$agent_id" ]; then
        printf '%s\n' "$agent_id" > "$root$state_dir/agent-id"
    fi

    local -a args=(--url "$url" --interval "$interval")
    [ "$enable_host" = true ] || args+=(--enable-host=false)
    [ "$enable_docker" != true ] || args+=(--enable-docker)
    [ "$enable_kubernetes" != true ] || args+=(--enable-kubernetes)
    [ -z "$kubeconfig" ] || args+=(--kubeconfig "$kubeconfig")
    [ "$enable_proxmox" != true ] || args+=(--enable-proxmox)
    [ -z "$proxmox_type" ] || args+=(--proxmox-type "$proxmox_type")
    [ "$enable_commands" != true ] || args+=(--enable-commands)
    [ "$disable_auto_update" != true ] || args+=(--disable-auto-update)
    [ "$insecure" != true ] || args+=(--insecure)
    [ -z "$cacert" ] || args+=(--cacert "$cacert")
    [ -z "$fingerprint" ] || args+=(--fingerprint "$fingerprint")
    [ -z "$agent_id" ] || args+=(--agent-id "$agent_id")
    [ -z "$hostname_override" ] || args+=(--hostname "$hostname_override")
    for pattern in ${disk_excludes[@]+"${disk_excludes[@]}"}; do args+=(--disk-exclude "$pattern"); done
    for pattern in ${tags[@]+"${tags[@]}"}; do args+=(--tag "$pattern"); done

    remove_legacy
    write_service "${args[@]}"
    service_start
    log "installed ${new_version:-the Pulse agent} ($service_manager$([ "$skip_service" = true ] && echo ", not started"))"
    if [ "$skip_service" != true ]; then
        persist_host_id
        log "it reports to $url every $interval; check it with: $(status_hint)"
    fi
}

# Once the agent has reported, remembers the hub's id for this host, so --uninstall finds it even after a rename.
persist_host_id() {
    [ -z "$agent_id" ] || return 0
    local headers response host_id
    headers="$(mktemp "${TMPDIR:-/tmp}/pulse-headers.XXXXXX")"
    printf 'X-API-Token: %s\n' "$token" > "$headers"
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        response="$(curl "${CURL_OPTS[@]}" --header @"$headers" "$url/api/agents/host/lookup?hostname=${hostname_override:-$(hostname)}" 2>/dev/null || true)"
        host_id="$(printf '%s' "$response" | sed -n 's/.*"host":{[^}]*"id":"\([^"]*\)".*/\1/p' | head -n 1)"
        if [ -n "$host_id" ]; then
            printf '%s\n' "$host_id" > "$root$state_dir/agent-id"
            break
        fi
        sleep 1.5
    done
    rm -f "$headers"
}

usage() {
    cat <<'EOF'
Usage: install.sh --url URL --token TOKEN [options]
       install.sh --uninstall [--url URL --token TOKEN]

Installs the Pulse agent as a service. Options:
  --url URL                 The hub's address (http:// or https://). Required.
  --token TOKEN             An API token with the host-agent:report scope. Required. Stored in
                            /var/lib/pulse-agent/token (mode 0600), never on a command line.
  --interval N[s|m|h]       Report interval (default 30s; a bare number means seconds).
  --agent-id ID             Override the agent id (default: the machine id).
  --hostname NAME           Override the reported host name.
  --enable-host/--disable-host, --enable-docker/--disable-docker, --enable-kubernetes/--disable-kubernetes,
  --enable-proxmox/--disable-proxmox
                            Modules (Docker, Kubernetes and Proxmox are detected when not given).
  --kubeconfig PATH         Kubeconfig for the Kubernetes module (implies --enable-kubernetes).
  --proxmox-type pve|pbs    Proxmox product.
  --enable-commands         Allow commands from the hub.
  --disable-auto-update     Do not let the agent update itself from the hub.
  --insecure                Skip TLS verification (prefer --cacert or --fingerprint).
  --cacert PATH             CA bundle for the hub's certificate.
  --fingerprint SHA256      Pin the hub's certificate.
  --disk-exclude PATTERN    Exclude mounts/devices (repeatable).
  --tag TAG                 Tag this host (repeatable).
  --uninstall               Stop and remove the agent, and tell the hub (with --url/--token or the saved ones).
  --service-manager NAME    systemd, openrc, sysv, launchd or none (default: detected).
  --skip-service            Write the service definition but do not enable, start or stop anything.
  --install-root DIR        Install into DIR as if it were / (a staging tree; implies --skip-service).
  --arch ARCH               Override the detected architecture (amd64, arm64, armv7, armv6, 386).
  -h, --help                Show this help.
EOF
}

log() { printf 'pulse-install: %s\n' "$*" >&2; }
fail() { printf 'pulse-install: error: %s\n' "$*" >&2; exit 1; }
need_value() { [ $# -ge 2 ] && [ -n "$2" ] || fail "$1 needs a value"; }

validate_url() {
    local pattern='^https?://[][A-Za-z0-9.:_~%/-]+$'
    [[ "$1" =~ $pattern ]] || fail "--url must start with http:// or https:// and contain no spaces or quotes (got: $1)"
}

# N, Ns, Nm or Nh → a duration the agent accepts.
normalize_interval() {
    local value="$1"
    if [[ "$value" =~ ^[0-9]+$ ]]; then value="${value}s"; fi
    [[ "$value" =~ ^[0-9]+(s|m|h)$ ]] || fail "--interval must be a number with an optional s, m or h (got: $1)"
    local number="${value%?}"
    [ "$number" -gt 0 ] || fail "--interval must be above zero"
    printf '%s' "$value"
}

detect_arch() {
    local machine="${1:-$(uname -m)}"
    case "$machine" in
        x86_64|amd64) echo amd64 ;;
        aarch64|arm64) echo arm64 ;;
        armv7l|armv7|armhf) echo armv7 ;;
        armv6l|armv6) echo armv6 ;;
        i386|i686|386) echo 386 ;;
        *) fail "unsupported architecture: $machine" ;;
    esac
}

detect_service_manager() {
    if [ "$1" = darwin ]; then echo launchd; return; fi
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then echo systemd; return; fi
    if command -v rc-service >/dev/null 2>&1 && command -v openrc-run >/dev/null 2>&1; then echo openrc; return; fi
    if [ -d /etc/init.d ]; then echo sysv; return; fi
    echo none
}

detect_docker() {
    if command -v docker >/dev/null 2>&1 && timeout 5 docker info >/dev/null 2>&1; then echo true; return; fi
    if command -v podman >/dev/null 2>&1 && timeout 5 podman info >/dev/null 2>&1; then echo true; return; fi
    echo false
}

detect_kubernetes() {
    if [ -r /var/run/secrets/kubernetes.io/serviceaccount/token ]; then echo true; return; fi
    if command -v kubectl >/dev/null 2>&1 && timeout 3 kubectl cluster-info >/dev/null 2>&1; then echo true; return; fi
    echo false
}

detect_proxmox() {
    if [ -d /etc/pve ] || [ -d /etc/proxmox-backup ] || command -v pveversion >/dev/null 2>&1; then echo true; else echo false; fi
}

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null 2>&1; then shasum -a 256 "$1" | cut -d' ' -f1
    elif command -v openssl >/dev/null 2>&1; then openssl dgst -sha256 -r "$1" | cut -d' ' -f1
    else fail "no sha256sum, shasum or openssl to verify the download with"; fi
}

# Sets CURL_OPTS: timeouts, http(s) only, and the TLS choice. With --fingerprint, the hub's certificate is fetched,
# its SHA-256 compared with the fingerprint, and curl pinned to that certificate's public key.
CURL_OPTS=()
prepare_curl() {
    CURL_OPTS=(--silent --show-error --connect-timeout 30 --max-time 300 --proto '=http,https')
    [ "$insecure" != true ] || CURL_OPTS+=(--insecure)
    [ -z "$cacert" ] || CURL_OPTS+=(--cacert "$cacert")
    if [ -n "$fingerprint" ] && [[ "$url" == https://* ]]; then
        command -v openssl >/dev/null 2>&1 || fail "--fingerprint needs openssl to check the hub's certificate"
        local authority="${url#https://}"
        authority="${authority%%/*}"
        [[ "$authority" == *:* ]] || authority="$authority:443"
        local pem actual pin
        pem="$(openssl s_client -connect "$authority" -servername "${authority%:*}" </dev/null 2>/dev/null | openssl x509 2>/dev/null)" \
            || fail "cannot read the TLS certificate of $authority"
        actual="$(printf '%s\n' "$pem" | openssl x509 -noout -fingerprint -sha256 | cut -d= -f2 | tr -d ':' | tr 'A-F' 'a-f')"
        [ "$actual" = "$(printf '%s' "$fingerprint" | tr -d ':' | tr 'A-F' 'a-f')" ] \
            || fail "the hub's certificate fingerprint is $actual, not the --fingerprint given; refusing to continue"
        pin="$(printf '%s\n' "$pem" | openssl x509 -noout -pubkey | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | openssl base64)"
        CURL_OPTS+=(--insecure --pinnedpubkey "sha256//$pin")
    fi
}

# Downloads the agent and refuses it unless X-Checksum-Sha256 is present and matches.
download_agent() {
    local base="$1" arch="$2" work="$3"
    local status
    status="$(curl "${CURL_OPTS[@]}" --dump-header "$work/headers" --output "$work/pulse-agent" --write-out '%{http_code}' \
        "$base/download/pulse-agent?arch=$arch")" || fail "cannot reach $base to download the agent (check --url, the network and TLS options)"
    if [ "$status" != 200 ]; then
        local detail
        detail="$(head -c 600 "$work/pulse-agent" 2>/dev/null | tr -d '\r' || true)"
        fail "the hub answered $status for the $arch agent: $detail"
    fi
    [ -s "$work/pulse-agent" ] || fail "the hub sent an empty agent binary"
    local expected actual
    expected="$(tr -d '\r' < "$work/headers" | awk 'tolower($1) == "x-checksum-sha256:" { value = $2 } END { print tolower(value) }')"
    [[ "$expected" =~ ^[0-9a-f]{64}$ ]] || fail "the hub did not send an X-Checksum-Sha256 header; refusing an unverified binary"
    actual="$(sha256_of "$work/pulse-agent")"
    [ "$actual" = "$expected" ] || fail "checksum mismatch: the hub announced $expected but the download is $actual; refusing it"
    log "downloaded $(wc -c < "$work/pulse-agent" | tr -d ' ') bytes, SHA-256 verified"
}

check_magic() {
    local magic
    magic="$(head -c 4 "$1" | od -An -tx1 | tr -d ' \n')"
    case "$2:$magic" in
        linux:7f454c46) ;;
        darwin:cffaedfe|darwin:cefaedfe|darwin:cafebabe) ;;
        *) fail "the download is not a $2 executable (magic $magic); refusing it" ;;
    esac
}

# Quotes one argument for a systemd ExecStart line.
systemd_quote() {
    local value="${1//\\/\\\\}"
    value="${value//\"/\\\"}"
    value="${value//%/%%}"
    value="${value//\$/\$\$}"
    printf '"%s"' "$value"
}

# Quotes one argument for a POSIX shell.
shell_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

write_service() {
    local -a args=("$@")
    local joined="" arg
    case "$service_manager" in
        systemd)
            for arg in "${args[@]}"; do joined+=" $(systemd_quote "$arg")"; done
            mkdir -p "$root/etc/systemd/system"
            cat > "$root/etc/systemd/system/pulse-agent.service" <<EOF
[Unit]
Description=Pulse monitoring agent
Documentation=https://github.com/rcourtman/Pulse
After=network-online.target docker.service
Wants=network-online.target
StartLimitIntervalSec=0

[Service]
Type=notify
NotifyAccess=main
ExecStart=$bin_path$joined
Restart=always
RestartSec=5s
TimeoutStopSec=20s
User=root
NoNewPrivileges=yes
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
EOF
            ;;
        openrc)
            for arg in "${args[@]}"; do joined+=" $(shell_quote "$arg")"; done
            mkdir -p "$root/etc/init.d"
            cat > "$root/etc/init.d/pulse-agent" <<EOF
#!/sbin/openrc-run
name="pulse-agent"
description="Pulse monitoring agent"
command="$bin_path"
command_args="$joined"
command_background=true
pidfile="/run/pulse-agent.pid"
output_log="/var/log/pulse-agent.log"
error_log="/var/log/pulse-agent.log"

depend() {
    need net
    use docker
}
EOF
            chmod 0755 "$root/etc/init.d/pulse-agent"
            ;;
        sysv)
            for arg in "${args[@]}"; do joined+=" $(shell_quote "$arg")"; done
            mkdir -p "$root/etc/init.d"
            cat > "$root/etc/init.d/pulse-agent" <<EOF
#!/bin/sh
### BEGIN INIT INFO
# Provides:          pulse-agent
# Required-Start:    \$network \$remote_fs
# Required-Stop:     \$network \$remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: Pulse monitoring agent
### END INIT INFO
BIN="$bin_path"
PIDFILE=/var/run/pulse-agent.pid
LOG=/var/log/pulse-agent.log

running() {
    [ -f "\$PIDFILE" ] || return 1
    pid=\$(cat "\$PIDFILE")
    [ -n "\$pid" ] && [ "\$(readlink /proc/\$pid/exe 2>/dev/null)" = "\$BIN" ]
}

case "\$1" in
    start)
        running && { echo "pulse-agent is running"; exit 0; }
        nohup "\$BIN"$joined >>"\$LOG" 2>&1 &
        echo \$! > "\$PIDFILE"
        ;;
    stop)
        if running; then
            kill "\$(cat "\$PIDFILE")"
            for _ in 1 2 3 4 5 6 7 8 9 10; do running || break; sleep 1; done
        fi
        rm -f "\$PIDFILE"
        ;;
    restart) "\$0" stop; "\$0" start ;;
    status) if running; then echo "pulse-agent is running"; else echo "pulse-agent is stopped"; exit 3; fi ;;
    *) echo "Usage: \$0 {start|stop|restart|status}"; exit 2 ;;
esac
EOF
            chmod 0755 "$root/etc/init.d/pulse-agent"
            ;;
        launchd)
            mkdir -p "$root/Library/LaunchDaemons"
            {
                printf '<?xml version="1.0" encoding="UTF-8"?>\n'
                printf '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
                printf '<plist version="1.0">\n<dict>\n  <key>Label</key><string>com.pulse.agent</string>\n'
                printf '  <key>ProgramArguments</key>\n  <array>\n    <string>%s</string>\n' "$bin_path"
                for arg in "${args[@]}"; do printf '    <string>%s</string>\n' "$(xml_escape "$arg")"; done
                printf '  </array>\n  <key>RunAtLoad</key><true/>\n  <key>KeepAlive</key><true/>\n'
                printf '  <key>StandardOutPath</key><string>/var/log/pulse-agent.log</string>\n'
                printf '  <key>StandardErrorPath</key><string>/var/log/pulse-agent.log</string>\n</dict>\n</plist>\n'
            } > "$root/Library/LaunchDaemons/com.pulse.agent.plist"
            ;;
        none) log "no service manager: start it yourself with $bin_path ${args[*]}" ;;
    esac
}

service_start() {
    [ "$skip_service" != true ] || return 0
    case "$service_manager" in
        systemd) systemctl daemon-reload && systemctl enable pulse-agent >/dev/null 2>&1 && systemctl restart pulse-agent ;;
        openrc) rc-update add pulse-agent default >/dev/null 2>&1 || true; rc-service pulse-agent restart ;;
        sysv)
            if command -v update-rc.d >/dev/null 2>&1; then update-rc.d pulse-agent defaults >/dev/null 2>&1 || true
            elif command -v chkconfig >/dev/null 2>&1; then chkconfig --add pulse-agent >/dev/null 2>&1 || true; fi
            /etc/init.d/pulse-agent restart ;;
        launchd)
            launchctl bootout system/com.pulse.agent >/dev/null 2>&1 || true
            launchctl bootstrap system /Library/LaunchDaemons/com.pulse.agent.plist ;;
        none) ;;
    esac
}

# Stops the agent through its service manager (never a broad pkill).
service_stop() {
    [ "$skip_service" != true ] || return 0
    case "$service_manager" in
        systemd) systemctl stop pulse-agent >/dev/null 2>&1 || true ;;
        openrc) rc-service pulse-agent stop >/dev/null 2>&1 || true ;;
        sysv) [ ! -x /etc/init.d/pulse-agent ] || /etc/init.d/pulse-agent stop >/dev/null 2>&1 || true ;;
        launchd) launchctl bootout system/com.pulse.agent >/dev/null 2>&1 || true ;;
        none) stop_by_pidfile ;;
    esac
}

# Stops an agent recorded in a PID file, after checking the PID really is our binary.
stop_by_pidfile() {
    local file pid
    for file in /run/pulse-agent.pid /var/run/pulse-agent.pid; do
        [ -f "$root$file" ] || continue
        pid="$(cat "$root$file" 2>/dev/null || true)"
        if [[ "$pid" =~ ^[0-9]+$ ]] && [ "$(readlink "/proc/$pid/exe" 2>/dev/null || true)" = "$root$bin_path" ]; then
            kill "$pid" 2>/dev/null || true
        fi
        rm -f "$root$file"
    done
}

status_hint() {
    case "$service_manager" in
        systemd) echo "systemctl status pulse-agent; journalctl -u pulse-agent" ;;
        openrc) echo "rc-service pulse-agent status; /var/log/pulse-agent.log" ;;
        sysv) echo "/etc/init.d/pulse-agent status; /var/log/pulse-agent.log" ;;
        launchd) echo "launchctl print system/com.pulse.agent; /var/log/pulse-agent.log" ;;
        *) echo "the agent's output" ;;
    esac
}

xml_escape() {
    local value="${1//&/&amp;}"
    value="${value//</&lt;}"
    value="${value//>/&gt;}"
    printf '%s' "$value"
}

# The pre-unified agents' services, if an old install left them.
remove_legacy() {
    local name
    for name in pulse-host-agent pulse-docker-agent; do
        if [ -f "$root/etc/systemd/system/$name.service" ]; then
            if [ "$skip_service" != true ]; then systemctl disable --now "$name" >/dev/null 2>&1 || true; fi
            rm -f "$root/etc/systemd/system/$name.service"
            log "removed the legacy $name service"
        fi
        rm -f "$root/usr/local/bin/$name"
    done
}

uninstall() {
    local state="$root$state_dir"
    [ -n "$url" ] || url="$(sed -n 's/^url=//p' "$state/install.conf" 2>/dev/null | head -n 1 || true)"
    [ -n "$token" ] || token="$(head -n 1 "$state/token" 2>/dev/null || true)"
    if [ -n "$url" ] && [ -n "$token" ]; then
        validate_url "$url"
        url="${url%/}"
        prepare_curl
        notify_hub || log "could not tell the hub; remove the host there if it still shows"
    else
        log "no hub URL or token known; the host stays listed in the hub until removed there"
    fi
    service_stop
    if [ "$skip_service" != true ]; then
        case "$service_manager" in
            systemd) systemctl disable pulse-agent >/dev/null 2>&1 || true ;;
            openrc) rc-update del pulse-agent default >/dev/null 2>&1 || true ;;
            sysv)
                if command -v update-rc.d >/dev/null 2>&1; then update-rc.d -f pulse-agent remove >/dev/null 2>&1 || true
                elif command -v chkconfig >/dev/null 2>&1; then chkconfig --del pulse-agent >/dev/null 2>&1 || true; fi ;;
            *) ;;
        esac
    fi
    rm -f "$root/etc/systemd/system/pulse-agent.service" "$root/etc/init.d/pulse-agent" \
          "$root/Library/LaunchDaemons/com.pulse.agent.plist" "$root$bin_path" "$root$bin_path.backup" \
          "$root/var/log/pulse-agent.log"
    if [ "$skip_service" != true ] && [ "$service_manager" = systemd ]; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
    remove_legacy
    rm -rf "$state"
    log "the Pulse agent is uninstalled"
}

# Finds this host in the hub (saved agent id, then host name) and unregisters it. The token goes in a header
# read from a private file, so it never appears in a process list.
notify_hub() {
    local work headers host_id="" query response
    work="$(mktemp -d "${TMPDIR:-/tmp}/pulse-uninstall.XXXXXX")"
    headers="$work/headers"
    (umask 077 && printf 'X-API-Token: %s\n' "$token" > "$headers")
    local saved_id=""
    saved_id="$(head -n 1 "$root$state_dir/agent-id" 2>/dev/null || true)"
    for query in ${saved_id:+"id=$saved_id"} "hostname=$(hostname)"; do
        response="$(curl "${CURL_OPTS[@]}" --header @"$headers" "$url/api/agents/host/lookup?$query" 2>/dev/null || true)"
        host_id="$(printf '%s' "$response" | sed -n 's/.*"host":{[^}]*"id":"\([^"]*\)".*/\1/p' | head -n 1)"
        [ -z "$host_id" ] || break
    done
    if [ -z "$host_id" ]; then
        rm -rf "$work"
        log "the hub does not list this host"
        return 0
    fi
    local status
    status="$(curl "${CURL_OPTS[@]}" --header @"$headers" --header 'Content-Type: application/json' --output /dev/null \
        --write-out '%{http_code}' --data "{\"hostId\":\"$host_id\"}" "$url/api/agents/host/uninstall" || true)"
    rm -rf "$work"
    [ "$status" = 200 ] || return 1
    log "the hub removed host $host_id"
}

main "$@"
