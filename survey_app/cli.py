"""Command-line tools: `flask --app wsgi skm <command>`. Each docstring is its --help."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from survey_app.domain.errors import DomainError, ImportRejected
from survey_app.extensions import db

skm = AppGroup("skm", help="SKM survey platform tools.")


def fail(error: Exception) -> None:
    """Roll back, print what went wrong (every bad row of an import) and exit 1."""
    db.session.rollback()
    if isinstance(error, ImportRejected):
        click.echo(f"Nothing was imported: {len(error.errors)} problem(s) found.", err=True)
        for row_error in error.errors:
            click.echo(f"  {row_error}", err=True)
    else:
        click.echo(f"Error: {error}", err=True)
    sys.exit(1)


@skm.command("create-user")
@click.argument("email")
@click.option("--role", required=True, help="admin, coordinator, official or viewer")
@click.option("--official", "official_nip", help="the NIP of the official this account belongs to")
@click.password_option(help="asked for when not given")
def create_user(email, role, official_nip, password):
    """Create a login for EMAIL with a ROLE."""
    from survey_app.domain import accounts, audit

    try:
        user = accounts.create_user(email, password, role, official_nip,
                                    current_app.config["PASSWORD_HASH_METHOD"])
        audit.record("create-user", user.email, detail={"role": role})
        db.session.commit()
    except DomainError as e:
        fail(e)
    click.echo(f"Created {user.email} ({role}).")
