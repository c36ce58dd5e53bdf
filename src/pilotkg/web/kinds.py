"""What the interface calls each kind of thing (``/id/{kind}/``), for one and for many.

The ontology's class labels name one thing ("AI pilot zone", 人工智能试点区); a count
("29 AI pilot zones") or a list needs the plural, which RDF labels do not carry and
which each language forms by its own rule (Chinese has one form). So each kind's noun
is a gettext plural message whose singular is the class's English label, translated in
the catalogue like every other word, in the context ``kind`` (``msgctxt``) so that a
word such as "source" used elsewhere keeps its own entry; ``tests/web/test_i18n.py``
checks that the singular in each language is still the class's label there.
"""

from __future__ import annotations

from .i18n import translations


def kind_noun(kind: str, count: int, lang: str) -> str:
    """The noun for ``count`` things of ``kind`` (a key of ``KIND_CLASSES``) in ``lang``."""
    npgettext = translations(lang).npgettext
    nouns = {
        "zone": npgettext("kind", "AI pilot zone", "AI pilot zones", count),
        "base": npgettext(
            "kind", "AI application pilot test base", "AI application pilot test bases", count
        ),
        "policy": npgettext("kind", "policy document", "policy documents", count),
        "region": npgettext("kind", "region", "regions", count),
        "sector": npgettext("kind", "sector", "sectors", count),
        "org": npgettext("kind", "organisation", "organisations", count),
        "source": npgettext("kind", "source", "sources", count),
        "event": npgettext("kind", "event", "events", count),
        "target": npgettext("kind", "policy target", "policy targets", count),
        "measure": npgettext("kind", "policy measure", "policy measures", count),
        "programme": npgettext("kind", "pilot programme", "pilot programmes", count),
        "person": npgettext("kind", "person", "people", count),
        "figure": npgettext("kind", "figure", "figures", count),
        "scheme": npgettext("kind", "concept scheme", "concept schemes", count),
    }
    return nouns[kind]
