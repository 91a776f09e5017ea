# Sourced by .ci/run: a local PostgreSQL server for the many-worker tune test
# (tests/training/test_tune.py). Installs the server when missing, starts the
# cluster when it is down, creates the test user and database (idempotent),
# and exports QWOP_TEST_POSTGRES_URL, which the test reads. Needs root. Runs
# under .ci/run's set -euo pipefail (sourced: it sets no shell options itself).

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql
fi
pg_version=$(ls /usr/lib/postgresql | sort -n | tail -1)
# Debian's package creates the cluster "main"; a machine without one gets it here.
if ! pg_lsclusters -h | awk -v v="$pg_version" '$1 == v && $2 == "main"' | grep -q .; then
    pg_createcluster "$pg_version" main
fi
if ! pg_lsclusters -h | awk -v v="$pg_version" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
    pg_ctlcluster "$pg_version" main start
fi
pg_port=$(pg_lsclusters -h | awk -v v="$pg_version" '$1 == v && $2 == "main" {print $3}')

pg_sql() { su postgres -c "psql -p $pg_port -tAc \"$1\""; }
if [ "$(pg_sql "SELECT 1 FROM pg_roles WHERE rolname = 'qwop_test'")" != 1 ]; then
    pg_sql "CREATE ROLE qwop_test LOGIN PASSWORD 'qwop_test'"
fi
if [ "$(pg_sql "SELECT 1 FROM pg_database WHERE datname = 'qwop_test'")" != 1 ]; then
    pg_sql "CREATE DATABASE qwop_test OWNER qwop_test"
fi
# A throwaway local test server: the password is not a secret.
export QWOP_TEST_POSTGRES_URL="postgresql+psycopg2://qwop_test:qwop_test@127.0.0.1:$pg_port/qwop_test"
