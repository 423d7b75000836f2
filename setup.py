"""Build steps pyproject.toml cannot express (the metadata is in pyproject.toml).

`pip install .` copies into the package what lives beside it in the checkout (the Alembic
migrations and the questionnaire files: survey_app/migrations/ and survey_app/questionnaires/ in
the installed package, found through config.bundled_directory) and compiles the message
catalogs (.po -> .mo, survey_app/catalogs.py), so that an installed app runs from any directory,
in Bahasa Indonesia.
"""
import importlib.util
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
BUNDLED = ("migrations", "questionnaires")


def _catalogs():
    spec = importlib.util.spec_from_file_location("_skm_catalogs",
                                                  HERE / "survey_app" / "catalogs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildWithData(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "survey_app"
        for name in BUNDLED:
            shutil.copytree(HERE / name, target / name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        catalogs = _catalogs()
        for po in sorted((HERE / "survey_app" / "translations").glob("*/LC_MESSAGES/*.po")):
            relative = po.relative_to(HERE / "survey_app")
            catalogs.compile_catalog(po, (target / relative).with_suffix(".mo"))


setup(cmdclass={"build_py": BuildWithData})
