-- PostgreSQL set-up for permis: the owner role, the database, a read-only role. Idempotent: run it
-- again to change the password or after an upgrade; nothing is dropped.
--
--   psql -v db=permis -v role=permis -v password=SECRET -v reader=permis_reader \
--        -f ops/postgres/setup.sql                  (as a role that may create roles and databases)
--
-- Usually run through ops/postgres/setup.sh. The tables (events, snapshots, command receipts, the
-- due-date index, the clock) are created by the application itself on its first run, as the owner
-- role, in the database's public schema.

\set ON_ERROR_STOP on

-- The application's role: owns the database and everything in it (it creates its tables).
SELECT format('CREATE ROLE %I LOGIN', :'role')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE', :'role') \gexec
-- An empty password leaves the current one alone.
SELECT format('ALTER ROLE %I PASSWORD %L', :'role', :'password') WHERE :'password' <> '' \gexec

-- Read-only access for reports, audits and ad-hoc queries: no login of its own, granted to people.
SELECT format('CREATE ROLE %I NOLOGIN', :'reader')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'reader') \gexec

-- CREATE DATABASE cannot run in a transaction block, hence \gexec rather than a DO block.
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', :'db', :'role', 'UTF8')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'db', :'role') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'db') \gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', :'db', :'role') \gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', :'db', :'reader') \gexec
-- Workers never wait forever on a lock, and a session idle in a transaction is ended.
SELECT format('ALTER ROLE %I IN DATABASE %I SET lock_timeout = %L', :'role', :'db', '30s') \gexec
SELECT format('ALTER ROLE %I IN DATABASE %I SET idle_in_transaction_session_timeout = %L',
              :'role', :'db', '60s') \gexec

\connect :db

-- PostgreSQL 15 no longer lets everyone create in public; the owner role does, nobody else.
SELECT format('ALTER SCHEMA public OWNER TO %I', :'role') \gexec
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SELECT format('GRANT USAGE ON SCHEMA public TO %I', :'reader') \gexec
-- The reader sees the tables that exist and those the application creates later.
SELECT format('GRANT SELECT ON ALL TABLES IN SCHEMA public TO %I', :'reader') \gexec
SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public GRANT SELECT ON TABLES TO %I',
              :'role', :'reader') \gexec
