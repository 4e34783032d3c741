#!/usr/bin/env bash
# tools/lab/gen-cert.sh DIR [NAME] — writes a fresh self-signed certificate
# for the capture lab: DIR/cert.pem and DIR/key.pem (RSA 2048, CN and
# subjectAltName NAME, default mail.tlswatch.test; tools/record-ftp.sh uses
# ftp.tlswatch.test; valid ten years). The key is new on every run, so TLS
# bytes differ between recordings; nothing else depends on it.
set -euo pipefail

dir=${1:?usage: gen-cert.sh DIR [NAME]}
name=${2:-mail.tlswatch.test}
mkdir -p "$dir"
umask 077
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
	-subj "/O=tlswatch capture lab/CN=$name" \
	-addext "subjectAltName=DNS:$name,IP:127.0.0.1,IP:::1" \
	-keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
chmod 0644 "$dir/cert.pem"
