"""LaTeX <-> Unicode for BibTeX field values.

bibtexparser's LatexDecodingMiddleware (pylatexenc) costs milliseconds per entry; a library of 100k records
needs a decoder that costs microseconds. Most values have no backslash or brace at all and take the fast path;
the rest go through a few compiled regular expressions covering what real .bib files contain: accents in every
bracing style, special letters, escaped specials, dashes, quotes, text-style commands and simple math symbols.
Unknown commands are kept (without their backslash) rather than dropped, so no text is lost.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["ACCENTS", "ESCAPES", "LETTERS", "decode_latex", "encode_latex", "squash_spaces", "strip_braces"]

# What the decoder maps: accent commands to combining marks, letter and symbol commands to characters, escaped
# characters to what they stand for (read-only tables; encode_latex uses their reverse).
ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
    "d": "\u0323",
    "b": "\u0331",
    "t": "\u0361",
}
LETTERS = {
    "ss": "ß", "o": "ø", "O": "Ø", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "aa": "å", "AA": "Å",
    "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ", "dh": "ð", "DH": "Ð", "th": "þ", "TH": "Þ", "ng": "ŋ", "NG": "Ŋ",
    "copyright": "©", "textregistered": "®", "texttrademark": "™", "textendash": "–", "textemdash": "—",
    "textquoteright": "’", "textquoteleft": "‘", "textquotedblleft": "“", "textquotedblright": "”",
    "textbackslash": "\\", "textasciitilde": "~", "textasciicircum": "^", "textbar": "|", "textless": "<",
    "textgreater": ">", "textdegree": "°", "textmu": "µ", "textperthousand": "‰", "S": "§", "P": "¶",
    "dag": "†", "ddag": "‡", "textbullet": "•", "ldots": "…", "dots": "…", "textellipsis": "…",
    "pounds": "£", "euro": "€", "textsuperscript": "", "guillemotleft": "«", "guillemotright": "»",
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π",
    "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Pi": "Π", "Sigma": "Σ", "Phi": "Φ",
    "Psi": "Ψ", "Omega": "Ω", "pm": "±", "times": "×", "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥",
    "neq": "≠", "approx": "≈", "infty": "∞", "cdot": "·", "to": "→", "rightarrow": "→", "leftarrow": "←",
    "sim": "∼", "deg": "°", "circ": "°", "prime": "′", "ell": "ℓ", "partial": "∂", "sum": "∑",
    "Xi": "Ξ", "Upsilon": "Υ", "iota": "ι", "upsilon": "υ", "div": "÷", "in": "∈", "mp": "∓", "surd": "√",
    "propto": "∝", "equiv": "≡", "ll": "≪", "gg": "≫", "textminus": "−", "textcelsius": "℃",
    "nobreak": "\u2060",
    "psq": " f.", "psqq": " ff.",  # biblatex's "and the following page(s)": pages = {579\psqq}
}
ESCAPES = {"&": "&", "%": "%", "$": "$", "#": "#", "_": "_", "{": "{", "}": "}", " ": " ", ",": "\u2009",
            "-": "", "/": "", "@": "@", "\\": "\n"}
_STYLE_COMMANDS = (
    "emph|textit|textbf|textsc|textrm|textsf|texttt|textup|textmd|textnormal|mathrm|mathit|mathbf|mathsf|"
    "mathtt|mathcal|mbox|hbox|text|uppercase|lowercase|underline|textsubscript|textsuperscript|enquote|"
    "NoCaseChange|ensuremath|url|nolinkurl|bibinfo|protect"
)

# a braced letter may be any letter, so that nested accents decode from the inside out: {\={\"O}} -> {\={Ö}} -> Ȫ
_ACCENT_RE = re.compile(
    r"\\(?:a(?=['`=]))?([`'^\"~=.])\s*(?:\{\s*(\\?[A-Za-z]|\\[ij]|[^\W\d_])\s*\}|(\\?[A-Za-z]))"
    r"|\\([uvHckrdbt])(?:\s*\{\s*(\\?[A-Za-z]|[^\W\d_])\s*\}|\s+([A-Za-z]))"
)
# \textsuperscript{2}, \textsubscript{\textminus}: the Unicode superscript or subscript character
_SCRIPT_RE = re.compile(r"\\text(super|sub)script\s*\{\s*([0-9+=()]|-|\$-\$|\\textminus(?:\{\})?)\s*\}")
_SCRIPTS = {"super": dict(zip("0123456789+=()-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁼⁽⁾⁻", strict=True)),
            "sub": dict(zip("0123456789+=()-", "₀₁₂₃₄₅₆₇₈₉₊₌₍₎₋", strict=True))}
# primes and the minus sign in math mode ($'$, $''$, $'''$ longest first, $-$) and the zero-width space as
# LaTeX spells it
_MATH_PRIMES = (("$'''$", "‴"), ("$''$", "″"), ("$'$", "′"), ("$-$", "−"))
_ZERO_WIDTH_SPACE = r"\hspace{0pt}"
_STYLE_RE = re.compile(r"\\(?:" + _STYLE_COMMANDS + r")\s*(?:\[[^\]]*\])?\s*\{([^{}]*)\}")
_COMMAND_RE = re.compile(r"\\([A-Za-z]+)(?:\{\}|(?![A-Za-z]))|\\(.)")
_BRACED_LETTER_RE = re.compile(r"\{(\\[A-Za-z]+|.)\}")
_SPACE_RE = re.compile(r"\s+")
# escaped specials are swapped for placeholders so later steps (math, braces, ~) leave them alone
# (lone surrogates: text decoded from UTF-8 never holds one, so no value can be mistaken for a placeholder; a
# text backslash is one too, so that the $ or ~ after \textbackslash{} is not taken for an escaped one)
_PLACEHOLDERS = {c: chr(0xD800 + i) for i, c in enumerate("&%$#_{}~^\\")}
LETTERS["textasciitilde"] = _PLACEHOLDERS["~"]
LETTERS["textasciicircum"] = _PLACEHOLDERS["^"]
LETTERS["textbackslash"] = _PLACEHOLDERS["\\"]
_PLACEHOLDER_RE = re.compile("[\ud800-\ud809]")
_ESCAPED_SPECIAL_RE = re.compile(r"\\([&%$#_{}])")
_MATH_SHIFT_RE = re.compile(r"(?<!\\)\$")


def _accent(match: re.Match[str]) -> str:
    mark = match.group(1) or match.group(4)
    letter = match.group(2) or match.group(3) or match.group(5) or match.group(6) or ""
    if letter in ("\\i", "\\ı"):
        letter = "i"
    elif letter == "\\j":
        letter = "j"
    elif letter.startswith("\\"):
        letter = LETTERS.get(letter[1:], letter[1:])
    return unicodedata.normalize("NFC", letter + ACCENTS[mark])


def _script(match: re.Match[str]) -> str:
    inner = match.group(2)
    return _SCRIPTS[match.group(1)]["-" if inner.startswith(("$", "\\")) else inner]


def _command(match: re.Match[str]) -> str:
    name, symbol = match.group(1), match.group(2)
    if name is not None:
        return LETTERS.get(name, name)
    return ESCAPES.get(symbol, symbol)


def strip_braces(text: str) -> str:
    return text.replace("{", "").replace("}", "")


_TILDE_RE = re.compile(r"(?<!\\)~")


def _squash(text: str) -> str:
    """Whitespace runs (any Unicode whitespace, no-break spaces included) -> one space, ends trimmed: the same
    as ``re.sub(r"\\s+", " ", text).strip()``, without building a new string when ASCII text is already clean."""
    if (text.isascii() and "  " not in text and text[:1] != " " and text[-1:] != " " and "\n" not in text
            and "\t" not in text and "\r" not in text and "\x0b" not in text and "\x0c" not in text
            and "\x1c" not in text and "\x1d" not in text and "\x1e" not in text and "\x1f" not in text):
        return text
    return " ".join(text.split())


def squash_spaces(text: str) -> str:
    """``" ".join(text.split())``, without splitting and joining a long text (an abstract) that is already so."""
    return _squash(text)


def decode_latex(value: str) -> str:
    """Turn a BibTeX field value (without its outer delimiters) into plain Unicode text.

    Each pass runs only when its trigger character is in the text: long abstracts with one ``{HSG}`` would
    otherwise pay for every regular expression.
    """
    if "\\" not in value and "{" not in value and "~" not in value and "--" not in value and "$" not in value:
        return _squash(value)  # (non-ASCII white space too, as below)
    text = value
    if "\\" in text:
        text = _ESCAPED_SPECIAL_RE.sub(lambda m: _PLACEHOLDERS[m.group(1)], text)
        if _ZERO_WIDTH_SPACE in text:
            text = text.replace(_ZERO_WIDTH_SPACE, "\u200b")
        if "script" in text:
            text = _SCRIPT_RE.sub(_script, text)
        for _ in range(3):  # nested accents, innermost first
            new = _ACCENT_RE.sub(_accent, text)
            done = new == text or "\\" not in new
            text = new
            if done:
                break
        for _ in range(3):  # nested \emph{\textbf{...}}
            if "\\" not in text:
                break
            new = _STYLE_RE.sub(r"\1", text)
            if new == text:
                break
            text = new
        if "\\" in text:
            text = _COMMAND_RE.sub(_command, text)
    if "$'" in text or "$-$" in text:  # (after escaped dollars became placeholders)
        for spelled, prime in _MATH_PRIMES:
            text = text.replace(spelled, prime)
    if "$" in text:
        text = _MATH_SHIFT_RE.sub("", text).replace("^", "").replace("\\$", "$")
    if "--" in text:
        text = text.replace("---", "\u2014").replace("--", "\u2013")
    if "~" in text:
        text = _TILDE_RE.sub("\u00a0", text)
    text = strip_braces(text)
    if not text.isascii() and _PLACEHOLDER_RE.search(text):  # placeholders are not ASCII
        for char, placeholder in _PLACEHOLDERS.items():
            text = text.replace(placeholder, char)
    return _squash(text)


_ENCODE_SPECIALS = {"&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_", "$": r"\$", "{": r"\{", "}": r"\}",
                    "\\": r"\textbackslash{}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
# letters LaTeX has a text-mode command for ({\o}, {\ss}); the Greek letters and symbols of LETTERS are math-mode
_TEXT_LETTERS = ("ss", "o", "O", "ae", "AE", "oe", "OE", "aa", "AA", "l", "L", "i", "j", "dh", "DH", "th", "TH",
                 "ng", "NG")
_REVERSE_LETTERS = {LETTERS[name]: name for name in _TEXT_LETTERS}
_MATH_NAMES = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu",
               "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega", "Gamma", "Delta",
               "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega", "pm", "times", "leq", "geq",
               "neq", "approx", "infty", "cdot", "rightarrow", "leftarrow", "sim", "ell", "partial", "sum", "div",
               "in", "mp", "surd", "propto", "equiv", "ll", "gg")
_REVERSE_MATH = {LETTERS[name]: f"${chr(92)}{name}$" for name in reversed(_MATH_NAMES)}  # first name wins
_REVERSE_ACCENTS = {v: k for k, v in ACCENTS.items()}
# every spelling here reads back through decode_latex as the character it spells (tests/test_roundtrip_exports.py)
_EXTRA_UNICODE = {"\u2013": "--", "\u2014": "---", "\u2019": r"\textquoteright{}", "\u2018": r"\textquoteleft{}",
                  "\u201c": r"\textquotedblleft{}", "\u201d": r"\textquotedblright{}", "\u00a0": "~",
                  "\u2009": "\\,", "…": r"\ldots{}", "°": r"$^\circ$", "µ": r"\textmu{}", "−": "$-$",
                  "℃": r"\textcelsius{}", "\u200b": r"\hspace{0pt}", "\u2060": r"\nobreak{}",
                  "©": r"\copyright{}", "®": r"\textregistered{}", "™": r"\texttrademark{}", "€": r"\euro{}",
                  "£": r"\pounds{}", "§": r"\S{}", "¶": r"\P{}", "†": r"\dag{}", "‡": r"\ddag{}",
                  "•": r"\textbullet{}", "«": r"\guillemotleft{}", "»": r"\guillemotright{}",
                  "‰": r"\textperthousand{}"}


def _encode_char(char: str) -> str:
    if char in _ENCODE_SPECIALS:
        return _ENCODE_SPECIALS[char]
    if char.isascii():
        return char
    if char in _EXTRA_UNICODE:
        return _EXTRA_UNICODE[char]
    if char in _REVERSE_MATH:
        return _REVERSE_MATH[char]
    if char in _REVERSE_LETTERS:
        return "{\\" + _REVERSE_LETTERS[char] + "}"
    decomposed = unicodedata.normalize("NFD", char)
    base, marks = decomposed[0], decomposed[1:]
    # accents on an ASCII letter; not a character whose composed form is another one (the Angstrom sign would
    # read back as Å): decode_latex composes (NFC)
    if (base.isascii() and base.isalpha() and marks and all(m in _REVERSE_ACCENTS for m in marks)
            and unicodedata.normalize("NFC", decomposed) == char):
        out = "\\i" if base == "i" else base
        for mark in marks:  # innermost first: {\={\"O}}
            cmd = _REVERSE_ACCENTS[mark]
            out = "\\" + cmd + ("{" + out + "}" if cmd.isalpha() or out.startswith("\\") else out)
        return "{" + out + "}"
    return char  # kept as UTF-8; biber and modern bibtex read it


def encode_latex(text: str) -> str:
    """Unicode text -> LaTeX that classic BibTeX + pdflatex compile (the export path for LaTeX users)."""
    if text.isascii() and not any(c in text for c in _ENCODE_SPECIALS) and "--" not in text:
        return text
    pieces = [_encode_char(c) for c in text]
    if "-" in text or "\u2013" in text or "\u2014" in text:
        # dashes next to each other (two hyphens, an en dash and a hyphen...) would run together into a longer
        # dash: "{}" between them keeps them apart when typeset and when read back
        for index in range(1, len(pieces)):
            if pieces[index].startswith("-") and pieces[index - 1].endswith("-"):
                pieces[index] = "{}" + pieces[index]
    return "".join(pieces)
