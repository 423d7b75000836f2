"""Publications: a round's results frozen as published; issued documents know their publication
and when a re-publication superseded them (DOMAIN.md section 5a).

Rounds published before this revision have no publication yet: the first look at one freezes it
as it then reads (survey_app/domain/publication.py), with the numbers already issued kept.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 10:00:00
"""
import sqlalchemy as sa
from alembic import op

from survey_app.models.types import UTCDateTime

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('publications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('published_at', UTCDateTime(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('method_version', sa.String(length=20), nullable=False),
    sa.Column('base', sa.JSON(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_publications_round_id_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publications')),
    sa.UniqueConstraint('round_id', 'number', name=op.f('uq_publications_round_id_number'))
    )
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publications_round_id'), ['round_id'], unique=False)

    with op.batch_alter_table('issued_documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('publication_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('superseded_at', UTCDateTime(), nullable=True))
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
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publications_round_id'))
    op.drop_table('publications')
