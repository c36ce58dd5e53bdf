"""What the tests share: paths, fixtures, stand-in servers and helpers.

Imported as ``support.*`` (pyproject puts ``tests/`` on ``sys.path``). The fixture modules
``fixtures``, ``virtuoso`` and ``shacl`` are plugins registered by ``tests/conftest.py``, so
their fixtures reach every test as a conftest's would; ``web_fixtures`` is registered by the
web test modules (``pytest_plugins``), so that only they import the web app.
"""
