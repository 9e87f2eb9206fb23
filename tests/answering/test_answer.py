"""Grounded answers on the real corpus with the real model: key facts, verbatim citations, markers, abstention."""

import re

import pytest

from rag.app.api import answer
from rag.app.evaluate import fact_found, load_qa
from rag.core.errors import ConfigError
from tests.helpers import QA, QA_TEST  # QA_TEST: written before the answerer was changed, never fitted or tuned on

MARKER = re.compile(r"\[(\d+)\]")


@pytest.fixture(scope="module")
def answers(real_index):
    items = load_qa(QA_TEST, "test")
    return [(q, answer(q.question, history=q.history, index_dir=real_index)) for q in items]


def test_question_set_sizes_and_splits():
    dev, test = load_qa(QA), load_qa(QA_TEST)
    assert {q.split for q in dev} == {"dev"} and {q.split for q in test} == {"test"}
    assert sum(q.answerable for q in test) >= 35 and sum(not q.answerable for q in test) >= 25
    assert sum(q.history is not None for q in test) >= 10
    assert not {q.question for q in dev} & {q.question for q in test}


def test_key_fact_coverage_on_the_test_split(answers):
    """Key facts found in answered and partial answers (a not-found answer covers nothing)."""
    scores = [sum(fact_found(a.text, f) for f in q.key_facts) / len(q.key_facts) * (a.status != "not_found")
              for q, a in answers if q.answerable]
    coverage = sum(scores) / len(scores)
    print(f"test split key-fact coverage (answered + partial) = {coverage:.3f}")
    assert coverage >= 0.8


def test_outcome_rates_on_the_test_split(answers):
    """Regression floors around the operating point chosen on dev (at most 0.10 of unanswerable dev questions
    answered): 45/58 answerable and 5/29 unanswerable test questions answered when it was chosen, 44/58 and 6/29
    after the refit on a 0.01 threshold grid."""
    answered_ans = [a.status == "answered" for q, a in answers if q.answerable]
    answered_un = [a.status == "answered" for q, a in answers if not q.answerable]
    print(f"answered {sum(answered_ans)}/{len(answered_ans)} answerable, {sum(answered_un)}/{len(answered_un)} unanswerable")
    assert sum(answered_ans) / len(answered_ans) >= 0.70
    assert sum(answered_un) / len(answered_un) <= 0.25


def test_status_and_abstained_agree(answers):
    for q, a in answers:
        assert a.status in ("answered", "partial", "not_found") and a.abstained == (a.status != "answered")
        assert (a.reason == "") == (a.status == "answered"), q.id
        assert a.scorer


def test_every_citation_lies_in_the_passage_it_cites(answers, real_index):
    from rag.index.snapshot import load_index

    snapshot = load_index(real_index)
    checked = 0
    for _, a in answers:
        for c in a.citations:  # (quote == text[start:end] holds by construction; where the span lies does not)
            chunk = snapshot.chunks[snapshot.chunk_index(c.chunk_id)]
            assert chunk.doc_id == c.doc_id and chunk.start <= c.start < c.end <= chunk.end
            assert c.title == snapshot.documents[c.doc_id].title and c.source == snapshot.documents[c.doc_id].source
            checked += 1
    assert checked > 50


def test_markers_number_by_first_appearance_one_citation_each(answers):
    for q, a in answers:
        if a.status == "not_found":
            assert a.citations == [] and "do not say" in a.text
            continue
        text = a.text
        if a.status == "partial":  # a plain statement first, then the closest cited sentences
            assert text.startswith("The articles touch on this but do not clearly answer it")
            text = text.split("The closest passages say: ", 1)[1]
        markers = [int(m) for m in MARKER.findall(text)]
        assert sorted(set(markers)) == [c.marker for c in a.citations] == list(range(1, len(a.citations) + 1))
        assert list(dict.fromkeys(markers)) == sorted(set(markers)), q.id
        # every sentence of the answer carries a marker
        for sentence in re.split(r"(?<=\])[.!?\"”]*\s+", text.strip()):
            assert MARKER.search(sentence), (q.id, sentence)
        assert all(s.supported for s in a.support)
        assert set(a.timings) >= {"retrieve", "generate", "verify", "total"}


def test_headline_question(real_index):
    a = answer("What node did SMIC reach without EUV lithography?", index_dir=real_index)
    assert not a.abstained and "5nm" in a.text and a.citations[0].date


