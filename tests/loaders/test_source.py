"""pyiamguard.loaders.source: byte decoding, line index, locating tree paths, depth limit."""
from __future__ import annotations

import codecs
import gzip
import time

import pytest

from pyiamguard.loaders.source import (
    MAX_DEPTH,
    InputError,
    LineIndex,
    SourceFile,
    check_depth,
    decode_bytes,
)

POLICY = '{"Version": "2012-10-17", "Statement": []}'


# --- decode_bytes -------------------------------------------------------------------------


def test_plain_utf8_decodes_unchanged() -> None:
    assert decode_bytes(POLICY.encode("utf-8")) == POLICY


def test_utf8_with_bom_decodes_without_the_bom() -> None:
    assert decode_bytes(codecs.BOM_UTF8 + POLICY.encode("utf-8")) == POLICY


def test_non_ascii_utf8_text_decodes() -> None:
    assert decode_bytes('{"Sid": "café"}'.encode("utf-8")) == '{"Sid": "café"}'


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
    ],
    ids=["utf16-le", "utf16-be", "utf32-le", "utf32-be"],
)
def test_utf16_and_utf32_plan_with_bom_decodes(bom: bytes, codec: str) -> None:
    assert decode_bytes(bom + POLICY.encode(codec)) == POLICY


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_as_written_by_powershell_decodes(codec: str) -> None:
    assert decode_bytes(POLICY.encode(codec)) == POLICY


def test_utf16_without_bom_keeps_non_ascii_text() -> None:
    text = '{"Sid": "résumé"}'
    assert decode_bytes(text.encode("utf-16-le")) == text


def test_utf16_le_with_bom_and_lone_surrogate_is_rejected_with_byte_offset() -> None:
    data = codecs.BOM_UTF16_LE + "{}".encode("utf-16-le") + b"\x00\xd8"
    with pytest.raises(InputError) as err:
        decode_bytes(data)
    assert str(err.value) == "invalid UTF-16-LE text at byte 6"


def test_utf16_without_bom_of_odd_length_is_rejected_as_binary() -> None:
    with pytest.raises(InputError) as err:
        decode_bytes("{}".encode("utf-16-le") + b"\x00")
    assert str(err.value) == "binary data, not a text file"


def test_invalid_utf8_is_rejected_with_the_offending_offset() -> None:
    with pytest.raises(InputError) as err:
        decode_bytes(b'{"a": "\xff"}')
    assert str(err.value) == "not UTF-8 text (invalid byte at offset 7)"


def test_latin1_text_is_not_silently_accepted_as_utf8() -> None:
    with pytest.raises(InputError) as err:
        decode_bytes('{"Sid": "café"}'.encode("latin-1"))
    assert str(err.value) == "not UTF-8 text (invalid byte at offset 12)"


@pytest.mark.parametrize(
    "data",
    [
        b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00",
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00",
        b'{"Statement": []}\x00\x00garbage',
    ],
    ids=["elf", "zip", "json-with-trailing-nuls"],
)
def test_binary_garbage_with_nul_bytes_is_rejected(data: bytes) -> None:
    with pytest.raises(InputError) as err:
        decode_bytes(data)
    assert str(err.value) == "binary data, not a text file"


def test_gzip_file_is_rejected_as_binary_not_decoded_as_utf16() -> None:
    # A gzip header is 1f 8b 08 00: the NUL among the first four bytes sends it down the
    # BOM-less UTF-16 path. Text that decodes to U+0000 characters is binary, as it is for UTF-8.
    data = gzip.compress(b'{"Statement": []}' * 10, mtime=0)
    with pytest.raises(InputError) as err:
        decode_bytes(data)
    assert str(err.value) == "binary data, not a text file"


def test_empty_bytes_decode_to_empty_text() -> None:
    assert decode_bytes(b"") == ""


# --- LineIndex ----------------------------------------------------------------------------


