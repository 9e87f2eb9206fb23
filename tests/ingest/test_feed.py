"""Feed import: one Markdown file per article, footer removed, idempotent, matches the committed corpus."""

import pytest

from rag.core.errors import FeedFormatError
from rag.ingest.feed import import_feed, parse_feed, slugify
from rag.text.dates import stated_date
from tests.helpers import CORPUS, SEED


def test_seed_feed_splits_into_ten_articles_without_footer():
    articles = parse_feed(SEED.read_text(encoding="utf-8"))
    assert len(articles) == 10
    assert len({a.slug for a in articles}) == 10
    for article in articles:
        body = "\n".join(article.paragraphs)
        assert "TokenRing" not in body and "informational purposes only" not in body, article.title
        assert article.tag == "Huawei"
        assert article.paragraphs[0] != article.title  # the repeated title line is dropped
    # the last article's footer is laid out differently and must still be gone
    assert articles[-1].paragraphs[-1].startswith("As the \"Silicon Curtain\" descends")


def test_import_is_idempotent_and_matches_committed_corpus(tmp_path):
    first = import_feed(SEED, tmp_path)
    assert [s for _, s in first] == ["added"] * 10
    second = import_feed(SEED, tmp_path)
    assert [s for _, s in second] == ["unchanged"] * 10
    for path, _ in first:
        assert path.read_text(encoding="utf-8") == (CORPUS / path.name).read_text(encoding="utf-8")


def test_front_matter_fields(tmp_path):
    import frontmatter

    import_feed(SEED, tmp_path)
    post = frontmatter.load(tmp_path / "china-blacklists-canadian-consultancy-techinsights-a-new-front-in-the-global.md")
    assert post["title"].startswith("China Blacklists Canadian Consultancy TechInsights")
    assert post["id"] == "china-blacklists-canadian-consultancy-techinsights-a-new-front-in-the-global"
    assert post["tag"] == "Huawei" and str(post["date"]) == "2025-10-09" and post["source"] == SEED.name


@pytest.mark.parametrize("text", ["", "just some text\nwithout bullets\n", "Tag: X\n"])
def test_not_a_feed_is_rejected_and_writes_nothing(tmp_path, text):
    feed = tmp_path / "feed.txt"
    feed.write_text(text)
    with pytest.raises(FeedFormatError, match="no articles found"):
        import_feed(feed, tmp_path / "corpus")
    assert not (tmp_path / "corpus").exists()


def test_slug_and_date_helpers():
    assert slugify("China’s “Triple Output”: 5nm & More!") == "chinas-triple-output-5nm-more"
    assert stated_date("As of December 18, 2025, the ...") == "2025-12-18"
    assert stated_date("no date here") is None
