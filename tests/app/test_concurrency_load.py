"""Short CI variant of bench/load_test.py: concurrent /ask and streamed-chat clients against the running app while
the index is rebuilt and swapped; no request may fail."""

import sys

import pytest

from tests.helpers import BENCH

sys.path.insert(0, str(BENCH))


@pytest.mark.real_index  # bench/load_test.py builds a MiniLM index of the corpus...
@pytest.mark.network  # ...and serves it on a free 127.0.0.1 port
@pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated")  # gradio's queue, under pandas 3
@pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")
def test_concurrent_clients_during_rebuild_have_no_errors():
    from load_test import run

    result = run(clients=6, seconds=12, rebuilds=2)
    print(result)
    assert result["errors"] == 0, result["error_samples"]
    assert result["ask"] > 0 and result["chat_streams"] > 0
