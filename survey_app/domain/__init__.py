"""Plain-Python rules of the SKM platform: no Flask request, no commit in here.

Each module owns one rule set (areas, imports, rounds, questionnaires, scoring, complaints,
sampling, sanctions). Functions raise the typed errors of :mod:`survey_app.domain.errors`;
the edges (views, CLI) turn them into messages and own the transaction.
"""
