"""Tokens go on command lines (`--token`, `--hq-token`): one that began with "-" was read as an
option (it broke a CI run once, one token in 64)."""

from __future__ import annotations

import argparse

from navbat.foundation.tokens import new_token


def test_no_token_begins_like_an_option() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--token")
    tokens = [new_token(24) for _ in range(3000)]  # a "-" would be first about 47 times
    assert not [t for t in tokens if t.startswith("-")]
    assert len(set(tokens)) == len(tokens) and all(len(t) == 32 for t in tokens)
    assert parser.parse_args(["--token", tokens[0]]).token == tokens[0]
