"""HTML building blocks of the published site: escaping, the page frame, the stylesheet and the scripts.

Everything from a record is untrusted: it goes through :func:`esc` (text and attribute values) and links only
through :func:`safe_href` (http/https only) or are built from sanitized slugs. JSON inside ``<script>`` escapes
``<``, ``>`` and ``&`` so no record text can close the script element. Templates are plain f-strings: with 100k
study pages, a template engine's per-page overhead would dominate.
"""

from __future__ import annotations

import html
import json
import re
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlsplit

from ..textfold import LETTERS

__all__ = ["CSS", "SEARCH_JS", "esc", "json_script", "json_string", "page", "page_parts", "safe_href"]


def esc(text: object) -> str:
    """``html.escape(str(text), quote=True)``; text without a character to escape is returned as it is (most
    of a page's pieces: five ``in`` tests, each a memchr, instead of five replacements or a regular expression,
    which costs several times as much on an abstract)."""
    value = text if type(text) is str else str(text)
    if "&" in value or "<" in value or ">" in value or '"' in value or "'" in value:
        return html.escape(value, quote=True)
    return value


# an http(s) address of a plain host and only characters quote() keeps (doi.org, PubMed links): as it is
_PLAIN_HTTP = re.compile(r"https?://[A-Za-z0-9.-]+(?:[/?#][A-Za-z0-9_.~:/?#@!$&'*+,;=%-]*)?")


def safe_href(url: str) -> str:
    """An escaped http(s) address, or '' for anything else (javascript:, data:, relative, unknown schemes)."""
    text = url.strip()
    if _PLAIN_HTTP.fullmatch(text):  # what the split and the quoting below keep unchanged
        return esc(text)
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return esc(quote(text, safe=":/?#@!$&'*+,;=%-._~", errors="surrogatepass"))


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def json_script(data: Any) -> str:
    """JSON safe to place inside <script>: no '</script>', no '<!--'."""
    return _script_safe(_JSON.encode(data))


def json_string(value: Any) -> str:
    """:func:`json_script` of one value, made faster for a string: one without a character JSON escapes (a
    control character, '"' or '\\') is put between quotes as it is (the json module's encoder escapes a long
    abstract character by character), the same text."""
    if type(value) is str and '"' not in value and "\\" not in value and (
            value.isprintable() if len(value) < 64 else _no_control(value)):
        if "&" in value or "<" in value or ">" in value:
            return _script_safe(f'"{value}"')
        return f'"{value}"'
    return _script_safe(_JSON.encode(value))


_CONTROL = bytes(range(32))  # what JSON escapes besides '"' and '\\'


def _no_control(text: str) -> bool:
    """No character below U+0020 in ``text``: tested on its UTF-8 bytes in C (several times faster on an abstract
    than ``isprintable``, which looks every character up; in UTF-8 such a byte is always that character)."""
    data = text.encode("utf-8", "surrogatepass")
    return len(data.translate(None, _CONTROL)) == len(data)


def _script_safe(text: str) -> str:
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


@lru_cache(maxsize=64)
def _frame(root: str, site_title: str) -> tuple[str, str, str, str]:
    """The fixed pieces of :func:`page` around its title, head links, head and body."""
    site = esc(site_title)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
            f" — {site}</title>\n",
            f"<link rel=\"stylesheet\" href=\"{root}assets/site.css\">\n",
            "</head>\n<body>\n"
            f"<header class=\"site\"><a href=\"{root}index.html\">{site}</a>"
            f"<nav><a href=\"{root}library/index.html\">Library</a> <a href=\"{root}topics/index.html\">Topics</a> "
            f"<a href=\"{root}designs/index.html\">Study designs</a> <a href=\"{root}entries/index.html\">Entries</a> "
            f"<a href=\"{root}feed.rss.xml\">RSS</a></nav></header>\n<main>\n")


def page(title: str, body: str, root: str, site_title: str, *, head: str = "", canonical: str = "",
         scripts: str = "", feeds: tuple[tuple[str, str, str], ...] = ()) -> str:
    """A whole HTML5 page; ``root`` is the relative path to the site root ('' or '../'); ``feeds`` are
    (type, href, title) alternate links (hrefs are site-relative, built from slugs)."""
    return "".join(page_parts(title, [body], root, site_title, head=head, canonical=canonical, scripts=scripts,
                              feeds=feeds))


