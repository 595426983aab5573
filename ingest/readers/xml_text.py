"""Text of XML mixed content: inline markup dropped (its text kept), MathML flattened to one line of text.

Shared by the PubMed XML reader and the Crossref reader (JATS abstracts). Pure functions over lxml elements;
comments, processing instructions and unexpanded entity references contribute nothing.
"""

from __future__ import annotations

from lxml import etree

__all__ = ["clean_text", "element_text", "leaf_text", "local_name", "mathml_text", "text_or_empty"]


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2].rpartition(":")[2]


def element_text(element: etree._Element) -> str:
    """Text of an element with inline markup dropped (its text kept) and MathML flattened to linear text.

    Comments, processing instructions and unexpanded entity references contribute nothing.
    """
    if not len(element):
        return element.text or ""
    parts = [element.text or ""]
    for child in element:
        tag = child.tag
        if isinstance(tag, str):
            if tag[-4:] == "math" and local_name(tag) == "math":
                parts.append(mathml_text(child))
            elif len(child):
                parts.append(element_text(child))
            else:
                parts.append(child.text or "")
        parts.append(child.tail or "")
    return "".join(parts)


_TOKENS = frozenset({"mi", "mn", "mo", "mtext", "ms", "cn", "ci", "csymbol", "mglyph"})
_SYMBOLS = {"infinity": "∞", "in": "∈", "notin": "∉", "complexes": "ℂ", "reals": "ℝ", "integers": "ℤ",
            "naturalnumbers": "ℕ", "rationals": "ℚ", "pi": "π", "exponentiale": "e", "imaginaryi": "i",
            "plus": "+", "minus": "-", "times": "×", "divide": "/", "eq": "=", "neq": "≠", "lt": "<", "gt": ">",
            "leq": "≤", "geq": "≥", "approx": "≈", "sum": "∑", "product": "∏", "int": "∫", "emptyset": "∅"}
_SKIPPED = frozenset({"annotation", "annotation-xml", "mphantom", "none", "mprescripts", "maligngroup",
                      "malignmark", "mspace"})


def _wrap(text: str) -> str:
    """Parenthesize compound operands: 'x^(n+1)', '(a+1)/b'; single tokens stay bare."""
    return text if len(text) <= 1 or text.isalnum() or (text[0] == "(" and text[-1] == ")") else f"({text})"


def _script(base: str, mark: str, script: str) -> str:
    if not script:
        return base
    if mark == "_" and script.isdecimal():
        return f"{base}{script}"  # CO2, H2O, a1: how plain text writes numeric subscripts
    return f"{base}{mark}{_wrap(script)}"


def mathml_text(element: etree._Element) -> str:
    """MathML (presentation or content markup) as one line of plain text: 'η_p^2', '(a+1)/b', '√(x)'."""
    name = local_name(element.tag) if isinstance(element.tag, str) else ""
    if not name or name in _SKIPPED:
        return ""
    if name in _TOKENS:
        return clean_text(" ".join(t.strip() for t in element.itertext() if t.strip()))
    if name in _SYMBOLS and not len(element):
        return _SYMBOLS[name]
    kids = [mathml_text(child) for child in element if isinstance(child.tag, str)]
    if name == "semantics":
        return kids[0] if kids else ""
    if name in ("msub", "munder") and len(kids) >= 2:
        return _script(kids[0], "_", kids[1])
    if name in ("msup", "mover") and len(kids) >= 2:
        return _script(kids[0], "^", kids[1])
    if name in ("msubsup", "munderover") and len(kids) >= 3:
        return _script(_script(kids[0], "_", kids[1]), "^", kids[2])
    if name == "mfrac" and len(kids) >= 2:
        return f"{_wrap(kids[0])}/{_wrap(kids[1])}"
    if name == "msqrt":
        return f"√({''.join(kids)})"
    if name == "mroot" and len(kids) >= 2:
        return f"{_wrap(kids[0])}^(1/{kids[1]})"
    if name == "mfenced":
        separators = (element.get("separators", ",") or "").strip()
        glue = separators[:1]
        return f"{element.get('open', '(')}{glue.join(kids)}{element.get('close', ')')}"
    if name in ("mtable", "matrix"):
        return "[" + "; ".join(kids) + "]"
    if name in ("mtr", "mlabeledtr", "matrixrow"):
        return " ".join(k for k in kids if k)
    if name == "apply" and kids:
        operator = kids[0]
        return operator.join(kids[1:]) if len(kids) > 2 and len(operator) == 1 else "".join(kids)
    return "".join(kids)


def clean_text(text: str) -> str:
    """Whitespace runs collapsed to one space, ends trimmed (str.split() and the regex \\s agree on what
    whitespace is; split + join is several times faster than a regex substitution on long abstracts)."""
    if "\n" in text or "  " in text or "\t" in text or "\r" in text:
        return " ".join(text.split())
    return text.strip()


def leaf_text(element: etree._Element) -> str:
    return clean_text(element.text or "") if not len(element) else clean_text(element_text(element))




def text_or_empty(element: etree._Element | None) -> str:
    """_leaf_text of an optional element, with _clean inlined (called for most fields of every record)."""
    if element is None:
        return ""
    if len(element):
        return clean_text(element_text(element))
    text = element.text
    if not text:
        return ""
    if "\n" in text or "  " in text or "\t" in text or "\r" in text:
        return " ".join(text.split())
    return text.strip()
