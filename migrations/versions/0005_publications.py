"""Publications: a round's results frozen as published; issued documents know their publication
and when a re-publication superseded them (DOMAIN.md section 5a).

Rounds published before this revision have no publication yet: the first look at one freezes it
as it then reads (survey_app/domain/publication.py), with the numbers already issued kept.

Create Date: 2026-12-08 10:00:00
"""
import sqlalchemy as sa
from alembic import op
from revision_helpers import UTC_DATETIME, create_table, drop_indexes, optional, required

revision, down_revision = '0005', '0004'


def upgrade():
    create_table('publications',
                 *(required(name, sa.Integer()) for name in ('round_id', 'number')),
                 required('published_at', UTC_DATETIME),
                 optional('reason', sa.Text()),
                 required('method_version', sa.String(20)),
                 *(required(name, sa.JSON()) for name in ('base', 'document')),
                 references=dict(round_id='rounds'),
                 unique=[('round_id', 'number')],
                 indexes=('round_id',))

    with op.batch_alter_table('issued_documents', schema=None) as batch_op:
        batch_op.add_column(optional('publication_id', sa.Integer()))
        batch_op.add_column(optional('superseded_at', UTC_DATETIME))
        batch_op.create_index(batch_op.f('ix_issued_documents_publication_id'), ['publication_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_issued_documents_publication_id_publications'),
                                    'publications', ['publication_id'], ['id'])


def downgrade():
    with op.batch_alter_table('issued_documents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_issued_documents_publication_id_publications'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_issued_documents_publication_id'))
        batch_op.drop_column('superseded_at')
        batch_op.drop_column('publication_id')
    drop_indexes('publications', 'round_id')
    op.drop_table('publications')
