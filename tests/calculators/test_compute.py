"""Inputs read as a person types them, and results made only by the server."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accord.calculators import compute


def test_typed_inputs_are_read_with_percent_money_and_defaults(published):
    inputs = compute.read_inputs(
        published,
        {"analysts": "25", "hours_saved": "4.5", "salary": "$95,000", "licence": "1200",
         "implementation": "30000"},
    )  # fmt: skip
    assert inputs["salary"] == Decimal("95000")
    result = compute.compute(published, inputs)
    # 25 analysts * 4.5 h * 46 weeks * (95000/1800) * 0.8 = 218,500 a year, over 3 years
    assert result.values["total_benefit"].quantize(Decimal("0.01")) == Decimal("655500.00")
    assert result.stored_inputs()["salary"] == "95000"


def test_every_bad_input_is_named_with_its_reason_and_extra_fields_are_refused(published):
    with pytest.raises(ValidationError) as caught:
        compute.read_inputs(
            published,
            {"analysts": "2.5", "hours_saved": "41", "salary": "lots", "licence": "",
             "implementation": "0", "__class__": "x"},
        )  # fmt: skip
    problems = caught.value.message_dict
    assert problems["analysts"] == ["Analysts on the team: give a whole number"]
    assert problems["hours_saved"] == ["Hours each saves a week: at most 40"]
    assert problems["salary"] == ["Average salary: 'lots' is not a number"]
    assert problems["licence"] == ["Licence per analyst a year: required"]
    assert problems["__class__"] == ["this calculator has no such input"]
