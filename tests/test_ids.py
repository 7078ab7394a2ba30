"""Citizen ID numbers: the GB 11643 check character and the ID-number checks."""

from __future__ import annotations

import operator
import random

from talentstats.reading.ids import CHECK_CHARACTERS, check_character, check_id_number, widened_id

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # GB 11643-1999


def test_check_character_equals_the_weighted_sum():
    rng = random.Random(11643)
    for _ in range(20000):
        digits = "".join(rng.choice("0123456789") for _ in range(17))
        total = sum(map(operator.mul, map(int, digits), WEIGHTS))
        assert check_character(digits) == CHECK_CHARACTERS[total % 11]


def test_gb11643_worked_example():
    # 1*7+1*9+0*10+1*5+0*8+5*4+1*2+9*1+4*6+9*3+1*7+2*9+3*10+1*5+0*8+0*4+2*2 = 167; 167 mod 11 = 2
    assert check_character("11010519491231002") == "X"
    assert check_id_number(" 11010519491231002x ")
    assert not check_id_number("110105194912310021")


def test_a_first_generation_number_is_widened_with_19_and_a_check_character():
    # 110105491231002 -> 110105 19 491231002 + check character of those 17 digits (X above)
    assert widened_id("110105491231002") == "11010519491231002X"
    assert widened_id("12345") is None
