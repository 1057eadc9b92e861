#!/usr/bin/env bash
# Rehearse a fresh machine without one: run the README's Quick start in a throw-away clone of HEAD with an
# empty HOME, so no build cache, Go module cache, Maven repository, pip cache or harness state of this
# machine is used. Only the machine itself is shared (its Debian packages, Python, Go, Java, npm and their
# registry settings), as on a new machine of the project's kind. Prints each step's time and the
# harness's own step times.
#
#   tools/fresh-check.sh                       # make test-job NAME=wma-agent-count, then make test
#   tools/fresh-check.sh "make lint" "make unit"   # other steps, run in order
#   FRESH_DIR=/var/tmp/x FRESH_KEEP=1 tools/fresh-check.sh   # where to work, and keep it afterwards
#                                              # (a kept FRESH_DIR is continued: same HOME, clone reset to HEAD)
#
# The local cluster owns fixed loopback ports: stop a running one first (`make cluster-down`).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
root=${FRESH_DIR:-$(mktemp -d /var/tmp/cronharness-fresh.XXXXXX)}
keep=${FRESH_KEEP:-0}
if [ $# -eq 0 ]; then
    set -- "make test-job NAME=wma-agent-count" "make test"
fi

if (exec 3<>/dev/tcp/127.0.0.1/6443) 2>/dev/null; then
    echo "fresh-check: something listens on 127.0.0.1:6443 (a local cluster?): stop it first (make cluster-down)" >&2
    exit 2
fi

mkdir -p "$root/home/.config/go"
if [ -d "$root/clone" ]; then
    # A kept rehearsal continues (e.g. `make test` after `make test-job`): its HOME stays, its clone moves
    # to this HEAD, as a user's checkout would after a pull.
    git -C "$root/clone" fetch --quiet "$repo" HEAD && git -C "$root/clone" reset --quiet --hard FETCH_HEAD
else
    git clone --quiet "$repo" "$root/clone"
fi
# The machine's own settings for reaching the package registries, which a new machine has too.
for file in .npmrc .gitconfig .config/go/env; do
    if [ -f "$HOME/$file" ]; then cp "$HOME/$file" "$root/home/$file"; fi
done
log="$root/fresh-check.log"
echo "fresh-check: clone of $(git -C "$repo" rev-parse --short HEAD) in $root/clone, HOME=$root/home, log $log"

run_env=(env -u XDG_CACHE_HOME -u XDG_STATE_HOME -u XDG_CONFIG_HOME -u XDG_DATA_HOME -u GOPATH -u GOMODCACHE
         -u GOCACHE -u VIRTUAL_ENV -u PIP_CACHE_DIR -u HARNESS_CACHE_DIR -u HARNESS_STATE_DIR
         -u HARNESS_CLUSTER -u HARNESS_KUBECONFIG "HOME=$root/home")
summary=()
status=0
for command in "$@"; do
    echo "==> fresh-check: $command" | tee -a "$log"
    started=$(date +%s)
    if (cd "$root/clone" && "${run_env[@]}" bash -c "$command") 2>&1 | tee -a "$log"; then
        verdict=passed
    else
        verdict=FAILED
        status=1
    fi
    summary+=("$(printf '%-45s %-7s %6ss' "$command" "$verdict" "$(( $(date +%s) - started ))")")
    [ $status -eq 0 ] || break
done

echo
echo "fresh-check: harness steps (from the log)"
grep -E '^<== ' "$log" | sed 's/^<== /  /' || true
echo "fresh-check: commands"
printf '  %s\n' "${summary[@]}"
if [ $status -eq 0 ] && [ "$keep" != 1 ]; then
    # Stop what the rehearsal started under its HOME (the local cluster, kind and the harness's dockerd, whose
    # data-root is a mount, the services, the registry) before deleting it: a daemon left running keeps the
    # directory's mount, so the deletion would stop half-way and leave both behind.
    if [ -x "$root/clone/.venv/bin/python" ]; then
        for command in "cluster down --purge" "cluster down --cluster kind --purge" "services down" "registry down"; do
            (cd "$root/clone" && "${run_env[@]}" .venv/bin/python -m harness $command) >>"$log" 2>&1 ||
                echo "fresh-check: 'harness $command' failed (see $log)"
        done
    fi
    rm -rf "$root" || echo "fresh-check: could not delete all of $root (mounts: $(grep -c " $root" /proc/mounts))"
else
    echo "fresh-check: kept $root"
fi
exit $status
