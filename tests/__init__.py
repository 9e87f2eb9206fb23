"""The test suite, one folder per package of rag/ (and ui/): tests/<stage>/test_<module>.py tests
rag/<stage>/<module>.py or the feature it names. tests/deploy checks the deploy/ recipe, tests/repo checks that hold for the whole repository.

Shared paths and helpers: tests/helpers.py. Fixtures: tests/conftest.py (suite-wide, and markers set from fixtures),
tests/ui/conftest.py (the browser). Data: tests/data (question sets, labelled pairs), tests/fixtures (seed feed, SciFact
sample). `make test-fast` leaves out what is marked slow, real_index, network, browser or llm; `make test` runs all.
"""
