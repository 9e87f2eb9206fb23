"""Questions typed all in lower or upper case get their names back from the corpus's own spelling (rag.text.casing)."""

from rag.text.casing import casing, needs_case, restore_case


def test_each_word_takes_the_form_the_corpus_writes_it_in_away_from_sentence_starts():
    table = casing(["Shares of SMIC rose. The plant of SMIC and Huawei is new. Much of it is new, said Huawei.",
                    "Many analysts at Huawei agree."])
    assert table["smic"] == "SMIC" and table["huawei"] == "Huawei"
    assert "much" not in table and "many" not in table  # capitals only at the start of a sentence
    assert restore_case("what did smic and huawei build?", table) == "What did SMIC and Huawei build?"
    assert restore_case("WHAT DID SMIC AND HUAWEI BUILD?", table) == "What did SMIC and Huawei build?"
    assert restore_case("what did intel build?", table) == "What did intel build?"  # a name it never saw


def test_a_question_in_mixed_case_is_the_user_s_own_and_never_changed():
    assert not needs_case("What did smic build?") and not needs_case("Was ist EUV?") and not needs_case("smic")
    assert needs_case("what did smic build?") and needs_case("WHAT DID SMIC BUILD?")
    assert restore_case("What did smic build?", {"smic": "SMIC"}) == "What did smic build?"


def test_answers_do_not_depend_on_the_case_a_question_is_typed_in(real_index):
    """All capitals used to make every word a name the articles lack ("not found" for everything); all lower case
    hid the names from the checks that the articles mention them."""
    from rag.app.api import answer

    cased = answer("What node did SMIC reach without EUV lithography?", index_dir=real_index)
    for typed in ("WHAT NODE DID SMIC REACH WITHOUT EUV LITHOGRAPHY?", "what node did smic reach without euv lithography?"):
        result = answer(typed, index_dir=real_index)
        assert result.status == cased.status == "answered", result.text
        assert result.citations[0].quote == cased.citations[0].quote
        assert result.question == typed  # the answer records what the user typed
