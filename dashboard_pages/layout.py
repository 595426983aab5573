"""Page-wide presentation the widgets cannot set themselves: widths at 1400 px, the 800 px layout, contrast.

Only constant CSS and one constant script go into the page (no record text, nothing from the URL): the script
folds the sidebar away once per visit on windows narrower than :data:`NARROW_PX`, as Streamlit itself does only
below 768 px, so the content keeps its width at 800 px; the sidebar's own button opens it again.
"""

from __future__ import annotations

import streamlit as st

NARROW_PX = 1000

CSS = f"""
<style>
/* room for the table at 1400 px: less padding around the main block */
[data-testid="stMainBlockContainer"] {{ padding-left: 2.5rem; padding-right: 2.5rem; padding-top: 3rem; }}
/* captions and gray text at WCAG AA contrast (Streamlit's default gray is lighter than 4.5:1) */
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p {{ color: #4a4f5c !important;
                                                                          opacity: 1 !important; }}
[data-testid="stMarkdownContainer"] span[class*="gray"] {{ color: #4a4f5c !important; }}
/* filter chips show the whole topic, wrapping instead of cutting it */
[data-testid="stMultiSelectTagsContainer"] [data-tag] {{ max-width: 100% !important; height: auto !important;
                                                        white-space: normal !important; }}
[data-testid="stMultiSelectTagsContainer"] [data-tag] > span {{ white-space: normal !important;
    overflow: visible !important; text-overflow: clip !important; overflow-wrap: anywhere; }}
/* code blocks (citations, the study link): the copy button always shown, beside the text, never over it */
[data-testid="stCode"] pre {{ padding-right: 3rem !important; }}
[data-testid="stCode"] div:has(> div > [data-testid="stElementToolbarButton"]) {{ opacity: 1 !important;
                                                                                 visibility: visible !important; }}
/* headings below the page's one H1 are h2/h3 for the outline, at a reading size */
[data-testid="stMain"] h2 {{ font-size: 1.45rem; padding-top: 0.6rem; }}
[data-testid="stMain"] h3 {{ font-size: 1.2rem; }}
/* buttons keep their labels on narrow windows; long link-like labels (related studies) wrap, never overflow */
[data-testid="stBaseButton-secondary"], [data-testid="stBaseButton-tertiary"] {{ min-width: fit-content;
                                                                                max-width: 100%; }}
[data-testid="stBaseButton-tertiary"] p {{ white-space: normal; text-align: left; }}
@media (max-width: {NARROW_PX}px) {{
  [data-testid="stMainBlockContainer"] {{ padding-left: 1rem; padding-right: 1rem; }}
  /* side-by-side columns stack, so the citation and the abstract each get the full width */
  [data-testid="stMain"] [data-testid="stHorizontalBlock"] {{ flex-wrap: wrap; }}
  [data-testid="stMain"] [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] {{
      min-width: min(100%, 26rem); flex: 1 1 26rem; }}
  [data-testid="stMain"] h1 {{ font-size: 2rem; }}
}}
</style>
"""

SCRIPT = f"""
<script>
(function () {{
  if (window.innerWidth >= {NARROW_PX} || window.__reflibFolded) return;
  window.__reflibFolded = true;
  const fold = () => {{
    const button = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
    if (button && button.getAttribute('aria-expanded') === 'true') button.click();
    else if (!button) setTimeout(fold, 100);
  }};
  fold();
}})();
</script>
"""


def apply() -> None:
    """Once per run, at the top of the page (the elements take no space)."""
    st.html(CSS)
    st.html(SCRIPT, unsafe_allow_javascript=True)
