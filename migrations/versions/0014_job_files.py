"""Job result files kept in the database (job_files: the bytes in chunks of up to 1 MB), so that
any app server hands out a job's result without a shared folder (issue 21); jobs.result_path (a
file in JOB_RESULTS_DIR) gives way to jobs.result_size.

A result file still in its folder when this runs (on the machine that runs it) is copied in;
one that is not there any more leaves its job without a download, as an expired result does.
The folder itself is left alone: delete it once upgraded.

Create Date: 2026-12-01 22:00:00
"""
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision, down_revision = '0014', '0013'

CHUNK_BYTES = 1024 * 1024  # as survey_app.jobs.CHUNK_BYTES when this was written


def upgrade():
    op.create_table('job_files',
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_job_files_job_id_jobs'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_id', 'seq', name=op.f('pk_job_files'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('result_size', sa.BigInteger(), nullable=True))

    connection = op.get_bind()
    job_files = sa.table('job_files', sa.column('job_id'), sa.column('seq'),
                         sa.column('data', sa.LargeBinary()))
    jobs = sa.table('jobs', sa.column('id'), sa.column('result_path'), sa.column('result_size'))
    kept = connection.execute(sa.select(jobs.c.id, jobs.c.result_path)
                              .where(jobs.c.result_path.is_not(None))).all()
    for job_id, path in kept:
        if not Path(path).is_file():
            continue
        size = 0
        with open(path, 'rb') as source:
            for seq, chunk in enumerate(iter(lambda: source.read(CHUNK_BYTES), b'')):
                connection.execute(job_files.insert().values(job_id=job_id, seq=seq, data=chunk))
                size += len(chunk)
        connection.execute(jobs.update().where(jobs.c.id == job_id).values(result_size=size))

    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('result_path')


def downgrade():
    # The files do not go back to a folder: the jobs are left without a download.
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('result_path', sa.String(length=500), nullable=True))
        batch_op.drop_column('result_size')
    op.drop_table('job_files')
