"""Contract test bases and fakes that backend and plug-in authors can reuse."""
