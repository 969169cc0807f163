"""The knowledge base end to end (ingest, incremental re-ingest, articles, search, feedback), one contract run
on SQLite with the numpy store, on the CI's PostgreSQL with the numpy store, and on PostgreSQL with pgvector."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path

import pytest

from callpilot.assist.kb.loaders import document_from_markdown
from callpilot.assist.knowledge import KnowledgeService
from callpilot.assist.orchestrator import AssistAnalyzer
from callpilot.core.errors import InvalidInput, KnowledgeBaseError, NotFound
from tests.assist.fixtures import FAQ_CSV, write_kb


class KnowledgeContract(ABC):
    @abstractmethod
    def make_service(self) -> KnowledgeService: ...

    @pytest.fixture
    def kb(self, minilm) -> Iterator[KnowledgeService]:
        self.encoder = minilm
        service = self.make_service()
        yield service
        service.close()

    @pytest.fixture
    def files(self, tmp_path: Path) -> Path:
        return write_kb(tmp_path / "kb")

    def top(self, kb: KnowledgeService, query: str, name: str = "default") -> str | None:
        hits = kb.search(name, [query], k=3)
        return hits[0].doc_id if hits else None

    def test_ingest_then_search_each_format(self, kb: KnowledgeService, files: Path) -> None:
        report = kb.ingest([files])
        assert report.ok and report.count("added") == 5
        assert self.top(kb, "app says E1042 and logs me out") == "KB-1042"
        assert self.top(kb, "I forgot my password") == "faq-1"
        assert self.top(kb, "when do I get my money back") == "faq-2"
        assert self.top(kb, "someone stole my card") == "cards.html"
        assert self.top(kb, "how do I reset the router") == "manual.pdf"
        assert self.top(kb, "can I switch to another plan") == "plans.txt"

    def test_results_are_distinct_documents_with_the_answer_highlighted(self, kb: KnowledgeService,
                                                                        files: Path) -> None:
        kb.ingest([files])
        hits = kb.search("default", ["how do I clear the cache to fix E1042"], k=5)
        assert len({h.doc_id for h in hits}) == len(hits) == 5
        best = hits[0]
        assert best.doc_id == "KB-1042" and best.source == "https://help.example.com/e1042"
        assert "Clear the app cache" in best.snippet[best.highlight[0]:best.highlight[1]]
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        assert AssistAnalyzer.MIN_SCORE <= best.confidence <= 1.0 and best.confidence > hits[-1].confidence

    def test_reingest_skips_unchanged_updates_changed_removes_deleted(self, kb: KnowledgeService,
                                                                      files: Path) -> None:
        kb.ingest([files])
        again = kb.ingest([files])
        assert again.count("unchanged") == 5 and not again.changed
        (files / "plans.txt").write_text("Changing your plan\n\nUpgrades to the Gold plan include roaming in 40 "
                                         "countries.\n")
        (files / "manual.pdf").unlink()
        report = kb.ingest([files])
        assert {f.path.rsplit("/", 1)[-1]: f.status for f in report.files if f.status != "unchanged"} == {
            "plans.txt": "updated", "manual.pdf": "removed"}
        assert self.top(kb, "roaming abroad on gold") == "plans.txt"
        assert "manual.pdf" not in {h.doc_id for h in kb.search("default", ["reset the router"], k=10)}
        assert kb.store.list_kbs()[0].files == 4

    def test_a_bad_version_of_a_file_keeps_the_good_one(self, kb: KnowledgeService, files: Path) -> None:
        kb.ingest([files])
        (files / "faq.csv").write_text(FAQ_CSV + "faq-1,Duplicate?,Same id again.\n")
        report = kb.ingest([files])
        [failed] = [f for f in report.files if f.status == "failed"]
        assert "duplicate id 'faq-1'" in (failed.message or "") and not report.ok
        assert self.top(kb, "I forgot my password") == "faq-1"  # the stored version is untouched

    def test_duplicate_id_across_files_is_refused_whole(self, kb: KnowledgeService, files: Path,
                                                        tmp_path: Path) -> None:
        kb.ingest([files])
        other = tmp_path / "other.csv"
        other.write_text("id,question,answer\nfresh-1,New?,New answer about parking.\nfaq-2,Clash?,Clash.\n")
        report = kb.ingest([other])
        assert report.files[0].status == "failed"
        assert "duplicate document id: 'faq-2'" in (report.files[0].message or "")
        assert "fresh-1" not in {h.doc_id for h in kb.search("default", ["parking"], k=10)}

    def test_bad_files_are_reported_and_the_rest_goes_on(self, kb: KnowledgeService, files: Path) -> None:
        (files / "empty.md").write_text("")
        (files / "junk.txt").write_bytes(b"\x00\xff" * 100)
        (files / "photo.jpg").write_bytes(b"\xff\xd8")
        (files / ".hidden.md").write_text("# secret\n\nnot ingested")
        report = kb.ingest([files, files / "missing-folder"])
        statuses = {f.path.rsplit("/", 1)[-1]: f.status for f in report.files}
        assert statuses == {"e1042.md": "added", "faq.csv": "added", "cards.html": "added", "plans.txt": "added",
                            "manual.pdf": "added", "empty.md": "failed", "junk.txt": "failed",
                            "photo.jpg": "skipped", "missing-folder": "failed"}
        assert self.top(kb, "I forgot my password") == "faq-1"

    def test_knowledge_bases_are_separate(self, kb: KnowledgeService, files: Path) -> None:
        kb.ingest([files / "faq.csv"], kb="billing")
        kb.ingest([files / "apps"], kb="apps")
        assert {h.doc_id for h in kb.search("billing", ["E1042 sync error"], k=5)} <= {"faq-1", "faq-2"}
        assert self.top(kb, "E1042 sync error", "apps") == "KB-1042"
        assert sorted(i.name for i in kb.store.list_kbs()) == ["apps", "billing"]
        with pytest.raises(NotFound):
            kb.search("nope", ["x"])
        with pytest.raises(InvalidInput):
            kb.ingest([files], kb="Bad Name")

    def test_articles_add_update_delete(self, kb: KnowledgeService) -> None:
        doc = document_from_markdown("Parking is free for customers for two hours.", doc_id="park", title="Parking")
        assert kb.put_document("default", doc, create_only=True) is True
        with pytest.raises(KnowledgeBaseError, match="already exists"):
            kb.put_document("default", doc, create_only=True)
        assert self.top(kb, "is parking free") == "park"
        changed = document_from_markdown("Parking costs 2 dollars an hour.", doc_id="park", title="Parking fees")
        assert kb.put_document("default", changed) is False
        stored, origin = kb.store.get_document("default", "park")
        assert (stored.title, origin) == ("Parking fees", "api") and "2 dollars" in stored.text
        rows, total = kb.store.list_documents("default")
        assert total == 1 and rows[0][0].doc_id == "park"
        kb.delete_document("default", "park")
        with pytest.raises(NotFound):
            kb.delete_document("default", "park")
        assert kb.search("default", ["parking"]) == []

    def test_another_process_sees_changes(self, kb: KnowledgeService, files: Path) -> None:
        kb.ingest([files / "faq.csv"])
        other = self.make_service()
        other.check_seconds = 0.0
        try:
            assert self.top(other, "reset the router") != "manual.pdf"
            kb.ingest([files / "manual.pdf"])
            assert self.top(other, "reset the router") == "manual.pdf"
        finally:
            other.close()

    def test_irrelevant_feedback_ranks_the_document_lower_for_similar_queries(self, kb: KnowledgeService,
                                                                              files: Path) -> None:
        kb.ingest([files])
        query = "my refund has not arrived"
        first = [h.doc_id for h in kb.search("default", [query], k=5)]
        assert first[0] == "faq-2"
        assert kb.record_feedback("default", doc_id="faq-2", feedback="irrelevant", query=query, call_id="c1",
                                  suggestion_id="s1")
        assert not kb.record_feedback("default", doc_id="faq-2", feedback="irrelevant", query=query, call_id="c1",
                                      suggestion_id="s1")  # the same feedback twice counts once
        after = [h.doc_id for h in kb.search("default", ["the refund still has not arrived"], k=10)]
        assert after.index("faq-2") > 0
        unrelated = [h.doc_id for h in kb.search("default", ["forgot my password"], k=5)]
        assert unrelated[0] == "faq-1"  # feedback for another kind of query changes nothing there

    def test_lexical_and_dense_modes(self, kb: KnowledgeService, files: Path) -> None:
        kb.ingest([files])
        assert kb.search("default", ["E1042"], mode="bm25")[0].doc_id == "KB-1042"
        assert kb.search("default", ["my money back"], mode="dense")[0].doc_id == "faq-2"


class TestSqliteKnowledge(KnowledgeContract):
    @pytest.fixture(autouse=True)
    def _db(self, tmp_path: Path) -> None:
        self.url = f"sqlite:///{tmp_path / 'kb.db'}"

    def make_service(self) -> KnowledgeService:
        return KnowledgeService(self.url, encoder=self.encoder)


class TestPostgresKnowledge(KnowledgeContract):
    @pytest.fixture(autouse=True)
    def _schema(self, pg_schema: tuple[str, str]) -> None:
        self.url, self.schema = pg_schema

    def make_service(self) -> KnowledgeService:
        return KnowledgeService(self.url, encoder=self.encoder, search_path=self.schema)


class TestPgVectorKnowledge(KnowledgeContract):
    @pytest.fixture(autouse=True)
    def _schema(self, pgvector_schema: tuple[str, str]) -> None:
        self.url, self.search_path = pgvector_schema

    def make_service(self) -> KnowledgeService:
        return KnowledgeService(self.url, vector_store="pgvector", encoder=self.encoder, search_path=self.search_path)
