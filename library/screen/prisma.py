"""PRISMA 2020 flow of the screening inbox: identification -> duplicates removed -> screened -> excluded (by
reason) -> included, per saved search / source or per encyclopedia entry; drawn as SVG (text escaped) or PNG."""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from .inbox import Inbox

__all__ = ["Flow", "flow", "to_png", "to_svg"]


@dataclass(slots=True)
class Flow:
    label: str
    identified: dict[str, int] = field(default_factory=dict)  # source -> records found
    duplicates: int = 0
    removed_other: int = 0  # removed before screening for another reason: no title and no identifier
    screened: int = 0
    excluded: dict[str, int] = field(default_factory=dict)  # reason -> records
    included: int = 0
    undecided: int = 0  # screened, neither included nor excluded yet: maybe, or reviewers who disagree
    awaiting: int = 0  # not screened yet (in two-reviewer mode: not by both reviewers)
    old_runs: int = 0  # an entry's flow: runs logged before the inbox recorded a run's entry (counted by source)

    @property
    def note(self) -> str:
        """How the older runs were counted ('' when there are none)."""
        if not self.old_runs:
            return ""
        return (f"{self.old_runs} identification run(s) logged before the inbox recorded each run's entry are "
                "counted in full for every entry their source fed, so 'identified' may include records found for "
                "other entries")

    def to_json(self) -> dict[str, object]:
        return {"label": self.label, "identified": self.identified, "identified_total": sum(self.identified.values()),
                "duplicates_removed": self.duplicates, "removed_other": self.removed_other,
                "screened": self.screened, "excluded": self.excluded,
                "excluded_total": sum(self.excluded.values()), "included": self.included, "undecided": self.undecided,
                "awaiting": self.awaiting, "old_runs": self.old_runs, "note": self.note}


def flow(inbox: Inbox, source: str | None = None, entry: str | None = None) -> Flow:
    """The flow of one source (saved search name or file), one entry, or the whole inbox.

    An entry's flow counts the identification runs made for that entry (each run records its entry since inbox
    schema 3): identified = duplicates removed + removed for other reasons + screened + awaiting. A run logged
    before (schema 2) did not record its entry: it is counted, as schema 2 did, in full for every entry whose
    records (added before schema 3) came from its source, so such a flow may count another entry's records among
    the identified ones; :attr:`Flow.note` then says how many runs were counted so.
    """
    label = f"search {source}" if source else f"entry {entry}" if entry else "all searches"
    where, params = [], []
    if source:
        where.append("source = ?")
        params.append(source)
    if entry:
        where.append("entry = ?")
        params.append(entry)
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    rows = inbox.conn.execute(f"SELECT id, source, state, run FROM records{clause}", params).fetchall()  # noqa: S608
    # runs logged without their entry: counted for an entry when records of that entry without a run came from
    # their source
    unknown = {str(r[1]) for r in rows if r[3] is None}
    out = Flow(label)
    for item in inbox.identified():
        if source and item["source"] != source:
            continue
        if entry and item["entry"] != entry:
            if int(item["logged"]) >= 3 or item["source"] not in unknown:  # type: ignore[call-overload]
                continue
            out.old_runs += 1
        name = str(item["source"])
        found, added = int(item["found"]), int(item["added"])  # type: ignore[call-overload]
        out.identified[name] = out.identified.get(name, 0) + found
        duplicates = int(item["in_library"]) + int(item["in_inbox"])  # type: ignore[call-overload]
        out.duplicates += duplicates
        # what the source gave that is neither a duplicate nor added: skipped (no title, no identifier)
        out.removed_other += max(0, found - duplicates - added)
    states = Counter(str(r[2]) for r in rows)
    ids = {int(r[0]) for r in rows}
    out.included = states["included"]
    out.undecided = states["maybe"] + states["conflict"]
    out.awaiting = states["open"]  # each record counted once: identified = removed + screened + awaiting
    out.excluded = dict(Counter((why or "no reason") for i, _, why in inbox.exclusions() if i in ids).most_common())
    out.screened = out.included + sum(out.excluded.values()) + out.undecided
    return out


