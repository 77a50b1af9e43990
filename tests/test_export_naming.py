"""File-name templates and sanitising (pure functions)."""
from __future__ import annotations

import pytest

from station.core.errors import ExportError
from station.core.naming import NameTemplate, collision_key, sanitize_component


@pytest.mark.parametrize("raw, expected", [
    ("张三", "张三"),
    ("a/b\\c", "a_b_c"),
    ("..", "_"),
    ("../../etc", "_.._etc"),
    ("CON", "_CON"),
    ("con.jpg", "_con.jpg"),
    ("COM1", "_COM1"),
    ("LPT9.txt", "_LPT9.txt"),
    ("CONTOSO", "CONTOSO"),
    ("name. . ", "name"),
    ("  lead", "lead"),
    (".hidden", "hidden"),
    ('a<b>c:d"e|f?g*h', "a_b_c_d_e_f_g_h"),
    ("tab\there\nnl", "tab_here_nl"),
    ("bidi\u202eevil", "bidi_evil"),
    ("", "_"),
])
def test_sanitize_component(raw: str, expected: str) -> None:
    assert sanitize_component(raw) == expected


def test_length_is_capped_in_bytes_keeping_the_extension_and_whole_characters() -> None:
    name = sanitize_component("张" * 200 + ".jpg")
    assert name.endswith(".jpg")
    assert len(name.encode("utf-8")) <= 150
    assert set(name[:-4]) == {"张"}


def test_template_renders_sub_folders_only_from_the_template() -> None:
    t = NameTemplate.parse("{class}/{student_no}_{name}.jpg")
    rel = t.render({"class": "计科 1/2班", "student_no": "2019001", "name": "张 三/../x"})
    assert rel == "计科 1_2班/2019001_张 三_.._x.jpg"
    assert rel.count("/") == 1


def test_template_adds_jpg_and_keeps_format_specs() -> None:
    assert NameTemplate.parse("{shoot_no:04d}_{code}").render({"shoot_no": 7, "code": "A1"}) == "0007_A1.jpg"


@pytest.mark.parametrize("bad", ["", "/{code}.jpg", "../{code}.jpg", "{code}/../x.jpg", "a//{code}.jpg",
                                 "{nope}.jpg", "{code!r}.jpg", "photo.jpg", "{code"])
def test_bad_templates_are_refused_before_anything_happens(bad: str) -> None:
    with pytest.raises(ExportError):
        NameTemplate.parse(bad)


def test_empty_field_is_a_naming_problem() -> None:
    with pytest.raises(ExportError, match="name"):
        NameTemplate.parse("{name}.jpg").render({"name": None})


def test_collision_key_ignores_case() -> None:
    assert collision_key("A/Photo.JPG") == collision_key("a/photo.jpg")
