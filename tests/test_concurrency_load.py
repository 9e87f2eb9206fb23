"""Short CI variant of bench/load_test.py: concurrent /ask and streamed-chat clients against the running app while
the index is rebuilt and swapped; no request may fail."""

import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))


def test_concurrent_clients_during_rebuild_have_no_errors():
    from load_test import run

    result = run(clients=6, seconds=12, rebuilds=2)
    print(result)
    assert result["errors"] == 0, result["error_samples"]
    assert result["ask"] > 0 and result["chat_streams"] > 0
