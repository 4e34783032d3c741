#!/bin/bash
# tools/lab/mariadb/pam-check-password.sh PASSWD — the password check of the
# PAM service tlswatch-mysql (tools/lab/mariadb/pam.conf.in) for the capture
# lab of tools/record-mysql.sh, run by pam_exec with expose_authtok: the user
# name in PAM_USER, the password on standard input (NUL-terminated). PASSWD
# holds lines USER:HASH, HASH a SHA-512 crypt (openssl passwd -6). Exit 0
# when the user has a line and the password matches, 1 otherwise. Prints
# nothing, never the password.
set -u
file=${1:?usage: pam-check-password.sh PASSWD}
[ "${PAM_TYPE:-auth}" = auth ] || exit 0
user=${PAM_USER:-}
pw=""
IFS= read -r -d '' pw || true
[ -n "$user" ] && [ -n "$pw" ] || exit 1
hash=$(awk -F: -v u="$user" '$1 == u { print $2; exit }' "$file") || exit 1
[ -n "$hash" ] || exit 1
# $6$SALT$DIGEST: the same salt, the same digest.
salt=${hash#\$6\$}
salt=${salt%%\$*}
got=$(printf '%s\n' "$pw" | openssl passwd -6 -salt "$salt" -stdin 2>/dev/null) || exit 1
[ "$got" = "$hash" ]
