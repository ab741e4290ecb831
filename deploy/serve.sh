#!/usr/bin/env bash
# Serve nnviz to a class: K `streamlit run app.py` processes on loopback ports behind nginx.
#
#   deploy/serve.sh                      # K = number of cores, http://127.0.0.1:8080
#   deploy/serve.sh -k 4 --listen 0.0.0.0:8080 --app-port 8501
#   deploy/serve.sh --check              # write the nginx configuration, `nginx -t` it, exit
#
# The app processes listen on 127.0.0.1:APP_PORT ... APP_PORT+K-1 and share their configuration
# (one cookie secret, generated here) and the class database: each inherits NNVIZ_DATABASE_URL
# (unset: one SQLite file in the data directory, for processes on one host; several hosts must
# share PostgreSQL). nginx (deploy/nginx.conf, filled in a temp folder) runs in the foreground.
# An app process that dies once serving leaves its browsers to the others (nginx fails over);
# Ctrl-C, SIGTERM, nginx exiting or the last app process exiting stops all of them.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
k="$(nproc 2>/dev/null || echo 2)"
listen="127.0.0.1:8080"
app_port=8501
check=0

usage() {
  sed -n '2,13s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
  exit "${1:-2}"
}
die() {
  echo "serve.sh: $*" >&2
  exit 2
}

while (($#)); do
  case "$1" in
    -k) k="${2:-}"; shift 2 || usage ;;
    --listen) listen="${2:-}"; shift 2 || usage ;;
    --app-port) app_port="${2:-}"; shift 2 || usage ;;
    --check) check=1; shift ;;
    -h | --help) usage 0 ;;
    *) echo "serve.sh: unknown option $1" >&2; usage ;;
  esac
done
[[ "$k" =~ ^[1-9][0-9]?$ ]] || die "-k: a number of processes from 1 to 99, not '$k'"
[[ "$app_port" =~ ^[0-9]+$ ]] && ((app_port >= 1024 && app_port + k <= 65536)) ||
  die "--app-port: a port from 1024 on, with room for $k processes, not '$app_port'"
[[ "$listen" =~ ^([0-9.]+|\[[0-9a-fA-F:]+\]):[0-9]+$ ]] ||
  die "--listen: ADDRESS:PORT, e.g. 127.0.0.1:8080 or 0.0.0.0:8080, not '$listen'"

nginx="${NGINX:-$(command -v nginx || command -v /usr/sbin/nginx || true)}"
[[ -x "$nginx" ]] || die "nginx is not installed. On Debian or Ubuntu: sudo apt-get install -y nginx"

python="${PYTHON:-}"
[[ -n "$python" ]] || { [[ -x "$root/.venv/bin/python" ]] && python="$root/.venv/bin/python"; }
[[ -n "$python" ]] || python="$(command -v python3)" || die "no python3 found"
static="$("$python" -c 'import os, streamlit; print(os.path.join(os.path.dirname(streamlit.__file__), "static"))')" ||
  die "$python cannot import streamlit: pip install -r requirements.txt (or set PYTHON=...)"

run_dir="$(mktemp -d "${TMPDIR:-/tmp}/nnviz-serve.XXXXXX")"
chmod 755 "$run_dir" # nginx's workers (another user when started as root) use its temp folders
pids=()
stop() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for ((t = 0; t < 150; t++)); do # 15 s to stop, then SIGKILL
    [[ -n "$(jobs -rp)" ]] || break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$run_dir"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$python" - "$here/nginx.conf" "$run_dir" "$listen" "$static" "$app_port" "$k" <<'EOF' ||
import os
import sys

template, run_dir, listen, static, port, k = sys.argv[1:]
servers = [f"        server 127.0.0.1:{int(port) + i} max_fails=1 fail_timeout=5s;" for i in range(int(k))]
text = open(template).read().replace("\n@SERVERS@\n", "\n" + "\n".join(servers) + "\n")
app_static = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(template))), "static")
fill = {"@LISTEN@": listen, "@STATIC_ROOT@": static, "@APP_STATIC@": app_static, "@RUN_DIR@": run_dir}
for key, value in fill.items():
    text = text.replace(key, value)
open(f"{run_dir}/nginx.conf", "w").write(text)
EOF
  die "could not write $run_dir/nginx.conf"
"$nginx" -t -q -p "$run_dir" -c "$run_dir/nginx.conf" -e stderr || die "nginx -t failed for $run_dir/nginx.conf"
if ((check)); then
  echo "serve.sh: nginx configuration OK (K=$k, $listen)"
  exit 0
fi

# one secret for all processes: a cookie one process signed is valid in another
export STREAMLIT_SERVER_COOKIE_SECRET="$("$python" -c 'import secrets; print(secrets.token_hex(32))')"
cd "$root"
# each app process in a session of its own, as independent services are: Linux's scheduler
# (autogroup) then gives each its own share of a busy machine, not K processes one share together
own_session='import os, sys; os.setsid(); os.execv(sys.executable, [sys.executable, *sys.argv[1:]])'
for ((i = 0; i < k; i++)); do
  "$python" -c "$own_session" -m streamlit run app.py --server.headless true \
    --server.address 127.0.0.1 --server.port "$((app_port + i))" \
    --browser.gatherUsageStats false --server.fileWatcherType none >"$run_dir/app-$i.log" 2>&1 &
  pids+=("$!")
done
"$python" - "$run_dir" "$app_port" "${pids[@]}" <<'EOF' || exit 2
import sys, time, urllib.request

run_dir, port, pids = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
deadline = time.monotonic() + 60


def running(pid):  # not exited (an exited child stays a zombie until the script reaps it)
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


for i, pid in enumerate(pids):  # each answers its health check within 60 s, or its log is shown
    url = f"http://127.0.0.1:{port + i}/_stcore/health"
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.read().strip() == b"ok":
                    break
        except OSError:
            pass
        if not running(pid) or time.monotonic() > deadline:
            why = "did not answer within 60 s" if running(pid) else "exited"
            log = open(f"{run_dir}/app-{i}.log", errors="replace").read()[-3000:]
            sys.exit(f"{log}\nserve.sh: app process {i} on 127.0.0.1:{port + i} {why}")
        time.sleep(0.1)
EOF
"$nginx" -p "$run_dir" -c "$run_dir/nginx.conf" -e stderr -g "daemon off;" &
nginx_pid="$!"
pids+=("$nginx_pid")
echo "serve.sh: nnviz at http://$listen (nginx), $k app processes on 127.0.0.1:$app_port-$((app_port + k - 1)); Ctrl-C stops all"
running() { [[ " $(jobs -rp | tr '\n' ' ') " == *" $1 "* ]]; }
while wait -n || true; do # one of ours exited: go on while nginx and an app process run
  running "$nginx_pid" || break
  left=0
  for pid in "${pids[@]}"; do [[ "$pid" == "$nginx_pid" ]] || ! running "$pid" || ((++left)); done
  ((left)) || break
  echo "serve.sh: an app process exited; nginx sends its browsers to the other $left" >&2
done
echo "serve.sh: a process exited; stopping the others" >&2
exit 1