def page_parts(title: str, body: list[str], root: str, site_title: str, *, head: str = "", canonical: str = "",
               scripts: str = "", feeds: tuple[tuple[str, str, str], ...] = ()) -> list[str]:
    """:func:`page` as pieces to join, the body given as pieces too (a study page's 10 kB body and its related
    studies are copied once, into the page)."""
    start, title_end, stylesheet, body_start = _frame(root, site_title)
    parts = [start, esc(title), title_end]
    if canonical:
        parts += ('<link rel="canonical" href="', esc(canonical), '">\n')
    parts += [f'<link rel="alternate" type="{kind}" href="{esc(href)}" title="{esc(name)}">\n'
              for kind, href, name in feeds]
    parts += (stylesheet, head, body_start, *body, "\n</main>\n", scripts, "</body>\n</html>\n")
    return parts


CSS = """body{font-family:system-ui,sans-serif;margin:0;color:#222;line-height:1.5}
header.site{background:#234;padding:.6em 1em}header.site a{color:#fff;margin-right:1em;text-decoration:none}
main{max-width:52em;margin:1em auto;padding:0 1em}ul.studies{padding-left:1.2em}ul.studies li{margin:.4em 0}
.meta{color:#555;font-size:.92em}.badge{display:inline-block;border:1px solid #888;border-radius:.8em;
padding:0 .5em;margin-right:.3em;font-size:.85em}.badge.warn{border-color:#b60;color:#840}
.cite{border-left:3px solid #ccc;padding-left:.6em;margin:.4em 0}.chips a{margin-right:.6em}
nav.pages a{margin-right:.5em}#search-results:empty{display:none}
"""

# Search: loads the shards listed in search/meta.json, matches every query word against title, authors,
# abstract, topics and design, shows the first 100 hits. Words and text are folded as reflib's own search folds
# them (library.textfold: NFKD, combining marks dropped, lower case, the same letter table): "muller" finds
# "Müller". Built with DOM text nodes only (no innerHTML), so
# record text can never become markup. Without JavaScript the form stays hidden and the plain list is shown.
SEARCH_JS = """(function(){
var form=document.getElementById('search');if(!form){return;}form.hidden=false;
var input=document.getElementById('q'),out=document.getElementById('search-results'),
list=document.getElementById('plain-list'),docs=null,base=form.getAttribute('data-index');
function load(){if(docs){return Promise.resolve(docs);}
return fetch(base+'meta.json').then(function(r){return r.json();}).then(function(m){
var ps=[];for(var i=0;i<m.shards;i++){ps.push(fetch(base+i+'.json').then(function(r){return r.json();}));}
return Promise.all(ps);}).then(function(parts){docs=[].concat.apply([],parts);return docs;});}
var LETTERS=@LETTERS@,SPECIAL=new RegExp('['+Object.keys(LETTERS).join('')+']','g');
function norm(s){return (s||'').normalize('NFKD').replace(/\\p{Mn}+/gu,'').toLowerCase().replace(SPECIAL,
function(c){return LETTERS[c];});}
function run(){var words=norm(input.value).split(/\\s+/).filter(Boolean);
while(out.firstChild){out.removeChild(out.firstChild);}
if(!words.length){list.hidden=false;return;}
load().then(function(all){var hits=[];for(var i=0;i<all.length&&hits.length<100;i++){var d=all[i],
h=norm(d[1]+' '+d[2]+' '+d[3]+' '+d[4]+' '+d[5]+' '+d[6]+' '+d[7]);
if(words.every(function(w){return h.indexOf(w)>=0;})){hits.push(d);}}
list.hidden=true;var p=document.createElement('p');p.textContent=hits.length+(hits.length==100?'+':'')+
' matching studies';out.appendChild(p);var ul=document.createElement('ul');ul.className='studies';
hits.forEach(function(d){var li=document.createElement('li'),a=document.createElement('a');
a.href=d[0]+'.html';a.textContent=d[1];li.appendChild(a);var s=document.createElement('span');
s.className='meta';s.textContent=' '+d[2]+' · '+d[3]+' · '+d[5];li.appendChild(s);ul.appendChild(li);});
out.appendChild(ul);});}
form.addEventListener('submit',function(e){e.preventDefault();run();});input.addEventListener('input',run);
})();
""".replace("@LETTERS@", json.dumps(LETTERS, ensure_ascii=True, sort_keys=True))

COPY_JS = """(function(){document.querySelectorAll('button[data-copy]').forEach(function(b){b.hidden=false;
b.addEventListener('click',function(){var t=document.getElementById(b.getAttribute('data-copy'));
if(t&&navigator.clipboard){navigator.clipboard.writeText(t.textContent);b.textContent='Copied';}});});})();
"""
