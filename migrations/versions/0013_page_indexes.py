"""Indexes for the pages on a province's data (issue 17).

- complaints (reported_at, imported_at), with the id on PostgreSQL (SQLite keeps the rowid in
  every index): a round's results fingerprint counts the complaints reported in its quarter and
  takes their latest id and import time at every look at a results page, and the complaint
  figures read the same quarter. Without it both scan the whole table (215,000 rows on the
  province demo: some 90 ms a time on either engine); with it, an index-only range scan
  (about 10 ms).

Create Date: 2027-02-01 10:00:00
"""
from alembic import op

revision, down_revision = '0013', '0012'


def upgrade():
    op.create_index('ix_complaints_reported', 'complaints', ['reported_at', 'imported_at'],
                    postgresql_include=['id'])


def downgrade():
    op.drop_index('ix_complaints_reported', table_name='complaints')
