/*
 * proto_list.h - the registered protocols, one line each: first those with a
 * parser, then those known by port and name only (others.c). Order matters
 * only for ties in content sniffing.
 */
PROTO(smtp)
PROTO(imap)
PROTO(pop3)
PROTO(ftp)
PROTO(ftp_data)
PROTO(ldap)
PROTO(nntp)
PROTO(xmpp)
PROTO(sieve)
PROTO(irc)
PROTO(postgres)
PROTO(mysql)
PROTO(telnet)
PROTO(http)
PROTO(dns)
PROTO(radius)
PROTO(diameter)
PROTO(snmp)
PROTO(syslog)
PROTO(stun)
PROTO(sip)
PROTO(mpls_in_udp)
PROTO(gre_in_udp)
