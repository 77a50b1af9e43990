"""A fictional graduating class for the demo: names, student numbers and valid resident ID numbers.

Everything here is generated: no real person's data or photo ships with the program.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from station.core.idnumber import check_character

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力宇鹏浩晨欣怡佳琪思雨子涵梓轩博文"
COLLEGES = (("计算机科学与工程学院", "计科"), ("商学院", "商"), ("外国语学院", "外语"), ("土木工程学院", "土木"))
AREA_CODES = ("430302", "430304", "110105", "440524", "420111", "510107")


@dataclass(frozen=True)
class DemoStudent:
    student_no: str
    name: str
    sex: str
    id_number: str
    college: str
    class_name: str
    paid: bool


def make_id_number(rng: random.Random, female: bool) -> str:
    area = rng.choice(AREA_CODES)
    birth = f"{rng.randint(2001, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    seq = rng.randint(0, 99) * 10 + (rng.choice((0, 2, 4, 6, 8)) if female else rng.choice((1, 3, 5, 7, 9)))
    first17 = f"{area}{birth}{seq:03d}"
    return first17 + check_character(first17)


def demo_students(count: int, *, colleges: int = 3, seed: int = 2026) -> list[DemoStudent]:
    """`count` students spread over `colleges` colleges, two classes each, in student-number order."""
    rng = random.Random(seed)
    chosen = COLLEGES[:max(1, min(colleges, len(COLLEGES)))]
    students: list[DemoStudent] = []
    used_names: set[str] = set()
    for index in range(count):
        college_index = index * len(chosen) // max(count, 1)
        college, short = chosen[college_index]
        class_no = 1 + (index % 2)
        female = rng.random() < 0.5
        while True:
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
            if name not in used_names:
                used_names.add(name)
                break
        students.append(DemoStudent(
            student_no=f"2022{college_index + 1:02d}{class_no:02d}{index + 1:04d}",
            name=name, sex="女" if female else "男", id_number=make_id_number(rng, female),
            college=college, class_name=f"{short}22{class_no:02d}", paid=rng.random() > 0.05))
    return students


def roster_csv(students: list[DemoStudent]) -> str:
    """The roster as a registrar's CSV export (Chinese headers)."""
    lines = ["学号,姓名,性别,身份证号,学院,班级,缴费"]
    for s in students:
        lines.append(f"{s.student_no},{s.name},{s.sex},{s.id_number},{s.college},{s.class_name},"
                     f"{'是' if s.paid else '否'}")
    return "\n".join(lines) + "\n"
