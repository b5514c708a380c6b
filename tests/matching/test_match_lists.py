"""matching.engine.MatchLists: the first entry of every list, read in one pass."""

from __future__ import annotations

from matching import MetierReferential, suggest

from .conftest import at, offer, request


def test_firsts_are_the_first_entries_of_the_lists(ref: MetierReferential) -> None:
    requests = [
        request("r1", "aide-soignant", *at("01053")),
        request("r2", "aide-soignant", *at("01283"), max_km=60),
        request("r3", "aide-soignant", *at("01173"), max_km=5),  # nothing within reach
    ]
    offers = [
        offer("o1", "aide-soignant", *at("01053")),
        offer("o2", "aide-soignant", *at("01283")),
        offer("o3", "aide-soignant", *at("01004")),
    ]
    result = suggest(requests, offers, ref, top_k=2)
    for lists in (result.by_request, result.by_offer):
        expected = {key: lists.ranked(key)[0] for key in lists if lists.ranked(key)}
        assert lists.firsts() == expected
    assert "r3" not in result.by_request.firsts()
    assert result.by_request.firsts()["r1"][0] == "o1"  # the offer in its own town
    assert set(result.by_offer.firsts()) == {"o1", "o2", "o3"}
