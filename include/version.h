/*
 * version.h - tlswatch's version: printed by --version and written in every
 * JSON record (docs/json-schema.md), so that a SIEM knows which build, and
 * so which schema, wrote an event.
 */
#ifndef TLSWATCH_VERSION_H
#define TLSWATCH_VERSION_H

#define TLSWATCH_VERSION "0.1.0"

#endif
