"""PDF rendering with reportlab: plain data in (reports.model), bytes out.

Nothing here touches the database or Flask (STYLE.md rule 11): survey_app/domain/cards.py collects
the figures, and the workers of `skm render` call these functions with plain, picklable data.
"""