def test_follow_up_uses_history(real_index):
    history = [{"role": "user", "content": "Which process node does the Kirin 9030 use?"},
               {"role": "assistant", "content": "It uses SMIC's N+3 process [1]."}]
    a = answer("And how fast is its top CPU core clocked?", history=history, index_dir=real_index)
    assert not a.abstained and "2.75" in a.text and a.rewritten_question


def test_follow_up_resolves_that_to_the_earlier_subject(real_index):
    history = [{"role": "user", "content": "Why did China blacklist TechInsights?"},
               {"role": "assistant", "content": "Because of its teardown reports [1]."}]
    a = answer("When was that announced?", history=history, index_dir=real_index)
    assert a.status != "not_found" and "October 9, 2025" in a.text


def test_a_rare_name_brings_its_article_into_the_passages(real_index):
    """"Fouquet" is named in one article, once; "China" in every passage the fused search ranks first. Without the
    named passage (rag.answering.pipeline._with_named_passage) the answer was "not found" for its names."""
    from rag.index.snapshot import load_index
    from rag.retrieval.hybrid import hybrid_search

    question = "What did Fouquet say about China?"
    first = hybrid_search(load_index(real_index), question, 5)
    assert not any("Fouquet" in p.chunk.text for p in first)  # what made this case: the fused top 5 lack him
    a = answer(question, index_dir=real_index)
    assert a.status != "not_found" and any("Fouquet" in c.quote for c in a.citations)


def test_list_gathers_items_from_the_adjacent_sentence(real_index):
    a = answer("Who operates the three new state-backed AI chip plants in Shenzhen?", index_dir=real_index)
    assert a.status != "not_found"
    assert sum(name in a.text for name in ("Huawei", "SiCarrier", "SwaySure")) >= 2


def test_list_question_gets_several_items(real_index):
    a = answer("Which foreign suppliers' parts did the teardowns find inside Huawei's Ascend AI chips?", index_dir=real_index)
    assert all(name in a.text for name in ("TSMC", "Samsung", "SK Hynix"))


