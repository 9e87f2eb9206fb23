"""The public API through ``import rag``: answer, search, build_index and index_status stay functions however often
they are called and whichever submodules were imported in between (no submodule may shadow them)."""

import importlib
import pkgutil
import types

import rag

PUBLIC = ("answer", "search", "build_index", "index_status")


def _import_every_submodule() -> list[str]:
    names = [m.name for m in pkgutil.iter_modules(rag.__path__) if m.name != "__main__"]  # __main__ runs the CLI
    for name in names:
        importlib.import_module(f"rag.{name}")
    return names


def _assert_functions() -> None:
    for name in PUBLIC:
        assert isinstance(getattr(rag, name), types.FunctionType), f"rag.{name} is {getattr(rag, name)!r}"


def test_no_submodule_shares_a_public_name():
    assert not set(_import_every_submodule()) & set(rag.__all__)
    _assert_functions()


def test_each_public_function_works_twice_before_and_after_importing_every_submodule(real_index, corpus_copy, tmp_path):
    from rag.encoders.hashing import HashEmbedder

    index = tmp_path / "ix"  # build_index and search on a fast hash-embedder index; answer on the real one
    for round_ in range(2):
        for _ in range(2):
            _assert_functions()
            report = rag.build_index(corpus_copy, index, embedder=HashEmbedder())
            assert report.chunks_total > 50 and report.added + report.unchanged == 10
            hits = rag.search("EUV prototype Shenzhen", k=3, index_dir=index)
            assert len(hits) == 3 and hits[0].rank == 1
            assert rag.index_status(corpus_copy, index).exists
            result = rag.answer("What node did SMIC reach without EUV lithography?", index_dir=real_index)
            assert not result.abstained and "5nm" in result.text
        if round_ == 0:
            assert "answering" in _import_every_submodule()  # it used to be rag.answer and shadowed the function
    _assert_functions()
