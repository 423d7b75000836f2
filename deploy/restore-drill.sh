#!/bin/sh
# The restore drill (docs/deploy.md): bring the newest backup back into a scratch database, check
# the schema is current and the app would start on it, then drop the scratch database. Run it as
# the skm user now and then, and after every upgrade. Needs createdb/dropdb rights on the server.
set -eu
. /etc/skm/skm.env
BACKUP=${1:-$(ls -1t /var/backups/skm/skm-*.backup | head -n 1)}
SCRATCH=skm_restore_drill_$(date +%Y%m%d%H%M)
BASE=${DATABASE_URL%/*}
export SKM_ENV SECRET_KEY PUBLIC_BASE_URL TRUSTED_PROXIES RATELIMIT_STORAGE_URI JOBS_URL
export DATABASE_URL="$BASE/$SCRATCH"
FLASK="/opt/skm/venv/bin/flask --app survey_app"
createdb --maintenance-db="$BASE/postgres" "$SCRATCH"
trap 'dropdb --if-exists --maintenance-db="$BASE/postgres" "$SCRATCH"' EXIT
echo "Restoring $BACKUP into $SCRATCH"
$FLASK skm restore "$BACKUP"
$FLASK db upgrade
$FLASK skm check-config
$FLASK skm round list
echo "Restore drill passed: $BACKUP"