def test_line_index_maps_offsets_to_one_based_line_and_column() -> None:
    index = LineIndex("ab\ncd\n\nef")
    assert [index.position(i) for i in range(10)] == [
        (1, 1), (1, 2), (1, 3),
        (2, 1), (2, 2), (2, 3),
        (3, 1),
        (4, 1), (4, 2), (4, 3),
    ]


def test_line_index_counts_crlf_as_one_line_break() -> None:
    index = LineIndex('{\r\n  "a": 1\r\n}')
    assert index.position(5) == (2, 3)
    assert index.position(13) == (3, 1)


def test_line_index_of_text_without_newline_is_all_line_one() -> None:
    index = LineIndex("abc")
    assert index.position(0) == (1, 1)
    assert index.position(2) == (1, 3)


# --- SourceFile.locate -----------------------------------------------------------------------


def _source(marks: dict, text: str = "x") -> SourceFile:
    return SourceFile(name="f.json", text=text, root=None, format="json", _marks=marks)


def test_locate_returns_the_mark_of_the_exact_path() -> None:
    source = _source({(): (1, 1), ("Statement",): (2, 3), ("Statement", 0): (3, 5)})
    assert source.locate(("Statement", 0)) == (3, 5)


def test_locate_falls_back_to_the_nearest_located_ancestor() -> None:
    source = _source({(): (1, 1), ("Statement",): (2, 3), ("Statement", 0): (3, 5)})
    assert source.locate(("Statement", 0, "Principal", "AWS", 4)) == (3, 5)
    assert source.locate(("Nope", 2)) == (1, 1)


def test_locate_without_any_mark_points_at_the_file_start() -> None:
    assert _source({}).locate(("Statement", 0)) == (1, 1)


def test_locate_in_an_empty_file_has_no_position() -> None:
    assert _source({}, text="").locate(("a",)) == (None, None)


def test_locate_builds_marks_lazily_and_only_once() -> None:
    calls = []

    def builder() -> dict:
        calls.append(1)
        return {(): (1, 1), ("a",): (2, 2)}

    source = SourceFile(name="f", text="x", root=None, format="json", _mark_builder=builder)
    assert calls == []
    assert source.locate(("a", "b")) == (2, 2)
    assert source.locate(("a",)) == (2, 2)
    assert calls == [1]


def test_locate_accepts_a_list_path() -> None:
    source = _source({(): (1, 1), ("a", 0): (4, 2)})
    assert source.locate(["a", 0]) == (4, 2)  # type: ignore[arg-type]


# --- check_depth ------------------------------------------------------------------------------


def _nested_lists(levels: int) -> list:
    value: list = []
    for _ in range(levels - 1):
        value = [value]
    return value


def test_tree_at_the_depth_limit_is_accepted() -> None:
    check_depth(_nested_lists(MAX_DEPTH + 1))  # the innermost list sits at depth MAX_DEPTH


def test_tree_one_level_over_the_depth_limit_is_rejected() -> None:
    with pytest.raises(InputError) as err:
        check_depth(_nested_lists(MAX_DEPTH + 2))
    assert str(err.value) == f"nested more than {MAX_DEPTH} levels deep"


def test_scalar_leaves_count_as_a_level() -> None:
    check_depth({"a": {"b": [1]}}, limit=3)
    with pytest.raises(InputError) as err:
        check_depth({"a": {"b": [1]}}, limit=2)
    assert str(err.value) == "nested more than 2 levels deep"


def test_depth_counts_through_dicts_and_lists_alike() -> None:
    with pytest.raises(InputError):
        check_depth({"a": [{"b": [{"c": 1}]}]}, limit=4)
    check_depth({"a": [{"b": [{"c": 1}]}]}, limit=5)


def test_tree_nested_100000_deep_is_rejected_without_recursion_error() -> None:
    started = time.monotonic()
    with pytest.raises(InputError):
        check_depth(_nested_lists(100_000))
    assert time.monotonic() - started < 5