@pytest.mark.parametrize("kwargs, message", [
    ({"question": ""}, "empty"), ({"question": "\x00\x01 "}, "empty"), ({"question": 42}, "must be a string"),
    ({"question": "chips?", "k": 0}, "k must be"), ({"question": "chips?", "k": 99}, "k must be"),
    ({"question": "chips?", "backend": "gpt-17"}, "backend must be one of"),
    ({"question": "chips?", "history": "not a list"}, "history must be a list"),
    ({"question": "chips?", "history": [{"role": "robot", "content": "x"}]}, "history\\[0\\]"),
    ({"question": "chips?", "backend": "openai"}, "openai_base_url"), ({"question": "???"}, "no words"), ({"question": "\U0001f6a2\U0001f6a2 !"}, "no words"),
])
def test_bad_input_is_a_clear_error(real_index, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        answer(index_dir=real_index, **kwargs)


def test_very_long_question_is_truncated_with_notice(real_index):
    a = answer("What did SMIC achieve? " + "padding " * 20000, index_dir=real_index)
    assert a.notices and "cut" in a.notices[0]


def test_names_in_the_question_match_the_article_across_accents():
    from rag.answering.names import contains

    sentence = "After casting Bérénice Lim Marlohe as Sévérine in Skyfall, the producers looked elsewhere."
    assert contains(sentence, "Severine") and contains(sentence, "Berenice Marlohe")
    assert contains("She played Severine.", "Sévérine")
    assert not contains(sentence, "Sabine")
    from rag.answering.questions import analyse

    names = analyse("How many records did Beyoncé release after she left Destiny's Child?").entities
    assert "Beyonce" in names and not any(n.startswith("Beyonc") and n != "Beyonce" for n in names)  # not "Beyonc"
    assert contains("Beyoncé's first solo album followed in 2003.", names[names.index("Beyonce")])
    # letters that accent folding cannot make plain ("ł", "ø") belong to the name too: not "Albert Grzyma"
    names = analyse("What role was Albert Grzymała given in Ålesund?").entities
    assert names == ("Albert Grzymała", "Alesund")
    assert contains("Albert Grzymała, a friend, was there.", names[0])


def test_the_head_noun_after_which_names_the_answer_not_a_given():
    """In "Which Nvidia GPU is …" the article need not say "GPU": the answer names the GPU ("Nvidia's A100")."""
    from rag.answering.questions import entities

    assert entities("Which Nvidia GPU is the Ascend 910B said to match in some training tasks?") == ("Nvidia", "Ascend 910B")
    assert entities("Which GPU did Huawei match?") == ("Huawei",)
    assert entities("What EUV components does China lack?") == ("EUV", "China")  # "EUV" modifies "components"
    assert entities("What SMIC has done with DUV?") == ("SMIC", "DUV")  # one word after "what": the subject


def test_a_specific_question_name_missing_beside_the_lead_is_measured(real_index):
    """The answerability features say how specific a name of the question is that the lead sentence lacks."""
    from rag.answering.backends.answerability import FEATURES
    from rag.answering.backends.extractive import Extractive
    from rag.answering.pipeline import prepare
    from rag.core.config import load_settings
    from rag.encoders.cache import vector_cache
    from rag.index.snapshot import load_index

    snapshot = load_index(real_index)
    ex = Extractive(snapshot, vector_cache(snapshot))
    assert 0 <= ex.specificity("China") < ex.specificity("Blackwell") <= 1.0  # everywhere vs. a few passages
    settings = load_settings(index_dir=real_index)
    prep = prepare("How many Blackwell GPUs did Japan secure in late 2025?", None, snapshot, settings, settings.k)
    cands = ex.candidates(prep.info, prep.qvec, prep.passages)
    lead = ex.lead(prep.info, cands)
    values = dict(zip(FEATURES, ex.features(prep.info, lead, cands, prep.passages)))
    assert "Japan" not in lead.text and values["missing_name_sentence"] >= ex.specificity("Japan") > 0


def test_a_why_answer_leads_with_a_sentence_that_gives_a_cause_itself(real_index):
    """Among the top three sentences, one that gives a cause comes before one that is merely followed by a sentence
    with a causal word ("... to protect their ambitions" after a sentence that says the ban is no isolated incident);
    for other answer types the sentence followed by the typed one still leads (the type is in its neighbour)."""
    from rag.answering.backends.extractive import Candidate, Extractive
    from rag.answering.questions import QuestionInfo
    from rag.encoders.cache import vector_cache
    from rag.index.snapshot import load_index

    snapshot = load_index(real_index)
    ex = Extractive(snapshot, vector_cache(snapshot))

    def cands():
        return [Candidate(0, 0, 60, "The ban on Acme is more than an isolated incident.", next_start=300, typed=False),
                Candidate(0, 100, 160, "Acme is a well-known analysis firm.", typed=False),
                Candidate(0, 200, 260, "The ban is a direct consequence of Acme's reports.", typed=True),
                Candidate(0, 300, 360, "It shows how far states go to protect their ambitions.", typed=True)]

    why = QuestionInfo("Why was Acme banned?", "reason", (), ("acme", "banned"))
    assert ex.lead(why, cands()).start == 200
    when = QuestionInfo("When was Acme banned?", "date", (), ("acme", "banned"))
    assert ex.lead(when, cands()).start == 0


def test_the_answer_type_never_trades_the_best_sentence_for_one_without_the_names(real_index):
    """A sentence of the expected type that lacks the question's names beside it does not replace the best sentence,
    which has them (a festival's date is not taken from a list of other festivals); one with as many names does."""
    from rag.answering.backends.extractive import Candidate, Extractive
    from rag.answering.questions import QuestionInfo
    from rag.encoders.cache import vector_cache
    from rag.index.snapshot import load_index

    snapshot = load_index(real_index)
    ex = Extractive(snapshot, vector_cache(snapshot))
    when = QuestionInfo("When is the Wianki festival held?", "date", ("Wianki",), ("wianki", "festival", "held"))

    def cands(names_beside_second: float):
        return [Candidate(0, 0, 90, "Crowds gather on the river banks for a festival called Wianki.", typed=False),
                Candidate(0, 100, 190, "The city also hosts the Mozart Festival in June.", typed=True,
                          entities_in_window=names_beside_second)]

    assert ex.lead(when, cands(0.0)).start == 0
    assert ex.lead(when, cands(1.0)).start == 100


@pytest.mark.real_index  # builds a small MiniLM index of its own
def test_short_sentences_and_ones_that_refer_back_can_be_the_answer(tmp_path):
    """Sentences of a few words are candidates ("It employs 3,000 people."); headings, fragments and rhetorical
    questions are not. A sentence that opens by referring back ("Its chief executive ...") finds the question's names
    two sentences back."""
    from rag.app.api import answer, build_index
    from rag.text.sentences import is_statement

    assert is_statement("It employs 3,000 people.") and is_statement('"We will not stop," he said.')
    assert not any(is_statement(t) for t in ("Outlook", "He left.", "A New Cold War?", 'Is it over?"'))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "foo.md").write_text("# Ohio gets a plant\n\nThe Foo Corporation opened a plant in Ohio in 2021. "
                                   "It employs 3,000 people. Its chief executive is Jane Roe.\n", encoding="utf-8")
    (corpus / "bar.md").write_text("# Bar\n\nThe Bar company has made chips in Texas since 1999.\n", encoding="utf-8")
    build_index(corpus, tmp_path / "index")
    result = answer("How many people does Foo employ?", index_dir=tmp_path / "index")
    assert result.status != "not_found" and "3,000 people" in result.text, result.text
    result = answer("Who is the chief executive of Foo?", index_dir=tmp_path / "index")
    assert result.status == "answered" and "Jane Roe" in result.text, result.text  # partial when "Its" hid "Foo"


