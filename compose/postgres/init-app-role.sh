#!/usr/bin/env bash
# Creates the app's own login role, its database and its schema. The postgres image runs this once,
# on an empty data volume only; later password changes need ALTER ROLE (see compose/README.md).
set -euo pipefail

: "${APP_DB_PASSWORD:?APP_DB_PASSWORD is not set for the postgres service}"

# The password travels as a psql variable and is quoted by psql (:'...'), never spliced into SQL text.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -v app_password="$APP_DB_PASSWORD" <<'SQL'
CREATE ROLE pillbox_app LOGIN PASSWORD :'app_password';
CREATE DATABASE pillbox;
REVOKE ALL ON DATABASE pillbox FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE pillbox TO pillbox_app;
-- The app finds its tables without qualifying them, and never creates anything elsewhere.
ALTER ROLE pillbox_app IN DATABASE pillbox SET search_path = pillbox;

\connect pillbox
REVOKE ALL ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA pillbox AUTHORIZATION pillbox_app;
SQL
