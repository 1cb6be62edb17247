"""``synthcomp report``: one HTML page with each criterion, its evidence and the spans it
quoted, beside the deliverable's screenshots."""

from __future__ import annotations

import html
import json
from pathlib import Path

from synthcomp.errors import InputError
from synthcomp.models import Judgement, Rubric, parse_summary
from synthcomp.sim.judging import rubric_file


def _spans(spans: list[str]) -> str:
    """The rows, sentences or headings a criterion quoted, as the reader sees them."""
    return "".join(f"<blockquote>{html.escape(s)}</blockquote>" for s in spans)


def write_report(sim_dir: Path) -> Path:
    """Raises InputError when the simulation has not been judged yet."""
    if not (sim_dir / "judgement.json").is_file():
        raise InputError(f"{sim_dir} has no judgement yet; run `synthcomp judge {sim_dir}` first")
    judgement = Judgement.model_validate_json((sim_dir / "judgement.json").read_text())
    rubric_path = rubric_file(sim_dir, judgement.judge)
    if not rubric_path.is_file():
        raise InputError(f"{sim_dir} has no {rubric_path.name}; run `synthcomp judge {sim_dir}` again")
    rubric = Rubric.model_validate_json(rubric_path.read_text())
    results = {r.id: r for r in judgement.criteria}
    summary_path = sim_dir / "summary.json"
    summary = parse_summary(json.loads(summary_path.read_text())).model_dump() if summary_path.is_file() else {}
    renders = sim_dir / "renders"
    blocks = []
    for path in sorted({c.path for c in rubric.criteria}):
        stem = Path(path.replace("\\\\", "/")).stem
        shots = sorted(renders.glob(f"{stem}*/*.png")) if renders.is_dir() else []
        rows = "".join(
            f"<tr class='{'ok' if results[c.id].score >= 1 else 'skip' if results[c.id].skipped else 'miss'}'>"
            f"<td>{results[c.id].score:.2f}</td><td>{c.weight:g}</td><td>{html.escape(c.text)}</td>"
            f"<td>{html.escape(results[c.id].evidence)}{_spans(results[c.id].spans)}</td></tr>"
            for c in rubric.criteria if c.path == path and c.id in results)
        images = "".join(f"<img src='{s.relative_to(sim_dir).as_posix()}' alt='{html.escape(s.name)}'>" for s in shots[:6])
        blocks.append(f"<section><h2>{html.escape(path)}</h2><div class='shots'>{images or '<p>(not rendered)</p>'}</div>"
                      f"<table><tr><th>score</th><th>weight</th><th>criterion</th><th>evidence</th></tr>{rows}</table></section>")
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(sim_dir.name)}</title><style>
body{{font-family:sans-serif;margin:2em;max-width:1200px}} table{{border-collapse:collapse;width:100%}}
td,th{{border:1px solid #ccc;padding:4px;vertical-align:top;font-size:90%}} tr.ok td:first-child{{background:#cfc}}
tr.miss td:first-child{{background:#fcc}} tr.skip td:first-child{{background:#eee}}
.shots img{{max-height:320px;border:1px solid #999;margin:4px}}
blockquote{{margin:4px 0 0 0;padding:2px 6px;border-left:3px solid #999;background:#f6f6f6;font-family:monospace}}</style></head><body>
<h1>{html.escape(sim_dir.name)}: score {judgement.score:.3f}</h1><p>{html.escape(judgement.summary)}</p>
<p>{html.escape(', '.join(f'{k}: {v}' for k, v in summary.items()))}</p>{''.join(blocks)}</body></html>"""
    out = sim_dir / "report.html"
    out.write_text(page, encoding="utf-8")
    return out
