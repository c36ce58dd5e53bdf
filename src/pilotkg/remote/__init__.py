"""Putting a release into someone else's triple store (``pilotkg load``).

- ``client``: one SPARQL 1.1 Protocol and Graph Store client for any store;
- ``loading``: the atomic load (a staging graph, counted, then moved over the target);
- ``verify``: the canned queries run on the store and on the release, compared;
- ``values``: comparing RDF terms as different stores return them;
- ``command``: the ``load`` command.
"""
