#!/usr/bin/env bash
# tools/within.sh SECONDS CMD ARGS...: runs CMD under timeout(1) (its whole
# process group killed past SECONDS, KILL 10 s after TERM) and, when it was
# killed, says which command, so that a hang fails by name instead of holding
# `make check` until CI gives up.
limit=${1:?usage: within.sh SECONDS CMD ARGS...}
shift
rc=0
timeout -k 10 "$limit" "$@" || rc=$?
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	echo "FAIL $*: still running after $limit s, killed" >&2
fi
exit $rc
