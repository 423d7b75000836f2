"""gunicorn's settings when started from a checkout (`gunicorn wsgi:app` reads this file from the
working directory): the package's own, survey_app/gunicorn_conf.py, which explains them."""
from survey_app.gunicorn_conf import *  # noqa: F403
