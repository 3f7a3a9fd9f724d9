"""Merge the blind-written question files into eval/real/questions.jsonl with a fixed dev/test split.

Stories that share an article (as a source, a chain member or a left-out document) are one story,
so no article serves both splits. Stories are shuffled with a fixed seed and dealt to dev and test
alternately, so each split has about half the questions. Run once; the split is then fixed in the
file (``split`` on each line) and never re-drawn.

    python eval/real/build_split.py RAW.jsonl [RAW.jsonl ...] > eval/real/questions.jsonl
"""

from __future__ import annotations

import json
import random
import sys

SEED = 20261201


def main(paths: list[str]) -> None:
    rows = [json.loads(line) for path in paths for line in open(path, encoding="utf-8") if line.strip()]
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for r in rows:
        story = "story:" + r["story"]
        for f in r.get("sources") or []:
            parent[find("doc:" + f)] = find(story)
        for f in (r.get("chain") or []) + (r.get("leave_out") or []):
            parent[find("doc:" + f)] = find(story)
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(find("story:" + r["story"]), []).append(r)
    keys = sorted(groups)
    random.Random(SEED).shuffle(keys)
    # deal the largest stories first, each to the split with fewer questions so far
    keys.sort(key=lambda k: -len(groups[k]))
    size = {"dev": 0, "test": 0}
    for k in keys:
        split = min(size, key=lambda s: (size[s], s))
        size[split] += len(groups[k])
        for r in groups[k]:
            r["split"] = split
    for r in rows:
        print(json.dumps(r, ensure_ascii=False))
    print(f"dev {size['dev']}, test {size['test']}, {len(keys)} stories", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
