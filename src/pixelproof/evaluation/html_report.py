"""`pixelproof eval --report`: one HTML file holding everything, figures included as data
URIs, so it can be mailed or attached to a ticket and still open years later."""

import base64
import re
from html import escape

from .presentation import Table

STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; color: #1b1f24; max-width: 1100px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #d0d7de; }
.meta { color: #57606a; font-size: 0.9em; } .meta code { font-size: 0.95em; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-variant-numeric: tabular-nums; }
h3 { font-size: 1em; margin: 1.2em 0 0; }
th, td { border: 1px solid #d0d7de; padding: 0.25em 0.7em; text-align: left; }
.num { text-align: right; } thead th { background: #f6f8fa; }
.warnings { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; padding: 0.6em 1.2em; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; } figure { margin: 0; } img { max-width: 100%; border: 1px solid #d0d7de; }
"""


NUMBER = re.compile(r"[\d.–!]+")  # 0.912, 0.871–0.948, 0.350!, 12, and "–" for none


def _cell(tag: str, text: str, numeric: bool) -> str:
    return f'<{tag} class="num">{escape(text)}</{tag}>' if numeric else f"<{tag}>{escape(text)}</{tag}>"


def _table(table: Table) -> str:
    """Numbers right-aligned, so that their digits line up; a column of numbers has its heading on the right too."""
    numeric = [bool(table.rows) and all(NUMBER.fullmatch(row[i]) for row in table.rows) for i in range(len(table.header))]
    head = "".join(_cell("th", h, numeric[i]) for i, h in enumerate(table.header))
    body = "".join("<tr>" + "".join(_cell("td", c, bool(NUMBER.fullmatch(c))) for c in row) + "</tr>" for row in table.rows)
    return f"<h3>{escape(table.title)}</h3><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(name: str, png: bytes) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<figure><img src="data:image/png;base64,{data}" alt="{escape(name)}"><figcaption>{escape(name)}</figcaption></figure>'


def render(
    *, title: str, meta: dict[str, str], notes: list[str], tables: list[Table], warnings: list[str], figures: dict[str, bytes]
) -> str:
    """The page: what was run, how labels were read, the warnings first, then numbers and figures."""
    meta_lines = "".join(f"<div><b>{escape(k)}:</b> <code>{escape(v)}</code></div>" for k, v in meta.items())
    notes_html = "".join(f"<p>{escape(n)}</p>" for n in notes)
    warned = (
        '<div class="warnings"><b>Too few examples for some numbers:</b><ul>'
        + "".join(f"<li>{escape(w)}</li>" for w in warnings)
        + "</ul></div>"
        if warnings
        else "<p>No metric rests on too few examples.</p>"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title><style>{STYLE}</style></head>
<body><h1>{escape(title)}</h1><div class="meta">{meta_lines}</div>{notes_html}
<h2>Warnings</h2>{warned}
<h2>Numbers</h2>{"".join(_table(t) for t in tables)}
<h2>Figures</h2><div class="figures">{"".join(_figure(n, png) for n, png in figures.items())}</div>
</body></html>
"""
