"""Knowledge-base retrieval quality: Recall@1, Recall@5 and MRR of BM25 alone, dense alone and hybrid.

StackFAQ (``faq_stackfaq``): 125 StackExchange threads as FAQ rows (question + top answers), searched with
their 1,375 paraphrased user queries (the placeholder ``*`` rephrasings dropped). ABCD (``abcd_kb``): the
agent guidelines of the ABCD data set, one document per subflow, searched with customer-style queries written
for this benchmark (below; one person wrote and labelled them, so read that number as a sanity check).

Both go through the real path: the data is written as FAQ JSON lines / Markdown, ingested into a temporary
SQLite knowledge base and searched with ``KnowledgeService.search``. The data sets are not shipped; without
them this says so and returns None. Run: ``python -m callpilot.bench.retrieval [--data ../shared/data]``.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from callpilot.assist.knowledge import KnowledgeService
from callpilot.assist.orchestrator import AssistAnalyzer
from callpilot.bench.intent import find_data_dir

__all__ = ["ABCD_QUERIES", "retrieval_markdown", "run_retrieval_bench"]

MODES = ("bm25", "dense", "hybrid", "hybrid_equal")
CARD_THRESHOLD = AssistAnalyzer.MIN_SCORE
NUMPY = "dense_numpy_fp32"  # the same search with the float32 numpy encoder, to show what int8 costs

# Customer-style queries for the ABCD subflows (written for this benchmark; the data set has no such labels).
ABCD_QUERIES: list[tuple[str, str]] = [
    ("i forgot my username", "Recover Username"),
    ("i can't remember my password and can't get in", "Recover Password"),
    ("the two factor code never arrives on my phone", "Reset Two-Factor Auth"),
    ("i want my money back for the shirt i bought", "Initiate Refund"),
    ("where is my refund, you said it was processed", "Refund Status"),
    ("the jacket came with a stain on it and i want to return it", "Return Due to Stain"),
    ("the color of the dress is not what was shown", "Return Due to Color"),
    ("i was charged a fee i don't recognise on my order", "Status Mystery Fee"),
    ("i need to change the shipping address on my account", "Manage Change Address"),
    ("please change the name on my account", "Manage Change Name"),
    ("i want to update my phone number", "Manage Change Phone"),
    ("the website search isn't returning anything", "Search Not Working"),
    ("the site is really slow to load", "Website Too Slow"),
    ("items in my cart keep disappearing", "Cart Not Updating"),
    ("my promo code is not working at checkout", "Promo Code Invalid"),
    ("another store sells it cheaper, can you match the price", "Bad Price Competitor"),
    ("the price went up since yesterday", "Bad Price Yesterday"),
    ("i want to dispute my bill", "Manage Dispute Bill"),
    ("when is my bill due", "Status Due Date"),
    ("one item was missing from my package", "Missing Item"),
]


def _stackfaq(folder: Path) -> tuple[list[dict[str, str]], list[tuple[str, str]]]:
    data = json.loads((folder / "stackExchange-FAQ.json").read_text(encoding="utf-8"))
    rows, queries = [], []
    for i, pair in enumerate(data["root"]["qapair"]):
        doc_id = f"sfaq-{i}"
        answers = pair["answer"] if isinstance(pair["answer"], list) else [pair["answer"]]
        rows.append({"id": doc_id, "question": pair["question"], "answer": "\n\n".join(map(str, answers))})
        queries += [(q.strip(), doc_id) for q in pair["rephr"] if q and q.strip() not in ("*", "")]
    return rows, queries


def _abcd_markdown(folder: Path, out: Path) -> set[str]:
    """One Markdown file per subflow; returns the subflow titles (the documents' ids)."""
    guidelines = json.loads((folder / "guidelines.json").read_text(encoding="utf-8"))
    titles = set()
    for flow, spec in guidelines.items():
        for subflow, body in spec["subflows"].items():
            lines = [f"---\nid: {json.dumps(subflow)}\nsection: {json.dumps(flow)}\n---", f"# {subflow}", "",
                     f"{flow}: {spec.get('description', '')}", ""]
            for instruction in body.get("instructions", []):
                lines += [instruction, ""]
            for action in body.get("actions", []):
                lines += [f"## {action.get('button', 'Step')}", "", action.get("text", ""), ""]
                lines += [f"- {sub}" for sub in action.get("subtext", [])] + [""]
            name = "".join(c if c.isalnum() else "_" for c in f"{flow}_{subflow}").lower()
            (out / f"{name}.md").write_text("\n".join(lines), encoding="utf-8")
            titles.add(subflow)
    return titles


def _score(service: KnowledgeService, queries: Sequence[tuple[str, str]], mode: str) -> dict[str, Any]:
    ranks: list[int | None] = []
    timings: list[float] = []
    shown_right = shown_wrong = 0
    for text, gold in queries:
        started = time.perf_counter()
        if mode == "hybrid_equal":  # plain RRF, both rankers weighted 1, for comparison with the default weights
            hits = service.search("bench", [text], k=10, mode="hybrid", lexical_weight=1.0)
        else:
            hits = service.search("bench", [text], k=10, mode=mode)  # type: ignore[arg-type]
        timings.append((time.perf_counter() - started) * 1000)
        ids = [h.doc_id for h in hits]
        ranks.append(ids.index(gold) + 1 if gold in ids else None)
        if hits and hits[0].confidence >= CARD_THRESHOLD:  # what the orchestrator would show as its first card
            shown_right += ids[0] == gold
            shown_wrong += ids[0] != gold
    n = len(ranks)
    timings.sort()
    return {"queries": n, "recall_at_1": round(sum(r == 1 for r in ranks) / n, 4),
            "recall_at_5": round(sum(r is not None and r <= 5 for r in ranks) / n, 4),
            "mrr": round(sum(1 / r for r in ranks if r is not None) / n, 4),
            "p50_ms": round(timings[n // 2], 2), "p95_ms": round(timings[int(n * 0.95)], 2),
            "card_right": round(shown_right / n, 4), "card_wrong": round(shown_wrong / n, 4)}


def run_retrieval_bench(data: Path | None = None, *, smoke: bool = False) -> tuple[dict[str, Any], list[str]] | None:
    folder = find_data_dir(data)
    if folder is None or not (folder / "faq_stackfaq").is_dir():
        typer.echo("retrieval: ../shared/data/faq_stackfaq not found; skipped (pass --data)")
        return None
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows, queries = _stackfaq(folder / "faq_stackfaq")
        (root / "stackfaq.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
        service = KnowledgeService(f"sqlite:///{root / 'kb.db'}")
        started = time.perf_counter()
        report = service.ingest([root / "stackfaq.jsonl"], kb="bench")
        chunks = sum(f.chunks for f in report.files)
        ingest_s = time.perf_counter() - started
        if smoke:
            queries = queries[::25]
        result["stackfaq"] = {"documents": len(rows), "chunks": chunks, "ingest_seconds": round(ingest_s, 2),
                              **{mode: _score(service, queries, mode) for mode in MODES}}
        service.close()
        reference = KnowledgeService(f"sqlite:///{root / 'kb-numpy.db'}", encoder_kind="numpy")
        started = time.perf_counter()
        reference.ingest([root / "stackfaq.jsonl"], kb="bench")
        result["stackfaq"]["ingest_seconds_numpy"] = round(time.perf_counter() - started, 2)
        result["stackfaq"][NUMPY] = _score(reference, queries, "dense")
        reference.close()
        if (folder / "abcd_kb").is_dir():
            docs = root / "abcd"
            docs.mkdir()
            titles = _abcd_markdown(folder / "abcd_kb", docs)
            missing = [gold for _, gold in ABCD_QUERIES if gold not in titles]
            if missing:
                raise ValueError(f"ABCD queries name subflows the data does not have: {missing}")
            service = KnowledgeService(f"sqlite:///{root / 'abcd.db'}")
            report = service.ingest([docs], kb="bench")
            result["abcd"] = {"documents": len(titles), "chunks": sum(f.chunks for f in report.files),
                              **{mode: _score(service, ABCD_QUERIES, mode) for mode in MODES}}
            service.close()
    return result, retrieval_markdown(result)


def retrieval_markdown(result: dict[str, Any]) -> list[str]:
    lines = ["## Knowledge-base retrieval: Recall@1, Recall@5, MRR", "",
             "Each query's rank of its right document among the first 10 distinct documents. BM25 = bm25s with "
             "an English stemmer; dense = all-MiniLM-L6-v2 cosine over chunks (embedded at 64 wordpieces) on "
             "onnxruntime with int8 weights, the default (dense_numpy_fp32: the float32 numpy encoder); "
             "hybrid = the default, reciprocal rank fusion (k = 60) with BM25 weighted 0.3 against 1 for dense; "
             "hybrid_equal = plain RRF (weights 1 and 1). *First card right/wrong*: the share of queries whose best "
             "result reaches the orchestrator's card threshold (confidence 0.3) and is the right / a wrong "
             "document (the rest show no card). Latency is one search, warm, including the query embedding.", ""]
    names = {"stackfaq": "StackFAQ (125 FAQs, paraphrased queries)",
             "abcd": "ABCD guidelines (one document per subflow; 20 hand-written queries)"}
    for key, title in names.items():
        if key not in result:
            continue
        data = result[key]
        lines += [f"**{title}**: {data['documents']} documents, {data['chunks']} chunks"
                  + (f", ingested in {data['ingest_seconds']} s (numpy float32 encoder: "
                     f"{data['ingest_seconds_numpy']} s)" if "ingest_seconds" in data else "") + ".", "",
                  "| ranker | queries | Recall@1 | Recall@5 | MRR | first card right | first card wrong | p50 ms | "
                  "p95 ms |", "|---|---|---|---|---|---|---|---|---|"]
        for mode in (*MODES, NUMPY):
            if mode not in data:
                continue
            m = data[mode]
            lines.append(f"| {mode} | {m['queries']} | {m['recall_at_1']:.3f} | {m['recall_at_5']:.3f} | "
                         f"{m['mrr']:.3f} | {m['card_right']:.3f} | {m['card_wrong']:.3f} | {m['p50_ms']} | "
                         f"{m['p95_ms']} |")
        lines.append("")
    return lines


def main(data: Annotated[Path | None, typer.Option(help="folder with faq_stackfaq/ and abcd_kb/")] = None,
         smoke: bool = False) -> None:
    measured = run_retrieval_bench(data, smoke=smoke)
    if measured is not None:
        typer.echo("\n".join(measured[1]))


if __name__ == "__main__":
    typer.run(main)
