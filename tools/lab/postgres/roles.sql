-- tlswatch capture lab: roles and database of each instance of
-- tools/record-postgres.sh (psql -v ON_ERROR_STOP=1 -f, as postgres over
-- the private Unix socket). These passwords are in the captures on purpose
-- (pcaps/README.md, "PostgreSQL captures").
--
-- alice and carol get SCRAM-SHA-256 secrets: the hba methods `password` and
-- `scram-sha-256` both work with them. bob's secret is stored as md5, so
-- that the hba method `md5` really sends AuthenticationMD5Password (with a
-- SCRAM secret, `md5` would switch to SCRAM).
SET password_encryption = 'scram-sha-256';
CREATE ROLE alice LOGIN PASSWORD 'AlicePass2024';
CREATE ROLE carol LOGIN PASSWORD 'CarolPass2024';
SET password_encryption = 'md5';
CREATE ROLE bob LOGIN PASSWORD 'BobPass2024';
RESET password_encryption;
CREATE DATABASE tlswatch OWNER alice;
