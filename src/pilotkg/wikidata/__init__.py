"""Linking the graph to Wikidata (``pilotkg link wikidata``).

pilotkg links its regions and organisations to Wikidata with ``owl:sameAs`` and
its sectors with ``skos:exactMatch`` / ``skos:closeMatch``; the work is split
into small modules with one job each:

- ``labels``: names, labels and type rules every part shares;
- ``client``: ask an endpoint, cache the answers on disk;
- ``items``: the queries written against Wikidata's data model;
- ``local``: our entities and their links, read from the sources;
- ``check`` and ``propose``: the two tasks;
- ``review``: the reviewable proposal file (Turtle or CSV);
- ``command``: the ``link`` command.
"""
