#!/bin/sh
# The restore drill (docs/deploy.md): bring the newest backup back into a scratch database, check
# the schema is current and the app would start on it, then drop the scratch database. Run it as
# the skm user now and then, and after every upgrade. Needs createdb/dropdb rights on the server.
# ENV_FILE, VENV, BACKUPS and SCRATCH (the scratch database's name) override the paths of docs/deploy.md.
set -eu
set -a; . "${ENV_FILE:-/etc/skm/skm.env}"; set +a
BACKUPS=${BACKUPS:-/var/backups/skm}
BACKUP=${1:-$(ls -1t "$BACKUPS"/skm-*.backup | head -n 1)}
SCRATCH=${SCRATCH:-skm_restore_drill_$(date +%Y%m%d%H%M)}
BASE=${DATABASE_URL%/*}
export DATABASE_URL="$BASE/$SCRATCH"
FLASK="${VENV:-/opt/skm/venv}/bin/flask --app survey_app"
createdb --maintenance-db="$BASE/postgres" "$SCRATCH"
trap 'dropdb --if-exists --maintenance-db="$BASE/postgres" "$SCRATCH"' EXIT
echo "Restoring $BACKUP into $SCRATCH"
$FLASK skm restore "$BACKUP"
$FLASK db upgrade
$FLASK skm check-config
$FLASK skm round list
echo "Restore drill passed: $BACKUP"
