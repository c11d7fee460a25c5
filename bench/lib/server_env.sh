# Shared set-up of the bench scripts that start servers (sourced, not run):
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/server_env.sh"
#   bench_setup NAME HELP_LAST_LINE "$@"   # sets here, root, atoll_bin, readme_args; checks taskset and the binary
#   bench_workdir                          # work (a temp folder) and pids=(): killed and removed on exit
#   workerd_bin="$(bench_workerd NAME)"    # the pinned workerd in bench/.peers, or "" (and a note on stderr)
#   bench_servers NAME                     # servers=(atoll-before=... atoll=... workerd=...), those there are

# NAME.sh's arguments: --update-readme (readme_args), --help (lines 2..HELP_LAST_LINE of the script).
bench_setup() {
  local name="$1" help_last="$2"
  shift 2
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  root="$(dirname "$here")"
  atoll_bin="${BENCH_ATOLL:-$root/build/atoll}"
  readme_args=()
  local arg
  for arg in "$@"; do
    case "$arg" in
      --update-readme) readme_args=(--readme "$here/README.md") ;;
      -h|--help) sed -n "2,${help_last}p" "$0"; exit 0 ;;
      *) echo "$name.sh: unknown argument $arg (try --help)" >&2; exit 2 ;;
    esac
  done
  command -v taskset >/dev/null || { echo "$name: taskset not found (run scripts/setup.sh)" >&2; exit 1; }
  [[ -x "$atoll_bin" ]] || { echo "$name: ${atoll_bin} not found (make build)" >&2; exit 1; }
  mkdir -p "$here/results"
}

# A temporary folder in `work` and a list `pids` of the processes a script starts: on exit, every
# one is killed and the folder removed.
bench_workdir() {
  work="$(mktemp -d)"
  pids=()
  trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT
}

# workerd as bench/churn.sh finds it: the pinned npm peer in bench/.peers (churn.sh installs it).
bench_workerd() {
  local name="$1" bin
  for bin in "$here"/.peers/node_modules/@cloudflare/workerd-linux-*/bin/workerd "$here/.peers/node_modules/workerd/bin/workerd"; do
    if [[ -x "$bin" ]] && timeout 20 "$bin" --version >/dev/null 2>&1; then echo "$bin"; return 0; fi
  done
  echo "$name: no workerd in bench/.peers (run bash bench/churn.sh once to install the peers): column left out" >&2
}

# The usual columns: atoll-before (when BENCH_ATOLL_BEFORE is set), atoll, workerd (when installed).
bench_servers() {
  servers=(atoll="$atoll_bin")
  if [[ -n "${BENCH_ATOLL_BEFORE:-}" ]]; then servers=(atoll-before="$BENCH_ATOLL_BEFORE" "${servers[@]}"); fi
  local workerd_bin
  workerd_bin="$(bench_workerd "$1")"
  if [[ -n "$workerd_bin" ]]; then servers+=(workerd="$workerd_bin"); fi
}
