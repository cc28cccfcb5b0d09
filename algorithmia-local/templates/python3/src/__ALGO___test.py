from . import __ALGO__


def test___ALGO__():
    assert __ALGO__.apply("Jane") == "hello Jane"
