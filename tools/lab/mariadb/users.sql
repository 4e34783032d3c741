-- tlswatch capture lab: the users of tools/record-mysql.sh, run as root over
-- the server's Unix socket right after its first start. Documented in
-- pcaps/README.md ("MySQL captures"); these secrets are in the captures on
-- purpose. Hosts are IP addresses only (the servers run with
-- skip-name-resolve); every client connects from 127.0.0.1.

-- Only root@localhost (the Unix socket, no password: the recorder's own way
-- in) stays: no anonymous users, no root over TCP, no entry for the
-- machine's host name (mariadb-install-db makes root@HOSTNAME, which
-- skip-name-resolve ignores with a warning).
DELETE FROM mysql.global_priv WHERE User = '' OR Host <> 'localhost';
DELETE FROM mysql.proxies_priv WHERE Host <> 'localhost';
FLUSH PRIVILEGES;

CREATE DATABASE tlswatch;

-- alice: mysql_native_password (SHA1(SHA1(password)) stored; on the wire a
-- 20-byte scramble of the server's 20-byte nonce, no reusable secret).
CREATE USER 'alice'@'127.0.0.1'
	IDENTIFIED VIA mysql_native_password USING PASSWORD('AlicePass2024');
GRANT SELECT ON tlswatch.* TO 'alice'@'127.0.0.1';

-- carol: PAM (service tlswatch-mysql, checked by pam_exec against the
-- recorder's crypt file); the server asks for the password with an
-- AuthSwitchRequest to mysql_clear_password (pam-use-cleartext-plugin), and
-- the client sends it as it is, NUL-terminated.
CREATE USER 'carol'@'127.0.0.1' IDENTIFIED VIA pam USING 'tlswatch-mysql';
GRANT SELECT ON tlswatch.* TO 'carol'@'127.0.0.1';