def _boxes(f: Flow) -> list[tuple[int, int, int, int, list[str]]]:
    """(x, y, width, height, lines) of each box in a 760 x 560 canvas."""
    ident = [f"Records identified (n = {sum(f.identified.values())})"]
    ident += _listed(sorted(f.identified.items()), 6, 48, "sources")
    excl = [f"Records excluded (n = {sum(f.excluded.values())})"]
    excl += _listed(list(f.excluded.items()), 8, 28, "reasons")
    return [
        (20, 20, 420, 40 + 18 * len(ident), ident),
        (480, 20, 260, 78, ["Records removed before screening:", f"  duplicates (n = {f.duplicates})",
                            f"  other reasons (n = {f.removed_other})"]),
        (20, 220, 420, 60, [f"Records screened (n = {f.screened}; undecided {f.undecided})",
                            f"Awaiting screening (n = {f.awaiting})"]),
        (480, 200, 260, 40 + 18 * len(excl), excl),
        (20, 420, 420, 60 + 18 * bool(f.old_runs), [f"Studies included (n = {f.included})", f"({f.label})",
                                                     *([f"identified: {f.old_runs} older run(s) counted by source"]
                                                       if f.old_runs else [])]),
    ]


def _listed(counts: list[tuple[str, int]], most: int, width: int, what: str) -> list[str]:
    """One line per name, at most ``most`` lines: the last one sums the rest (the lines add up to the box's n)."""
    shown = counts if len(counts) <= most else counts[:most - 1]
    lines = [f"  {_fit(name, width)}: {n}" for name, n in shown]
    if len(shown) < len(counts):
        lines.append(f"  {len(counts) - len(shown)} more {what}: {sum(n for _, n in counts[len(shown):])}")
    return lines


def _fit(text: str, most: int) -> str:
    """A name that fits its box: a long one keeps its end (a file's name is at the end of its path)."""
    return text if len(text) <= most else "\u2026" + text[-(most - 1):]


def _arrows(boxes: list[tuple[int, int, int, int, list[str]]]) -> list[tuple[int, int, int, int]]:
    """Connectors from box edge to box edge: identified -> screened -> included, and each to its side box."""
    (ix, iy, iw, ih, _), (dx, _, _, _, _), (sx, sy, sw, sh, _), (ex, _, _, _, _), (_, ny, _, _, _) = boxes
    middle = ix + iw // 2
    return [(middle, iy + ih, middle, sy - 2), (middle, sy + sh, middle, ny - 2),
            (ix + iw, iy + 30, dx - 2, iy + 30), (sx + sw, sy + 30, ex - 2, sy + 30)]


def to_svg(f: Flow) -> str:
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="760" height="520" font-family="sans-serif" '
             'font-size="13">', '<rect width="760" height="520" fill="white"/>',
             '<defs><marker id="a" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">'
             '<path d="M0,0 L8,4 L0,8 z" fill="#333"/></marker></defs>',
             f'<title>PRISMA 2020 flow: {escape(f.label)}</title>']
    boxes = _boxes(f)
    for x, y, w, h, lines in boxes:
        parts.append(f'<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="#f4f6fa" stroke="#333"/>')
        for n, line in enumerate(lines):
            parts.append(f'<text x="{x + 10}" y="{y + 22 + 18 * n}" xml:space="preserve">{escape(line)}</text>')
    for x1, y1, x2, y2 in _arrows(boxes):
        parts.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#333" marker-end="url(#a)"/>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def to_png(f: Flow) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (760, 520), "white")
    draw = ImageDraw.Draw(image)
    try:  # Pillow's own scalable font: real word spaces (the old bitmap font ran "Records screened" together)
        font: ImageFont.ImageFont | ImageFont.FreeTypeFont = ImageFont.load_default(size=13)
    except (TypeError, OSError, ImportError):  # an old Pillow, or one without FreeType
        font = ImageFont.load_default()
    boxes = _boxes(f)
    for x, y, w, h, lines in boxes:
        draw.rectangle((x, y, x + w, y + h), fill="#f4f6fa", outline="#333333")
        for n, line in enumerate(lines):
            draw.text((x + 10, y + 10 + 18 * n), line, fill="black", font=font)
    for x1, y1, x2, y2 in _arrows(boxes):
        draw.line((x1, y1, x2, y2), fill="#333333", width=2)
        if x1 == x2:  # an arrowhead at the end, pointing down or right
            draw.polygon([(x2 - 5, y2 - 8), (x2 + 5, y2 - 8), (x2, y2)], fill="#333333")
        else:
            draw.polygon([(x2 - 8, y2 - 5), (x2 - 8, y2 + 5), (x2, y2)], fill="#333333")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
