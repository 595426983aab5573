"""Evidence tracking: topic taxonomy and auto-tagging, study design, evidence level, editor fields, and the links
between studies and encyclopedia entries (cited / discussed) with the entries' reference blocks.

Files editors maintain: ``taxonomy.toml`` (topics and their rules) and ``encyclopedia.toml`` (entries), both
beside ``references.bib``; see :mod:`.taxonomy` and :mod:`.entries` for their formats. Everything here is pure
or works through :class:`library.Library`; nothing does network I/O.

Entry points for the importer and the dashboard::

    from library.evidence import taxonomy_for, entries_for, classify_record, link_study, entry_references
    taxonomy = taxonomy_for(lib.path)
    lib.add(classify_record(record, taxonomy))          # on import
    link_study(lib, "dreyer2017oil", "hysterosalpingogram", "discussed"); lib.save()
    html = render_references(entry_references(lib, "hysterosalpingogram", entries_for(lib.path)), "html")
"""

from .checks import evidence_problems, record_problems
from .classify import Classification, classify, classify_record, match_topics, most_specific
from .design import DESIGN_LABELS, DESIGNS, DesignGuess, detect_design
from .editor import EDITOR_FIELDS, STANCES, InvalidValueError, level_for, parse_grade, set_field, tag, untag
from .encyclopedia import Encyclopedia, EntriesError, Entry, UnknownEntryError, entries_for, load_entries, parse_entries
from .level import QUESTIONS, SCHEME, Level, derive_level, parse_level
from .links import (
    EntryReferences,
    LinkError,
    add_link,
    entry_references,
    link_study,
    linked_keys,
    next_number,
    remove_links,
    unlink_study,
)
from .render import design_label, identifier_links, level_label, render_references
from .taxonomy import Taxonomy, TaxonomyError, Topic, UnknownTopicError, load_taxonomy, parse_taxonomy, taxonomy_for
from .tomlfile import EvidenceFileError, FileProblem

__all__ = [
    "DESIGNS",
    "DESIGN_LABELS",
    "EDITOR_FIELDS",
    "QUESTIONS",
    "SCHEME",
    "STANCES",
    "Classification",
    "DesignGuess",
    "Encyclopedia",
    "EntriesError",
    "Entry",
    "EntryReferences",
    "EvidenceFileError",
    "FileProblem",
    "InvalidValueError",
    "Level",
    "LinkError",
    "Taxonomy",
    "TaxonomyError",
    "Topic",
    "UnknownEntryError",
    "UnknownTopicError",
    "add_link",
    "classify",
    "classify_record",
    "derive_level",
    "design_label",
    "detect_design",
    "entries_for",
    "entry_references",
    "evidence_problems",
    "identifier_links",
    "level_for",
    "level_label",
    "link_study",
    "linked_keys",
    "load_entries",
    "load_taxonomy",
    "match_topics",
    "most_specific",
    "next_number",
    "parse_entries",
    "parse_grade",
    "parse_level",
    "parse_taxonomy",
    "record_problems",
    "remove_links",
    "render_references",
    "set_field",
    "tag",
    "taxonomy_for",
    "unlink_study",
    "untag",
]
