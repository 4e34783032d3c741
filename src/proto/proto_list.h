/*
 * proto_list.h - the registered service parsers, one line each.
 * Order matters only for ties in content sniffing.
 */
PROTO(smtp)
PROTO(imap)
PROTO(pop3)
