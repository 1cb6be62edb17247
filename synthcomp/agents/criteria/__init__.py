"""The judge's criteria by kind, each returning (score, evidence, quoted spans).

- ``figures``: the project's figures, right value next to the right label;
- ``coverage``: substantive prose on each required topic;
- ``integrity``: no filler, repetition, keyword lists, copying or other projects' content
  (a gate: failing it scales the file's other criteria down);
- ``revisions``: a requested change made, against the reviewed version;
- ``visual``: tables and charts where called for, slide and page counts in range.

``docs/reward.md`` explains each with an example.
"""