def test_abstention_names_the_closest_articles_in_quotes(real_index):
    """The closest articles' titles are quoted, so a title that is a sentence (an HTML page without a <title>) does not
    run into the next one ("... since 1999.; Title ...")."""
    from rag.answering.pipeline import abstention_text
    from rag.index.snapshot import load_index
    from rag.retrieval.hybrid import hybrid_search

    passages = hybrid_search(load_index(real_index), "EUV prototype", 2)
    text = abstention_text("Who built it?", passages, "no retrieved sentence answers it with enough evidence")
    titles = list(dict.fromkeys(p.title for p in passages))
    assert text.endswith("The closest articles are: " + "; ".join(f"“{t}”" for t in titles) + ".")
    assert "(no retrieved sentence answers it with enough evidence)" in text


@pytest.mark.real_index  # builds a small MiniLM index of its own
def test_a_list_item_without_a_final_stop_can_be_the_answer(tmp_path):
    """Bullet points state facts without a full stop ("Revenue rose to $5.2 billion"); they are candidates, cited and
    closed with a stop in the answer. Headings (title case, or ending in a colon) and table rows are not."""
    from rag.app.api import answer, build_index
    from rag.text.sentences import is_statement

    assert is_statement("Revenue rose to $5.2 billion") and is_statement("The company employs 12,000 people")
    assert not any(is_statement(t) for t in ("Key figures for the quarter:", "The Road Ahead: China's Chip Ambitions",
                                             "A Widening Silicon Curtain and the Future of AI", "| Europe | $2.1 billion |"))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "acme.md").write_text("# Acme Quarterly Results\n\nAcme Corp released its quarterly results on Tuesday."
                                    "\n\nKey figures:\n\n- Revenue rose to $5.2 billion\n- Net profit was $800 million\n"
                                    "\nChief executive Maria Lopez said demand for its sensors was strong.\n",
                                    encoding="utf-8")
    (corpus / "widgets.md").write_text("# Widget Outlook\n\nThe widget market is expected to grow by 4% next year.\n",
                                       encoding="utf-8")
    build_index(corpus, tmp_path / "index")
    result = answer("What was Acme's net profit?", index_dir=tmp_path / "index")
    assert result.status == "answered" and "Net profit was $800 million [1]." in result.text, result.text
    assert result.citations[0].quote == "Net profit was $800 million"


@pytest.mark.real_index  # builds a small MiniLM index of its own
def test_a_follow_up_s_own_words_choose_its_sentence(tmp_path):
    """A follow-up is retrieved with the earlier question it refers to, but its sentence is chosen by what it asks now
    as much as by that context: "How much in subsidies did it get?" after a question about production plans cites the
    subsidies, not the production plans."""
    from rag.app.api import answer, build_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "rapidus.txt").write_text(
        "Rapidus starts a pilot line\n\nJapanese chipmaker Rapidus said on Tuesday it had started a pilot production "
        "line for 2-nanometre chips in Hokkaido. The company aims to begin mass production in 2027. The government has "
        "committed about 1.72 trillion yen in subsidies to the project, officials said.\n\nRapidus was founded in 2022 "
        "by eight Japanese companies including Toyota, Sony and NTT.\n", encoding="utf-8")
    (corpus / "samsung.txt").write_text("Samsung delays Texas fab\n\nSamsung has pushed back the opening of its Texas "
                                        "chip plant to 2026, citing a lack of customers.\n", encoding="utf-8")
    build_index(corpus, tmp_path / "index")
    history = [{"role": "user", "content": "When will Rapidus begin mass production?"},
               {"role": "assistant", "content": "The company aims to begin mass production in 2027 [1]."}]
    result = answer("How much in subsidies did it get?", history=history, index_dir=tmp_path / "index")
    assert result.rewritten_question and result.status != "not_found", result.text
    assert any("1.72 trillion yen" in c.quote for c in result.citations), result.text
