"""The shapes the revisions in versions/ repeat: constraint names, index blocks, added columns.

Frozen with the revisions: a revision must build the same schema whatever the app becomes, so this
module never imports the app, and a function here never changes what it emits once a revision
has used it (a new shape is a new function). alembic.ini puts this folder on sys.path, so a
revision imports it as `revision_helpers`, in a checkout and in the installed package alike.

Names follow the metadata's naming convention (survey_app/extensions.py) as autogenerate wrote
them: `op.f()` marks a name as final.
"""
import sqlalchemy as sa
from alembic import op

# A point in time, stored in UTC (the app's UTCDateTime has this column type: the converting of
# values is the app's, the DDL is this).
UTC_DATETIME = sa.DateTime(timezone=True)

GROUPS = '"group" IN (\'rt\', \'rw\', \'lmk\', \'fkdm\', \'tokoh\')'
SOURCES = "source IN ('web', 'paper')"


def required(name, type_, **kw):
    return sa.Column(name, type_, nullable=False, **kw)


def optional(name, type_):
    return sa.Column(name, type_, nullable=True)


def _primary_key(table, *columns):
    return sa.PrimaryKeyConstraint(*columns, name=op.f(f'pk_{table}'))


def _foreign_keys(table, **targets):
    """fk_<table>_<column>_<target> from each column to its target table's id, in the order
    given (it is the order of the DDL)."""
    return [sa.ForeignKeyConstraint([column], [f'{target}.id'],
                                    name=op.f(f'fk_{table}_{column}_{target}'))
            for column, target in targets.items()]


def _unique(table, *columns):
    return sa.UniqueConstraint(*columns, name=op.f(f'uq_{table}_{"_".join(columns)}'))


def _check(table, name, sql):
    return sa.CheckConstraint(sql, name=op.f(f'ck_{table}_{name}'))


def create_table(table, *columns, checks=None, references=None, key=None, unique=(),
                 indexes=()):
    """op.create_table with its constraints named as above: `checks` {name: SQL}, `references`
    {column: table it points at}, the primary `key` columns, `unique` column tuples; then
    create_indexes(table, *indexes). Without a `key`, the table is keyed by an integer `id`, its
    first column. The constraints are made in autogenerate's order (checks, foreign keys,
    primary key, unique): the DDL lists them in the order they were made."""
    if key is None:
        columns, key = (required('id', sa.Integer()), *columns), ('id',)
    constraints = [_check(table, name, sql) for name, sql in (checks or {}).items()]
    constraints += _foreign_keys(table, **(references or {}))
    constraints.append(_primary_key(table, *key))
    constraints += [_unique(table, *columns_) for columns_ in unique]
    op.create_table(table, *columns, *constraints)
    if indexes:
        create_indexes(table, *indexes)


def create_answers_table(table, response_column, responses_table):
    """The answers to the responses of `responses_table`: one value of 1 to 4 an item code."""
    create_table(table, required(response_column, sa.Integer()),
                 required('item_code', sa.String(20)), required('value', sa.SmallInteger()),
                 checks={'scale': 'value BETWEEN 1 AND 4'},
                 references={response_column: responses_table},
                 key=(response_column, 'item_code'))


def create_indexes(table, *indexes):
    """Each index in one batch: a column name gives ix_<table>_<column> on that column, a pair
    (name, columns) an index of that name."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for index in indexes:
            if isinstance(index, str):
                batch_op.create_index(batch_op.f(f'ix_{table}_{index}'), [index], unique=False)
            else:
                batch_op.create_index(index[0], index[1], unique=False)


def drop_indexes(table, *indexes):
    """The reverse of create_indexes with the same arguments (dropped in the reverse order)."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for index in reversed(indexes):
            if isinstance(index, str):
                batch_op.drop_index(batch_op.f(f'ix_{table}_{index}'))
            else:
                batch_op.drop_index(index[0])


def drop_tables(indexes):
    """The reverse of creating the tables of `indexes` ({table: its indexes as create_indexes
    takes them}, in the order they were created): each table's indexes, then the table."""
    for table, table_indexes in reversed(indexes.items()):
        if table_indexes:
            drop_indexes(table, *table_indexes)
        op.drop_table(table)


def add_columns(table, *columns):
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.add_column(column)


def drop_columns(table, *names):
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name in names:
            batch_op.drop_column(name)


def add_flag(table, name, default):
    """A not-null boolean column; the rows there are get `default` (sa.true() or sa.false())."""
    add_columns(table, required(name, sa.Boolean(), server_default=default))


def drop_server_default(table, column):
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column(column, server_default=None)
