"""The build stage: check the parsed sources and publish them as a release.

- ``checks``: SHACL, the QC queries, link integrity and the OWL check, run together;
- ``reasoning``: the OWL 2 consistency check under HermiT, on a projection it can read;
- ``report``: what the checks found, as text, JSON or Turtle;
- ``publish``: the release's files (dumps, ontology docs, VoID, CSV exports);
- ``void``: the VoID and DCAT description of a release;
- ``ntsort``: the external sort that orders every dump;
- ``sortkeys``: the pinyin sort keys of the Chinese labels, spelled while the citations compile;
- ``diff``: what changed between two releases;
- ``pipeline``: parse → check → publish, and building a release when the sources are newer.
"""
