#!/bin/sh
# tools/lab/telnet/inetd.sh ROOT ADDR PORT [in.telnetd option...] — the
# Telnet lab's inetd: one socat that accepts on ADDR:PORT and, for each
# connection, execs Debian's /usr/sbin/in.telnetd (telnetd-ssl) as the
# user telnetd-ssl with the connection as its standard input and output,
# as Debian's inetd.conf line does (socat's fork and nofork). Started by
# tools/record-telnet.sh inside the server's network namespace and in
# mount and UTS namespaces of its own (unshare --mount --uts), so that
# what it binds and mounts here is seen by this server only:
#
#   - host name telnet.tlswatch.test (login(1) prints it in its prompt);
#   - ROOT/etc/passwd, shadow and group (the machine's, plus the lab user)
#     over /etc's: the lab user exists for this server only, and /etc is
#     never written;
#   - ROOT/etc/issue.net, motd and hosts over /etc's, an empty directory
#     over /etc/update-motd.d (no kernel version in the captures);
#   - a tmpfs over /run and /var/log: utmp, wtmp, btmp and the dynamic
#     MOTD that telnetd, login and PAM write go there and vanish with the
#     server; /dev/null is bound over lastlog, so no capture shows a
#     "Last login" that depends on the ones recorded before it.
#
# Everything mounted here disappears when socat (the namespace's last
# process) exits. Execs socat: the caller's $! is socat's pid.
set -eu

root=$1 addr=$2 port=$3
shift 3

hostname telnet.tlswatch.test
for f in passwd shadow group issue.net motd hosts; do
	if [ -e "/etc/$f" ]; then
		mount --bind "$root/etc/$f" "/etc/$f"
	fi
done
if [ -d /etc/update-motd.d ]; then
	mount --bind "$root/etc/update-motd.d" /etc/update-motd.d
fi
mount -t tmpfs -o mode=0755,size=4m tlswatch-telnet-run /run
mount -t tmpfs -o mode=0755,size=4m tlswatch-telnet-log /var/log
for f in /run/utmp /var/log/wtmp /var/log/btmp /var/log/lastlog; do
	: >"$f"
	chgrp utmp "$f"
	chmod 0664 "$f"
done
chmod 0660 /var/log/btmp
mount --bind /dev/null /var/log/lastlog

# -N: no reverse look-up of the client. The rest: the caller's options
# (-z ssl, -z nossl) and the lab's certificate.
exec socat -d TCP-LISTEN:"$port",bind="$addr",reuseaddr,fork \
	"EXEC:/usr/sbin/in.telnetd -N $* -z cert=$root/tls/cert.pem -z key=$root/tls/key.pem,nofork,su=telnetd-ssl"
