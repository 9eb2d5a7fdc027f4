"""The storage codec: exact round trips, batch encoding, and bytes that are not a block."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from usage import codec

values_st = st.lists(st.integers(min_value=-(2**40), max_value=2**40), max_size=400)


@st.composite
def blocks(draw):
    vals = draw(values_st)
    n = len(vals)
    est = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    mis = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    base = draw(st.integers(min_value=-(2**40), max_value=2**40))
    kind = draw(st.sampled_from(["one", "runs", "any"]))
    if kind == "one":
        rev = [base] * n
    elif kind == "runs":
        rev = sorted(draw(st.lists(st.sampled_from([base, base + 86400, base - 5]), min_size=n, max_size=n)))
    else:
        rev = draw(st.lists(st.integers(min_value=-(2**62), max_value=2**62), min_size=n, max_size=n))
    return np.array(vals, np.int64), np.array(est, bool), np.array(mis, bool), np.array(rev, np.int64)


@given(blocks(), st.booleans())
@settings(max_examples=300, deadline=None)
def test_round_trip_is_exact(block, compress):
    vals, est, mis, rev = block
    data = codec.encode(vals, estimated=est, missing=mis, revisions=rev, compress=compress)
    assert data[0] == codec.VERSION
    out = codec.decode(data)
    assert out.values.tolist() == vals.tolist()
    assert out.estimated.tolist() == est.tolist()
    assert out.missing.tolist() == mis.tolist()
    assert out.revisions.tolist() == rev.tolist()


@given(st.lists(blocks(), max_size=6))
@settings(max_examples=100, deadline=None)
def test_encode_many_matches_single_blocks(many):
    if not many:
        return
    vals = np.concatenate([b[0] for b in many])
    offs = np.concatenate(([0], np.cumsum([len(b[0]) for b in many])))
    out = codec.encode_many(
        vals,
        offs,
        estimated=np.concatenate([b[1] for b in many]),
        missing=np.concatenate([b[2] for b in many]),
        revisions=np.concatenate([b[3] for b in many]),
    )
    for data, (v, e, m, r) in zip(out, many, strict=True):
        got = codec.decode(data)
        assert got.values.tolist() == v.tolist() and got.revisions.tolist() == r.tolist()
        assert got.estimated.tolist() == e.tolist() and got.missing.tolist() == m.tolist()


@given(st.binary(max_size=300))
@settings(max_examples=500, deadline=None)
def test_any_bytes_decode_or_codec_error(data):
    try:
        block = codec.decode(data)
    except codec.CodecError:
        return
    assert len(block.values) == len(block.estimated) == len(block.missing) == len(block.revisions)


def test_flags_cost_nothing_when_absent_and_a_day_is_small():
    rng = np.random.default_rng(0)
    day = (400 + rng.normal(0, 60, 96)).astype(np.int64).clip(0)
    plain = codec.encode(day, revisions=1_750_000_000)
    flagged = codec.encode(day, estimated=np.arange(96) == 5, revisions=1_750_000_000)
    assert len(flagged) > len(plain)
    assert len(plain) < 2.2 * 96


def test_unknown_version_is_refused():
    data = bytearray(codec.encode(np.arange(4), revisions=0))
    data[0] = 99
    with pytest.raises(codec.CodecError, match="version"):
        codec.decode(bytes(data))


@given(st.lists(blocks(), max_size=8), st.booleans())
@settings(max_examples=150, deadline=None)
def test_decode_many_matches_decode(many, compress):
    datas = [codec.encode(v, estimated=e, missing=m, revisions=r, compress=compress) for v, e, m, r in many]
    # also many same-layout day blocks, the fast case
    day = np.arange(96, dtype=np.int64) * 3
    for packed in (False, True):
        datas += codec.encode_many(
            np.tile(day, 5), np.arange(0, 481, 96), revisions=np.repeat(np.arange(5), 96), compress=packed
        )
        flagged = np.tile(np.arange(96) % 7 == 0, 3)
        datas += codec.encode_many(
            np.tile(day * 300, 3),
            np.arange(0, 289, 96),
            estimated=flagged,
            missing=np.roll(flagged, 1),
            revisions=np.repeat(np.arange(3), 96),
            compress=packed,
        )
    for with_revisions in (True, False):
        got_all = codec.decode_many(datas, revisions=with_revisions)
        for got, data in zip(got_all, datas, strict=True):
            want = codec.decode(data, revisions=with_revisions)
            for field in ("values", "estimated", "missing", "revisions"):
                assert getattr(got, field).tolist() == getattr(want, field).tolist()


def test_decode_many_raises_for_a_bad_block():
    good = codec.encode(np.arange(96), revisions=1)
    bad = bytes((codec.VERSION, codec.FLAG_ZSTD)) + b"not zstd at all"
    with pytest.raises(codec.CodecError):
        codec.decode_many([good, good, bad])
