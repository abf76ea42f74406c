#!/usr/bin/env bash
# Create (or bring up to date) the PostgreSQL role and database of permis; idempotent.
#
#   sudo -u postgres ops/postgres/setup.sh                 # local server, peer authentication
#   PGHOST=db.example PGUSER=admin ops/postgres/setup.sh   # any server, as a role that may
#                                                          # create roles and databases
#
# Settings (environment): PERMIS_DB_NAME (default permis), PERMIS_DB_ROLE (default permis),
# PERMIS_DB_READER (default permis_reader), PERMIS_DB_PASSWORD: the owner role's password, set when
# given; when not, an existing role keeps its own, and a new one gets a random one, printed once.
# The connection is libpq's: PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE (default postgres).
# Prints the PERMIS_DATABASE_URL line for /etc/permis/permis.env on standard output.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
db="${PERMIS_DB_NAME:-permis}"
role="${PERMIS_DB_ROLE:-permis}"
reader="${PERMIS_DB_READER:-permis_reader}"
password="${PERMIS_DB_PASSWORD:-}"
admin=(psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 --dbname="${PGDATABASE:-postgres}")

for name in "$db" "$role" "$reader"; do
    if [[ ! "$name" =~ ^[a-z_][a-z0-9_]{0,62}$ ]]; then
        echo "setup.sh: $name: expected a lower-case SQL identifier" >&2
        exit 2
    fi
done

exists="$("${admin[@]}" -Atc "SELECT 1 FROM pg_roles WHERE rolname = '$role'")"
generated=no
if [[ -z "$password" && -z "$exists" ]]; then
    password="$(head -c 32 /dev/urandom | base64 | tr -d '/+=' | head -c 32)"
    generated=yes
fi

"${admin[@]}" -v db="$db" -v role="$role" -v reader="$reader" -v password="$password" \
    -f "$here/setup.sql" >/dev/null

host="${PGHOST:-127.0.0.1}"
[[ "$host" == /* ]] && host=127.0.0.1  # a socket directory: the service connects over TCP
port="${PGPORT:-5432}"
echo "database $db ready, owned by $role; read-only role $reader (grant it to people)." >&2
if [[ "$generated" == yes ]]; then
    echo "a password was generated for the new role $role: keep the line below." >&2
fi
echo "PERMIS_DATABASE_URL=postgresql://$role:${password:-PASSWORD}@$host:$port/$db"
