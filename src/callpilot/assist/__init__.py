"""Agent assist: the knowledge base, hybrid retrieval, and the suggestion orchestrator that runs during calls."""
