"""File formats -> documents, and every kind of bad file -> a clear message (table-driven)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from callpilot.assist.kb.chunker import Chunker, split_sentences
from callpilot.assist.kb.loaders import document_from_markdown, load_file
from callpilot.core.errors import KnowledgeBaseError
from tests.assist.fixtures import ARTICLE, FAQ_CSV, pdf_bytes

LIMIT = 1_000_000


def load(tmp_path: Path, name: str, data: bytes | str, *, limit: int = LIMIT):
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return load_file(path, doc_id=name, section=None, max_bytes=limit)


def test_markdown_front_matter_headings_and_lists(tmp_path: Path) -> None:
    [doc] = load(tmp_path, "e1042.md", ARTICLE)
    assert (doc.doc_id, doc.title, doc.product, doc.source) == (
        "KB-1042", "Error E1042: unable to sync", "Skyline Wallet", "https://help.example.com/e1042")
    assert [s.heading for s in doc.sections] == ["What it means", "The fix"]
    steps = doc.sections[1].paragraphs[-1]
    assert steps.splitlines() == ["- Open Settings", "- Tap Apps, then Skyline Wallet",
                                  "- Tap Storage, then Clear cache"]


def test_markdown_without_front_matter_takes_the_path_as_id(tmp_path: Path) -> None:
    [doc] = load(tmp_path, "reset.md", "# Reset **your** password\n\nTap `Forgot password` on the login screen.\n")
    assert (doc.doc_id, doc.title) == ("reset.md", "Reset your password")
    assert doc.sections[0].paragraphs == ("Tap Forgot password on the login screen.",)


def test_html_skips_scripts_and_navigation(tmp_path: Path) -> None:
    [doc] = load(tmp_path, "c.html", "<html><head><title>Cards</title><style>p{}</style></head><body><nav>Home</nav>"
                                     "<h1>Lost card</h1><p>Block it <b>now</b>.</p><ul><li>Call us</li></ul></body>")
    assert doc.title == "Cards"
    assert "Home" not in doc.text and "p{}" not in doc.text
    assert [(s.heading, s.paragraphs) for s in doc.sections] == [("Lost card", ("Block it now.", "- Call us"))]


def test_plain_text_first_short_line_is_the_title(tmp_path: Path) -> None:
    [doc] = load(tmp_path, "plans.txt", "Changing your plan\n\nPlans change once a month.\nFrom the next bill.\n")
    assert doc.title == "Changing your plan"
    assert doc.sections[0].paragraphs == ("Plans change once a month. From the next bill.",)


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    [doc] = load(tmp_path, "manual.pdf", pdf_bytes(["Router manual.", "Hold the reset button for ten seconds."]))
    assert "Hold the reset button" in doc.text
    assert doc.metadata["pages"] == 1


def test_faq_csv_rows_are_documents_named_by_their_id(tmp_path: Path) -> None:
    docs = load(tmp_path, "faq.csv", FAQ_CSV)
    assert [(d.doc_id, d.title, d.kind) for d in docs] == [
        ("faq-1", "How do I reset my password?", "faq"), ("faq-2", "How long does a refund take?", "faq")]
    assert docs[1].text.startswith("Refunds go back")


@pytest.mark.parametrize("name,data", [
    ("faq.json", json.dumps([{"question": "Q one?", "answer": "A one.", "id": 7}, {"question": "Q two?",
                                                                                  "answer": "A two."}])),
    ("faq2.json", json.dumps({"faqs": [{"Question": "Q one?", "Answer": "A one.", "ID": "7"},
                                       {"question": "Q two?", "answer": "A two."}]})),
    ("faq.jsonl", '{"question": "Q one?", "answer": "A one.", "id": "7"}\n\n'
                  '{"question": "Q two?", "answer": "A two."}\n'),
])
def test_faq_json_forms(tmp_path: Path, name: str, data: str) -> None:
    docs = load(tmp_path, name, data)
    assert docs[0].doc_id == "7" and docs[1].doc_id == f"{name}#2"
    assert [d.title for d in docs] == ["Q one?", "Q two?"]


@pytest.mark.parametrize("name,data,message", [
    ("empty.md", "", "empty file"),
    ("blank.txt", "  \n\n  ", "empty file"),
    ("junk.txt", b"\x00\x01\x02binary\x00" * 50, "binary data"),
    ("controls.md", bytes(range(1, 9)) * 100, "binary data"),
    ("latin1.txt", "café".encode("latin-1") + b"\n\nmore", "not valid UTF-8 (byte 0xe9 at offset 3)"),
    ("scan.pdf", pdf_bytes([]), "no extractable text"),
    ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "not a readable PDF"),
    ("cols.csv", "q,a\nx,y\n", "needs the columns question and answer"),
    ("dupes.csv", "id,question,answer\n1,A?,a\n1,B?,b\n", "row 3: duplicate id '1' (also row 2)"),
    ("holes.csv", "id,question,answer\n1,A?,\n", "row 2: empty answer"),
    ("bad.json", "{not json", "not valid JSON"),
    ("shape.json", '{"x": 1}', 'an object with a "faqs" list'),
    ("rows.json", "[1, 2]", "rows 1, 2 are not objects"),
    ("bad.jsonl", '{"question": "a", "answer": "b"}\n{oops\n', "line 2 is not valid JSON"),
    ("front.md", "---\n[unclosed\n---\n# T\n\ntext\n", "front matter is not valid YAML"),
    ("image.png", b"\x89PNG....", "unsupported file type '.png'"),
])
def test_bad_files_say_why(tmp_path: Path, name: str, data: bytes | str, message: str) -> None:
    with pytest.raises(KnowledgeBaseError) as caught:
        load(tmp_path, name, data)
    assert message in str(caught.value)


def test_huge_file_is_refused_before_reading(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="the limit is 1,000"):
        load(tmp_path, "big.md", "# Big\n\n" + "word " * 1000, limit=1000)


def test_api_articles_are_markdown() -> None:
    doc = document_from_markdown("## Steps\n\nDo this. Then that.", doc_id="a1", title="How to", product="X")
    assert (doc.doc_id, doc.title, doc.product, doc.sections[0].heading) == ("a1", "How to", "X", "Steps")
    with pytest.raises(KnowledgeBaseError, match="empty"):
        document_from_markdown("   ", doc_id="a1", title="t")


@pytest.mark.parametrize("text,sentences", [
    ("One. Two! Three?", ["One.", "Two!", "Three?"]),
    ("Version 5.2.1 is out. Update now.", ["Version 5.2.1 is out.", "Update now."]),
    ("- a\n- b", ["- a", "- b"]),
    ("e.g. lower case continues", ["e.g. lower case continues"]),
])
def test_split_sentences(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


def test_chunks_follow_sections_fit_the_size_and_overlap(tmp_path: Path) -> None:
    sentences = [f"Sentence number {i} says something useful about the product." for i in range(40)]
    doc = document_from_markdown("## Long\n\n" + " ".join(sentences) + "\n\n## Short\n\nOne line.",
                                 doc_id="d", title="Doc")
    chunks = Chunker(max_words=60).chunk(doc)
    long = [c for c in chunks if c.heading == "Long"]
    assert len(long) > 3 and all(len(c.text.split()) <= 60 for c in long)
    for first, second in zip(long, long[1:], strict=False):
        assert split_sentences(first.text)[-1] == split_sentences(second.text)[0]  # one sentence of overlap
    assert " ".join(dict.fromkeys(s for c in long for s in split_sentences(c.text))) == " ".join(sentences)
    assert [c.text for c in chunks if c.heading == "Short"] == ["One line."]
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert chunks[0].search_text("Doc").startswith("Doc: Long\n")


@pytest.mark.parametrize("text", [
    "Resetting passwords quickly, isn't it? E1042 on v5.2.1",
    "The app's sync failed: it doesn't work!",
    "a I x 12 ab café's",
    "",
])
def test_query_terms_are_split_as_the_index_splits_them(text: str) -> None:
    import bm25s
    import Stemmer

    from callpilot.assist.retrieval.lexical import stem_terms

    expected = bm25s.tokenize([text], stopwords="en", stemmer=Stemmer.Stemmer("english"), show_progress=False,
                              return_ids=False)
    assert stem_terms(text) == (list(expected[0]) if expected else [])
