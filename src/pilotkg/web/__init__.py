"""``pilotkg serve``: the HTTP side of pilotkg (SPARQL endpoint, Linked Data pages, dumps, queries).

``app.create_app(settings)`` builds the Starlette app; ``command.serve`` is the
click command. Nothing is imported here, so the query worker processes, which
import ``pilotkg.web.workers``, start without loading the web stack.
"""
