"""Domain adaptation of the recognizer: a small language model of what this contact center's calls say (its
knowledge base, its rulesets' phrases, spoken digit strings), used to rescore the recognizer's N-best list."""

from callpilot.speech.adaptation.corpus import domain_sentences, words_of
from callpilot.speech.adaptation.ngram import DomainLM

__all__ = ["DomainLM", "domain_sentences", "words_of"]
